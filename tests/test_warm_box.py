"""One box per student: workers forked from a warm template, and nothing carried over.

A worker's leftovers (a daemon, a file in /tmp) must be gone for the next worker, as if
each had a fresh box; a template that dies must only make the next worker start cold.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from support.warm_student import client_on, warm_student

from grader.core.limits import Limits
from grader.grading.box import bubblewrap as box
from grader.grading.box import uids as box_uids
from grader.grading.worker.client import WorkerClient
from grader.grading.worker.fork_server import ForkedChild
from grader.grading.worker.warm_box import WarmBoxes

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
    with warm_student(LIMITS) as pair:
        yield pair


def _client(warm_box, uid: int, code: str, tmp_path: Path) -> WorkerClient:
    return client_on(warm_box, uid, code, tmp_path, LIMITS)


def test_a_forked_worker_finds_nothing_the_last_one_left(student, tmp_path):
    warm, uid = student
    first = _client(warm, uid, LEAVES, tmp_path)
    first.import_module("params")
    assert isinstance(first.proc, ForkedChild), "the worker was not forked in the warm box"
    first.stop()  # what a restart after a death does
    second = _client(warm, uid, LOOKS, tmp_path)
    # its own namespace's init (1) only: the daemon died with its worker
    assert second.module_attr("params", "OTHERS") == [1]
    second.stop()
    warm.sweep()  # between two topics: scratch emptied too
    third = _client(warm, uid, LOOKS, tmp_path)
    assert third.module_attr("params", "LEFT") is False
    assert third.module_attr("params", "OTHERS") == [1]
    third.stop()


def _template_pids(root: int) -> list[int]:
    """The host pids of the warm templates below process ``root`` (bwrap)."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    below, found = {root}, []
    for _ in range(4):
        below |= {pid for pid, parent in parents.items() if parent in below}
    for pid in below:
        try:
            if b"grader.grading.worker.template" in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(pid)
        except OSError:
            continue
    return found


def test_a_template_that_died_means_a_cold_start(student, tmp_path):
    """No student can reach the template any more (``test_fresh_worker.py``); if it dies
    all the same, the next worker starts cold in a fresh box."""
    warm, uid = student
    first = _client(warm, uid, "x = 1\n", tmp_path)
    first.import_module("params")
    first.stop()
    templates = _template_pids(warm.proc.pid)
    assert templates, "no template found below the warm box"
    for pid in templates:
        os.kill(pid, signal.SIGKILL)
    after = _client(warm, uid, LOOKS, tmp_path)
    assert after.module_attr("params", "LEFT") is False
    assert not isinstance(after.proc, ForkedChild), "a dead template was asked again"
    after.stop()


LEAVES_EVERYTHING = """
import ctypes, os, time
libc = ctypes.CDLL(None, use_errno=True)
os.makedirs("/tmp/locked/inner")
open("/tmp/locked/inner/answers", "w").write("x")
os.chmod("/tmp/locked", 0)
open("/dev/shm/left", "w").write("x")
CREATE = 0o1000 | 0o600  # IPC_CREAT
SYSV = [libc.shmget(0x1234, 4096, CREATE), libc.msgget(0x1235, CREATE),
        libc.semget(0x1236, 1, CREATE)]
ADD_KEY = {"x86_64": 248, "aarch64": 217}.get(os.uname().machine)
KEY = libc.syscall(ADD_KEY, b"user", b"cnnkit-left", b"secret", 6, -4) if ADD_KEY else None
MQ = libc.mq_open(b"/left", os.O_CREAT | os.O_RDWR, 0o600, None)
if os.fork() == 0:  # a double-forked daemon
    os.setsid()
    if os.fork() == 0:
        time.sleep(600)
    os._exit(0)
time.sleep(0.2)
"""

LOOKS_EVERYWHERE = """
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
BINDS = [line.split()[4] for line in open("/proc/self/mountinfo")]
TMP = sorted(e for e in os.listdir("/tmp")  # what the box binds under /tmp stays
             if not any(m == f"/tmp/{e}" or m.startswith(f"/tmp/{e}/") for m in BINDS))
SHM = sorted(os.listdir("/dev/shm"))
IPC = [row for k in ("shm", "msg", "sem")
       for row in open(f"/proc/sysvipc/{k}").read().splitlines()[1:]]
OTHERS = sorted(int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) != os.getpid())
KEYCTL = {"x86_64": 250, "aarch64": 219}.get(os.uname().machine)
KEY = libc.syscall(KEYCTL, 10, -4, b"user", b"cnnkit-left", 0) if KEYCTL else -1  # SEARCH
MQ = libc.mq_open(b"/left", os.O_RDONLY)
STAGE = sorted(os.listdir(os.path.dirname(__file__) + "/../../.."))
"""


def test_the_next_student_of_a_job_finds_the_box_as_if_new(tmp_path):
    """A job's warm box passes to the next student only after a sweep checked it clean:
    processes, scratch (an unreadable folder too), SysV IPC, keys, and the first
    student's files in the stage folder all gone; POSIX queues cannot be made at all."""
    pool = WarmBoxes(LIMITS)
    with box_uids.leased_uid(LIMITS) as uid:
        try:
            warm = pool.take(uid)
            first = _client(warm, uid, LEAVES_EVERYTHING, tmp_path)
            first.import_module("params")
            assert isinstance(first.proc, ForkedChild), "the worker was not forked"
            assert min(first.module_attr("params", "SYSV")) >= 0, "no IPC object was made"
            assert first.module_attr("params", "MQ") == -1, "a POSIX queue could be made"
            if first.module_attr("params", "KEY") is not None:
                assert first.module_attr("params", "KEY") > 0, "no key was added"
            first.stop()
            pool.give_back(warm)
            assert pool.take(uid) is warm, "a box swept clean was not handed on"
            second = _client(warm, uid, LOOKS_EVERYWHERE, tmp_path)
            seen = {name: second.module_attr("params", name)
                    for name in ("TMP", "SHM", "IPC", "OTHERS", "KEY", "MQ", "STAGE")}
            second.stop()
            assert seen["OTHERS"] == [1], seen
            assert seen["TMP"] == [] and seen["SHM"] == [] and seen["IPC"] == [], seen
            assert seen["KEY"] == -1 and seen["MQ"] == -1, seen
            assert len([n for n in seen["STAGE"] if n.startswith("cnnkit-worker-")]) == 1, seen
            pool.give_back(warm)
        finally:
            pool.close()
    assert not warm.stage.exists(), "the box's stage folder outlived the class run"


def test_a_box_that_is_not_clean_is_not_handed_on(tmp_path):
    pool = WarmBoxes(LIMITS)
    with box_uids.leased_uid(LIMITS) as uid:
        try:
            warm = pool.take(uid)
            first = _client(warm, uid, "x = 1\n", tmp_path)
            first.import_module("params")
            first.stop()
            warm.link.request = lambda *a, **k: None  # a template that stopped answering
            pool.give_back(warm)
            again = pool.take(uid)
            assert again is not warm and again is not None and again.usable()
            assert not warm.stage.exists(), "the closed box's stage folder was left"
            again.close()
        finally:
            pool.close()
