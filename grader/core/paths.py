"""Where things live: the kit root, its topic folders and the data root."""

from __future__ import annotations

import os
import re
from pathlib import Path

from grader.core.errors import UnknownName

KIT_ROOT = Path(__file__).resolve().parents[2]
TOPIC_PATTERN = re.compile(r"^\d\d_[a-z0-9_]+$")
DATA_ENV = "CNNKIT_DATA"


def solutions_dir() -> Path:
    return KIT_ROOT / "solutions"


def exercises_dir() -> Path:
    return KIT_ROOT / "exercises"


def hidden_tests_dir() -> Path:
    return KIT_ROOT / "hidden_tests"


def topics(base: Path | None = None) -> list[str]:
    """Topic folder names (``01_cnn`` ...), sorted, from solutions/ or exercises/."""
    if base is None:
        base = solutions_dir() if solutions_dir().is_dir() else exercises_dir()
    return sorted(p.name for p in base.iterdir() if p.is_dir() and TOPIC_PATTERN.match(p.name))


def resolve_topic(name: str) -> str:
    """Accept ``01_cnn``, ``01``, ``1`` or ``cnn`` and return the folder name."""
    known = topics()
    for t in known:
        number, _, word = t.partition("_")
        if name in (t, number, str(int(number)), word):
            return t
    raise UnknownName(f"unknown topic {name!r}; known topics: {', '.join(known)}")


def data_root() -> Path:
    """The data folder: $CNNKIT_DATA, else ``datasets/`` in the kit."""
    env = os.environ.get(DATA_ENV)
    return Path(env).expanduser().resolve() if env else KIT_ROOT / "datasets"


def shared_mirror() -> Path:
    """The offline data mirror that sits beside a checkout (``../shared/data``)."""
    env = os.environ.get("CNNKIT_MIRROR")
    return Path(env).expanduser().resolve() if env else KIT_ROOT.parent / "shared" / "data"


def cache_root() -> Path:
    """``$CNNKIT_CACHE``, else ``~/.cache/cnnkit`` (or under ``XDG_CACHE_HOME``): what the
    grader may compute again at any time (a machine check's pass, a topic's test list)."""
    if os.environ.get("CNNKIT_CACHE"):
        return Path(os.environ["CNNKIT_CACHE"]).expanduser()
    root = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(root).expanduser() / "cnnkit"
