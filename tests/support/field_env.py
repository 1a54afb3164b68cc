"""A course's environment, built the way a department's GPU node has one, on the CPU.

Everything lives under one folder in /tmp (a Slurm job's $TMPDIR, a CI work folder):
- ``kit/``: a copy of this checkout, installed with ``pip install --no-deps -e`` into
- ``courseenv/``: an existing venv, not made by ``./kit``. It reaches PyTorch and the
  kit's other needs through a ``.pth`` file naming this suite's site folder, and holds
  its own pytest plugins (cov, xdist, benchmark, timeout, mock) and mpi4py built against
  Debian's Open MPI;
- ``data/``: ``CNNKIT_DATA``, outside the kit, with MNIST copied from the mirror.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

from grader.core import paths

PLUGINS = ["pytest-cov", "pytest-xdist", "pytest-benchmark", "pytest-timeout", "pytest-mock"]


@dataclass
class FieldEnv:
    root: Path
    kit: Path
    venv: Path
    data: Path

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    @property
    def link(self) -> Path:
        """The ``.pth`` file that gives the course's venv its PyTorch."""
        return Path(next(self.venv.glob("lib/python*/site-packages"))) / "_course_base.pth"

    def env(self, **extra: str) -> dict[str, str]:
        keep = {k: v for k, v in os.environ.items() if not k.startswith(("CNNKIT_", "VIRTUAL"))}
        return {**keep, "PATH": f"{self.venv / 'bin'}:/usr/local/bin:/usr/bin:/bin",
                "CNNKIT_DATA": str(self.data), "CNNKIT_MIRROR": str(self.root / "no-mirror"),
                "CNNKIT_CACHE": str(self.root / "cache"), "CNNKIT_OFFLINE": "1",
                "MPLBACKEND": "Agg", **extra}

    def cnnkit(self, *args: str, timeout: float = 1500, **extra: str):
        return subprocess.run([str(self.venv / "bin" / "cnnkit"), *args], cwd=self.kit,
                              env=self.env(**extra), capture_output=True, text=True,
                              timeout=timeout)


def _pip(python: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(python), "-m", "pip", "install", "-q",
                           "--disable-pip-version-check", *args],
                          capture_output=True, text=True, timeout=900)


def _copy_checkout(dest: Path) -> None:
    """The working tree as git sees it (tracked and untracked-not-ignored files)."""
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                           cwd=paths.KIT_ROOT, capture_output=True, check=True).stdout
    for rel in filter(None, files.decode().split("\0")):
        source = paths.KIT_ROOT / rel
        if source.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / rel)


def build(root: Path, mirror: Path) -> FieldEnv:
    """Make the environment; raise RuntimeError with pip's words if a step fails."""
    env = FieldEnv(root, root / "kit", root / "courseenv", root / "data")
    _copy_checkout(env.kit)
    subprocess.run([sys.executable, "-m", "venv", str(env.venv)], check=True)
    env.link.write_text(sysconfig.get_paths()["purelib"] + "\n")
    for step in ([*PLUGINS, "mpi4py"], ["--no-deps", "-e", str(env.kit)]):
        done = _pip(env.python, *step)
        if done.returncode != 0:
            raise RuntimeError(f"pip install {' '.join(step)}: {done.stderr[-1500:]}")
    (env.data / "MNIST").mkdir(parents=True)
    shutil.copytree(mirror / "MNIST" / "raw", env.data / "MNIST" / "raw")
    return env
