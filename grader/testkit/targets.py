"""Import a topic's exercise files from a chosen target, never mixing two.

Topic folders (``01_cnn``) are not valid module names, and two topics share
file names (``datamodule.py``). Each (target folder, topic) pair therefore
becomes its own synthetic package with a unique name, so sibling files import
each other relatively (``from .cnn import PyTorchCNN``) and nothing leaks
between topics or targets in one process.
"""

from __future__ import annotations

import hashlib
import importlib
import sys
import types
from pathlib import Path

from grader.lab import hub_offline
from grader.core import paths
from grader.core.errors import CnnkitError


def target_topic_dir(target: str | None, topic: str, root: Path | None = None) -> Path:
    """``None``/``exercises`` -> student files, ``solutions`` -> reference, else a folder."""
    root = root or paths.KIT_ROOT
    if target in (None, "", "exercises"):
        return root / "exercises" / topic
    if target == "solutions":
        return root / "solutions" / topic
    return Path(target).expanduser().resolve() / topic


def package_name(topic_dir: Path) -> str:
    digest = hashlib.sha1(str(topic_dir.resolve()).encode()).hexdigest()[:10]
    return f"cnnkit_target_{digest}_{topic_dir.name}"


def _ensure_package(topic_dir: Path) -> str:
    name = package_name(topic_dir)
    if name not in sys.modules:
        pkg = types.ModuleType(name)
        pkg.__path__ = [str(topic_dir)]
        pkg.__file__ = None
        pkg.__package__ = name
        sys.modules[name] = pkg
    return name


def import_exercise(topic_dir: Path, module: str) -> types.ModuleType:
    """Import ``module`` (a file stem) from ``topic_dir`` as part of its package."""
    hub_offline.install()  # the slides' torch.hub calls run offline
    topic_dir = Path(topic_dir)
    if not (topic_dir / f"{module}.py").is_file():
        raise ExerciseMissing(topic_dir / f"{module}.py")
    return importlib.import_module(f"{_ensure_package(topic_dir)}.{module}")


class ExerciseMissing(CnnkitError, ImportError):
    def __init__(self, path: Path):
        super().__init__(f"the exercise file {path} does not exist; "
                         f"expected {path.name} in {path.parent}")
        self.path = path
