"""One box per student: workers forked from a warm template, and nothing carried over.

A worker's leftovers (a daemon, a file in /tmp) must be gone for the next worker, as if
each had a fresh box; a template that dies must only make the next worker start cold.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from grader.core.limits import Limits
from grader.grading import box
from grader.grading.worker.client import WorkerClient
from grader.grading.worker.session import stage_box
from grader.grading.worker.warm_box import ForkedWorker, WarmBox

LIMITS = Limits(scratch_mb=64)
_why = box.available(LIMITS)
pytestmark = pytest.mark.skipif(bool(_why), reason=_why)

LEAVES = """
import os, time
open("/tmp/left-behind", "w").write("x")
if os.fork() == 0:  # a double-forked daemon
    os.setsid()
    if os.fork() == 0:
        time.sleep(600)
    os._exit(0)
time.sleep(0.2)
"""

LOOKS = """
import os
LEFT = os.path.exists("/tmp/left-behind")
OTHERS = sorted(int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) != os.getpid())
"""


@pytest.fixture
def student():
    stage = Path(tempfile.mkdtemp(prefix="cnnkit-student-"))
    with box.leased_uid(LIMITS) as uid:
        warm = WarmBox(stage, LIMITS, uid)
        yield warm, uid
        warm.close()
    shutil.rmtree(stage, ignore_errors=True)


def _client(warm: WarmBox, uid: int, code: str, tmp_path: Path) -> WorkerClient:
    source = tmp_path / f"src{len(list(tmp_path.iterdir()))}"
    source.mkdir()
    (source / "params.py").write_text(code)
    folder = stage_box("01_cnn", source, parent=warm.stage)
    client = WorkerClient(folder, str(folder / "submission" / "01_cnn"), LIMITS, uid)
    client.template = warm.link
    return client


def test_a_forked_worker_finds_nothing_the_last_one_left(student, tmp_path):
    warm, uid = student
    first = _client(warm, uid, LEAVES, tmp_path)
    first.import_module("params")
    assert isinstance(first.proc, ForkedWorker), "the worker was not forked in the warm box"
    first.stop()  # what a restart after a death does
    second = _client(warm, uid, LOOKS, tmp_path)
    # the template (2) and bwrap's init (1) only: the daemon died with its worker
    assert second.module_attr("params", "OTHERS") == [1, 2]
    second.stop()
    warm.sweep()  # between two topics: scratch emptied too
    third = _client(warm, uid, LOOKS, tmp_path)
    assert third.module_attr("params", "LEFT") is False
    assert third.module_attr("params", "OTHERS") == [1, 2]
    third.stop()


def test_a_template_killed_by_the_student_means_a_cold_start(student, tmp_path):
    warm, uid = student
    killer = _client(warm, uid, "import os, signal\nos.kill(2, signal.SIGKILL)\n", tmp_path)
    killer.import_module("params")
    killer.stop()
    after = _client(warm, uid, LOOKS, tmp_path)
    assert after.module_attr("params", "LEFT") is False
    assert not isinstance(after.proc, ForkedWorker), "a dead template was asked again"
    after.stop()
