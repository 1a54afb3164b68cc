"""The box itself: what a run inside can see and write, and whose uid it runs as."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from grader.core import manifest, paths
from grader.core.limits import Limits
from grader.grading.box import bubblewrap as box
from grader.grading.box import uids as box_uids

LIMITS = Limits(scratch_mb=64)
_why = box.available(LIMITS)
pytestmark = pytest.mark.skipif(bool(_why), reason=_why)


@pytest.fixture
def folder():
    path = Path(tempfile.mkdtemp(prefix="cnnkit-boxtest-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _inside(folder: Path, code: str) -> subprocess.CompletedProcess:
    box.prepare_folder(folder)
    cmd, staged = box.command(folder, [box.python(), "-I", "-c", code], LIMITS,
                              inside=str(folder))
    with box_uids.leased_uid(LIMITS) as uid:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120,
                              preexec_fn=box.preexec(LIMITS, uid, staged))


WRITE = """
import os
for path in ("/new", "/dev/new", "/etc/new", "/usr/new", "{folder}/new"):
    try:
        open(path, "w").write("x")
        print("WROTE", path)
    except OSError:
        pass
written = 0
try:
    with open("/tmp/fill", "wb") as f:
        while written < 200 * 2**20:
            f.write(b"x" * 2**20); f.flush(); written += 2**20
except OSError:
    pass
print("SCRATCH", written >> 20)
"""


def test_only_the_capped_scratch_is_writable(folder):
    done = _inside(folder, WRITE.format(folder=folder))
    assert done.returncode == 0, done.stderr[-2000:]
    assert "WROTE" not in done.stdout, done.stdout  # the root, /dev, /etc, /usr, the folder
    assert int(done.stdout.split("SCRATCH")[1]) < 64, "the scratch cap must hold"


def test_binds_under_tmp_stay_visible(folder):
    """The kit, its environment and the data may all live under /tmp (issue: the box's
    /tmp must not hide them): the box's own folder here is under /tmp too."""
    (folder / "seen.txt").write_text("yes")
    done = _inside(folder, f"import torch; print(open('{folder}/seen.txt').read())")
    assert done.returncode == 0 and done.stdout.strip() == "yes", done.stderr[-2000:]


def test_a_solved_file_in_the_kits_exercises_folder_is_invisible_in_the_box(folder,
                                                                             monkeypatch):
    """In an instructor's checkout exercises/ can hold solved files: the box binds each
    topic's topic.toml alone (what the worker reads), never the folder around it."""
    kit = Path(tempfile.mkdtemp(prefix="cnnkit-kit-", dir="/tmp"))
    try:
        topic = kit / "exercises" / "01_cnn"
        topic.mkdir(parents=True)
        shutil.copy(paths.solutions_dir() / "01_cnn" / manifest.MANIFEST_NAME, topic)
        shutil.copy(paths.solutions_dir() / "01_cnn" / "params.py", topic)  # solved
        for path in (kit, *kit.rglob("*")):
            path.chmod(0o755 if path.is_dir() else 0o644)
        monkeypatch.setattr(paths, "exercises_dir", lambda: kit / "exercises")
        assert not any(p.is_dir() and "exercises" in p.parts for p in box.bind_sources())
        done = _inside(folder, f"import os; print(sorted(os.listdir({str(topic)!r}))); "
                               f"print(len(open({str(topic / 'topic.toml')!r}).read()))")
        assert done.returncode == 0, done.stderr[-2000:]
        listing, size = done.stdout.splitlines()
        assert listing == "['topic.toml']", done.stdout  # no params.py
        assert int(size) == len((topic / "topic.toml").read_text())
    finally:
        shutil.rmtree(kit, ignore_errors=True)


def test_uids_are_unique_across_pools_and_processes():
    pool = box_uids.host_uids(LIMITS, 2)
    try:
        mine = {pool.get(), pool.get()}
        other = subprocess.run([sys.executable, "-c", (
            "from grader.grading.box import uids as box_uids; from grader.core.limits import Limits; "
            "print(box_uids.lease_uid(Limits(scratch_mb=64))[0])")],
            capture_output=True, text=True, check=True)
        assert len(mine) == 2 and int(other.stdout) not in mine
    finally:
        pool.close()


def test_a_box_that_cannot_start_names_the_path_not_bubblewrap():
    said = box.explain_start_failure(
        "bwrap: execvp /tmp/field/courseenv/bin/python: No such file or directory")
    assert "/tmp/field/courseenv/bin/python is not visible inside the box" in said
    assert "install" not in said and "user namespaces" not in said
    said = box.explain_start_failure(
        "bwrap: Can't find source path /home/x/.venv: Permission denied")
    assert "cannot reach /home/x/.venv (Permission denied)" in said
    said = box.explain_start_failure("bwrap: No permissions to creating new namespace")
    assert "apt-get install bubblewrap" in said and "user namespaces" in said
