"""Generate the student stubs in ``exercises/`` from ``solutions/``.

In a solution file, the code a student must write sits between
``### BEGIN SOLUTION`` and ``### END SOLUTION``. The stub keeps everything
else (signatures, docstrings, a ``# TODO:`` line just above the block) and
puts ``raise NotImplementedError("TODO: ...")`` in place of the block.
"""

from __future__ import annotations

import filecmp
import shutil
from pathlib import Path

from grader import paths

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
SKIP = {"__pycache__", ".pytest_cache", ".hypothesis"}


class MarkerError(ValueError):
    pass


def strip_solutions(source: str, filename: str = "<file>") -> str:
    out: list[str] = []
    inside = False
    todo = "write this part"
    for number, line in enumerate(source.splitlines(keepends=True), 1):
        stripped = line.strip()
        if stripped == BEGIN:
            if inside:
                raise MarkerError(f"{filename}:{number}: nested {BEGIN}")
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            if out and out[-1].strip().startswith("# TODO:"):
                todo = out[-1].strip()[len("# TODO:"):].strip()
            out.append(f'{indent}raise NotImplementedError("TODO: {todo}")\n')
            todo = "write this part"
        elif stripped == END:
            if not inside:
                raise MarkerError(f"{filename}:{number}: {END} without {BEGIN}")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise MarkerError(f"{filename}: {BEGIN} is never closed")
    return "".join(out)


def has_markers(text: str) -> bool:
    return BEGIN in text or END in text


def generate_topic(topic: str, dest_root: Path, source_root: Path | None = None) -> list[Path]:
    """Write the stubbed copy of ``source_root/topic`` into ``dest_root/topic``."""
    source = (source_root or paths.solutions_dir()) / topic
    dest = dest_root / topic
    written = []
    for path in sorted(source.rglob("*")):
        rel = path.relative_to(source)
        if any(part in SKIP for part in rel.parts) or path.is_dir():
            continue
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".py":
            target.write_text(strip_solutions(path.read_text(encoding="utf-8"), str(path)),
                              encoding="utf-8")
        else:
            shutil.copyfile(path, target)
        written.append(target)
    return written


def generate_all(dest_root: Path | None = None) -> list[Path]:
    dest_root = dest_root or paths.exercises_dir()
    written = []
    for topic in paths.topics(paths.solutions_dir()):
        stale = dest_root / topic
        if stale.exists():
            for old in stale.rglob("*"):
                if old.is_file() and not any(p in SKIP for p in old.parts):
                    old.unlink()
        written += generate_topic(topic, dest_root)
    return written


def drift(exercises_root: Path, fresh_root: Path) -> list[str]:
    """Files that differ between the committed stubs and freshly generated ones."""
    problems = []
    for fresh in sorted(fresh_root.rglob("*")):
        if fresh.is_dir():
            continue
        rel = fresh.relative_to(fresh_root)
        committed = exercises_root / rel
        if not committed.exists():
            problems.append(f"missing: exercises/{rel}")
        elif not filecmp.cmp(committed, fresh, shallow=False):
            problems.append(f"differs: exercises/{rel}")
    for old in sorted(exercises_root.rglob("*")):
        rel = old.relative_to(exercises_root)
        if old.is_file() and not any(p in SKIP for p in rel.parts) \
                and not (fresh_root / rel).exists():
            problems.append(f"extra: exercises/{rel}")
    return problems
