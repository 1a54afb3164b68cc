"""``cnnkit dev sync``: rewrite ``exercises/`` from ``solutions/``, never over a student's work.

A file in ``exercises/`` counts as edited when it differs both from the stub generated
now and from the version git has committed (when the kit is a git checkout). Sync then
refuses, naming the files, unless ``force``.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from grader.core.i18n import msg
from grader.core import paths
from grader.core.errors import WouldOverwrite
from grader.export import stubgen


def _committed(path: Path) -> bytes | None:
    """The version git holds at HEAD, or None (not a checkout, or not tracked)."""
    if not path.resolve().is_relative_to(paths.KIT_ROOT):
        return None
    rel = path.resolve().relative_to(paths.KIT_ROOT).as_posix()
    proc = subprocess.run(["git", "show", f"HEAD:{rel}"], cwd=paths.KIT_ROOT,
                          capture_output=True)
    return proc.stdout if proc.returncode == 0 else None


def edited_files() -> list[Path]:
    """Files of exercises/ that hold edits sync would destroy."""
    edited = []
    with tempfile.TemporaryDirectory() as tmp:
        for topic in paths.topics(paths.solutions_dir()):
            stubgen.generate_topic(topic, Path(tmp))
        for mine in sorted(paths.exercises_dir().rglob("*")):
            if not mine.is_file() or any(p in stubgen.SKIP for p in mine.parts):
                continue
            fresh = Path(tmp) / mine.relative_to(paths.exercises_dir())
            data = mine.read_bytes()
            if fresh.is_file() and fresh.read_bytes() == data:
                continue
            if _committed(mine) == data:
                continue  # only the solutions changed: regenerating loses nothing
            edited.append(mine)
    return edited


def sync(force: bool = False) -> list[Path]:
    if not force:
        edited = edited_files()
        if edited:
            names = ", ".join(p.relative_to(paths.exercises_dir().parent).as_posix()
                              for p in edited[:6])
            more = ' ...' if len(edited) > 6 else ''
            raise WouldOverwrite(msg(
                f"exercises/ holds edits that sync would overwrite ({names}{more}); commit or "
                "move them, or use ./kit dev sync --force",
                f"exercises/ có chỉnh sửa mà sync sẽ ghi đè ({names}{more}); hãy commit hoặc "
                "chuyển chúng đi, hoặc dùng ./kit dev sync --force"))
    return stubgen.generate_all(paths.exercises_dir())
