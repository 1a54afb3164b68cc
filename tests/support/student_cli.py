"""Driving the student's commands as a student does: a copy of a topic, a subprocess."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from grader.core import paths


def workspace(tmp_path: Path, topic: str, with_tests: bool = True) -> tuple[Path, dict]:
    """``exercises/<topic>`` copied into ``tmp_path/ex``, and an environment whose state
    file is private and whose language is the default."""
    ignore = shutil.ignore_patterns("__pycache__", *(() if with_tests else ("test_*",)))
    shutil.copytree(paths.exercises_dir() / topic, tmp_path / "ex" / topic, ignore=ignore)
    env = {**os.environ, "CNNKIT_STATE": str(tmp_path / "state.json"), "MPLBACKEND": "Agg"}
    env.pop("CNNKIT_LANG", None)
    env.pop("CNNKIT_PROG", None)
    return tmp_path / "ex", env


def kit(env: dict, *args: str, timeout: float = 600) -> tuple[int, str]:
    """Run ``cnnkit ARGS`` from the kit's root: (exit code, stdout and stderr)."""
    proc = subprocess.run([sys.executable, "-m", "grader", *args], env=env, capture_output=True,
                          text=True, timeout=timeout, cwd=paths.KIT_ROOT)
    return proc.returncode, proc.stdout + proc.stderr


def solve(ex: Path, topic: str, name: str) -> None:
    """Put the reference solution of one file in the workspace."""
    shutil.copy(paths.solutions_dir() / topic / name, ex / topic / name)
