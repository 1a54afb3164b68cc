"""Generate the student stubs in ``exercises/`` from ``solutions/``.

The stub keeps everything outside the solution markers (signatures, docstrings, a
``# TODO:`` line just above the block) and puts ``raise NotImplementedError('TODO: ...')``
in place of each block.
"""

from __future__ import annotations

import filecmp
import shutil
from pathlib import Path

from grader.core import markers, paths

SKIP = {"__pycache__", ".pytest_cache", ".hypothesis"}
DEFAULT_TODO = "write this part"


def strip_solutions(source: str, filename: str = "<file>") -> str:
    """The stub: each solution region becomes ``raise NotImplementedError(<the TODO>)``.

    The message is written with ``repr``, so any TODO text gives a stub that compiles.
    """
    out: list[str] = []
    for region in markers.regions(source, filename):
        if not region.solution:
            out += region.lines
            continue
        todo = " ".join(todo_lines(out)) or DEFAULT_TODO
        out.append(f"{region.indent}raise NotImplementedError({'TODO: ' + todo!r})\n")
    return "".join(out)


def todo_lines(lines: list[str]) -> list[str]:
    """The texts of the ``# TODO:`` comments right above a solution region, in order."""
    texts: list[str] = []
    for line in reversed(lines):
        if not line.strip().startswith("# TODO:"):
            break
        texts.insert(0, line.strip()[len("# TODO:"):].strip())
    return [t for t in texts if t]


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
