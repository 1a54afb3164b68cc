"""The student bundle: exercises, the kit's runtime, no solutions and no hidden tests."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from grader.core import markers, paths
from grader.core.errors import WouldOverwrite
from grader.export import stubgen

# Whole sub-packages of grader/ that serve instructors and maintainers only.
INSTRUCTOR_ONLY = ("grading", "export", "dev")
# conftest.py loads the testkit's plugin for a plain `pytest exercises/...` (the --target
# option, time limits, the data-missing skips, the shared_tmp fixture).
TOP_FILES = ["pyproject.toml", "kit", ".gitignore", "conftest.py"]

STUDENT_README = """\
# cnnkit - exercises on deep convolutional networks

    ./kit list                 # every exercise and its state
    ./kit check 01_cnn         # run one topic's tests, short output
    ./kit hint 01_cnn params   # one more hint each time
    ./kit watch 01_cnn         # re-run on every save
    pytest exercises/01_cnn    # the plain tests

Edit the files in `exercises/NN_topic/`; each topic has a README (English and
Vietnamese). `./kit --lang vi ...` speaks Vietnamese.
"""


def secret_lines(min_length: int = 20) -> set[str]:
    """Solution lines that appear nowhere in the public material (stubs and tests)."""
    inside: set[str] = set()
    public: set[str] = set()
    for path in paths.solutions_dir().rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        inside.update(markers.solution_lines(text))
        public.update(markers.public_lines(text))
    return {s for s in inside - public if len(s) >= min_length and not s.startswith("#")}


def solution_lines_in_tests(bundle: Path, min_length: int = 30) -> list[str]:
    """Lines of the bundle's test files that are also lines of a solution region.

    A visible test that holds reference code hands out the answer. Short lines
    (``with torch.no_grad():``, ``return out``) say nothing and are not counted.
    """
    inside: set[str] = set()
    for path in paths.solutions_dir().rglob("*.py"):
        if not path.name.startswith("test_"):
            inside.update(markers.solution_lines(path.read_text(encoding="utf-8")))
    inside = {s for s in inside if len(s) >= min_length and not s.startswith("#")}
    found = []
    for path in sorted((bundle / "exercises").rglob("test_*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip() in inside:
                found.append(f"{path.relative_to(bundle)}:{number}: {line.strip()}")
    return found


def _instructor_only(folder: str, names: list[str], top: Path | None = None) -> set[str]:
    top = (paths.KIT_ROOT if top is None else top) / "grader"
    at_top = Path(folder) == top
    return {n for n in names if n == "__pycache__" or (at_top and n in INSTRUCTOR_ONLY)}


def shipped_packages(root: Path | None = None) -> list[str]:
    """The sub-packages of ``grader/`` that the bundle ships (``grader.core``, ...)."""
    grader = (paths.KIT_ROOT if root is None else root) / "grader"
    names = [p.name for p in grader.iterdir() if (p / "__init__.py").is_file()]
    dropped = _instructor_only(str(grader), names, grader.parent)
    return sorted(f"grader.{n}" for n in names if n not in dropped)


def shipped_python_files(root: Path | None = None) -> list[Path]:
    """The Python files a bundle built from the kit at ``root`` ships, as they are there:
    ``grader/`` less the instructors' packages, the top files, ``exercises/`` (the stubs
    and the visible tests) and the solutions' test files the visible tests come from."""
    root = paths.KIT_ROOT if root is None else Path(root)
    found: list[Path] = []
    for folder, dirs, files in os.walk(root / "grader"):
        dropped = _instructor_only(folder, dirs + files, root)
        dirs[:] = sorted(d for d in dirs if d not in dropped)
        found += [Path(folder) / f for f in sorted(files) if f.endswith(".py")]
    found += [root / n for n in TOP_FILES if n.endswith(".py") and (root / n).is_file()]
    found += sorted(p for p in (root / "exercises").rglob("*.py") if "__pycache__" not in p.parts)
    found += sorted((root / "solutions").glob("*/test_*.py"))
    return found


def build(out: Path) -> Path:
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise WouldOverwrite(f"{out} is not empty; choose a new folder for the bundle")
    out.mkdir(parents=True, exist_ok=True)
    stubs = out / "exercises"
    for topic in paths.topics(paths.solutions_dir()):
        stubgen.generate_topic(topic, stubs)
    shutil.copytree(paths.KIT_ROOT / "grader", out / "grader",
                    ignore=_instructor_only)
    (out / "datasets").mkdir()
    for name in ("manifest.toml", "README.md"):
        shutil.copy2(paths.KIT_ROOT / "datasets" / name, out / "datasets" / name)
    for name in TOP_FILES:
        src = paths.KIT_ROOT / name
        if src.exists():
            shutil.copy2(src, out / name)
    (out / "README.md").write_text(STUDENT_README, encoding="utf-8")
    return out


def leaks(bundle: Path) -> list[str]:
    """Solution lines found in the bundle, and folders that must not be there."""
    found = [f"{name}/ is in the bundle" for name in ("solutions", "hidden_tests", "samples")
             if (bundle / name).exists()]
    secrets = secret_lines()
    for path in bundle.rglob("*"):
        if path.is_file() and path.suffix in (".py", ".md", ".toml", ".ipynb", ".txt"):
            for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
                if line.strip() in secrets:
                    found.append(f"{path.relative_to(bundle)}: {line.strip()}")
    return found
