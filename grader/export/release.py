"""The student bundle: exercises, the kit's runtime, no solutions and no hidden tests; a
record of its tests' hashes (``grader.core.pristine``); later, one topic's reference
solutions at a time (``add_solutions``)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from grader.core import manifest, markers, paths, pristine
from grader.core.errors import BadInput, WouldOverwrite
from grader.core.i18n import msg, pick
from grader.export import stubgen
from grader.export.student_readme import STUDENT_README

# Whole sub-packages of grader/ that serve instructors and maintainers only.
INSTRUCTOR_ONLY = ("grading", "export", "dev")
# conftest.py loads the testkit's plugin for a plain `pytest exercises/...` (the --target
# option, time limits, the data-missing skips, the shared_tmp fixture).
TOP_FILES = ["pyproject.toml", "kit", ".gitignore", "conftest.py"]

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


def refuse_tracked_folder(out: Path) -> None:
    """A bundle inside the checkout must be a folder git ignores (``student-bundle/`` is):
    else its copies of the kit would land in the next commit."""
    try:
        rel = Path(out).resolve().relative_to(paths.KIT_ROOT.resolve())
    except ValueError:
        return  # outside the checkout
    try:
        proc = subprocess.run(["git", "-C", str(paths.KIT_ROOT), "check-ignore", "-q",
                               rel.as_posix() or "."], capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return  # no git: nothing to commit it to
    if proc.returncode == 1:
        raise BadInput(pick({
            "en": f"{out} is inside the kit's checkout and git does not ignore it: write the "
                  "bundle outside the checkout, or to student-bundle/ (git-ignored)",
            "vi": f"{out} nằm trong bản checkout của kit và git không bỏ qua nó: hãy ghi gói "
                  "ra ngoài bản checkout, hoặc vào student-bundle/ (git bỏ qua)"}))


def build(out: Path) -> Path:
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise WouldOverwrite(msg(f"{out} is not empty; choose a new folder for the bundle",
                                 f"{out} không trống; hãy chọn một thư mục mới cho gói bài"))
    refuse_tracked_folder(out)
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
    pristine.write(out)  # last: check and list trust only these tests
    return out


def reference_folder(bundle: Path, topic: str) -> Path:
    """Where a bundle keeps a topic's released reference solutions (never ``solutions/``:
    there the kit would read its tests and topics from)."""
    return Path(bundle) / paths.REFERENCE_DIR / topic


def add_solutions(bundle: Path, topic: str) -> list[Path]:
    """Put ``topic``'s reference solutions (the exercise files, markers removed, no test)
    into an existing bundle, so that its ``./kit solution`` unlocks them."""
    bundle = Path(bundle)
    if not pristine.in_bundle(bundle):
        raise BadInput(pick({
            "en": f"{bundle} is not a student bundle (no {pristine.RECORD}); make one first "
                  "with ./kit release --out DIR",
            "vi": f"{bundle} không phải gói sinh viên (không có {pristine.RECORD}); hãy tạo "
                  "trước bằng ./kit release --out THƯ_MỤC"}))
    topic = paths.resolve_topic(topic)
    folder = reference_folder(bundle, topic)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in manifest.load_topic(topic).files:
        source = paths.solutions_dir() / topic / name
        target = folder / name
        target.write_text(markers.without_markers(source.read_text(encoding="utf-8")),
                          encoding="utf-8")
        written.append(target)
    pristine.add_reference(bundle, topic)
    return written


def leaks(bundle: Path) -> list[str]:
    """Solution lines found in the bundle, and folders that must not be there."""
    found = [f"{name}/ is in the bundle" for name in ("solutions", "hidden_tests", "samples",
                                                       paths.REFERENCE_DIR)
             if (bundle / name).exists()]
    secrets = secret_lines()
    for path in bundle.rglob("*"):
        if path.is_file() and path.suffix in (".py", ".md", ".toml", ".ipynb", ".txt"):
            for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
                if line.strip() in secrets:
                    found.append(f"{path.relative_to(bundle)}: {line.strip()}")
    return found
