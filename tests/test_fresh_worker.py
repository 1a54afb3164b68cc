"""Each forked worker starts in fresh namespaces with the grader's execution context, so
one student can never change what happens to the next one in the job.

The attacks are the ones an outside red team used against the warm box: ``prlimit`` on
the template (every later worker inherited the cap) and a submission written into the
names of loopback connections and abstract sockets that outlive their process, which a
classmate's loader rebuilt and ran.
"""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from support.warm_student import client_on, warm_student

from grader.core import paths
from grader.core.limits import Limits
from grader.grading.box import bubblewrap as box
from grader.grading.pipeline import grade_class
from grader.grading.worker.client import WorkerClient
from grader.grading.worker.fork_server import ForkedChild

LIMITS = Limits(scratch_mb=64)
_why = box.available(LIMITS)
pytestmark = pytest.mark.skipif(bool(_why), reason=_why)

# What a worker sees of itself and its world.
LOOKS = """
import os, signal
STATUS = dict(l.rstrip("\\n").split(":\\t", 1) for l in open("/proc/self/status") if ":\\t" in l)
PID, PPID = os.getpid(), os.getppid()
NET = os.readlink("/proc/self/ns/net")
IPC = os.readlink("/proc/self/ns/ipc")
PIDS = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
UMASK = os.umask(0o022)
BLOCKED = sorted(int(s) for s in signal.pthread_sigmask(signal.SIG_BLOCK, []))
import resource
AS = resource.getrlimit(resource.RLIMIT_AS)
NOFILE = resource.getrlimit(resource.RLIMIT_NOFILE)
NICE = os.getpriority(os.PRIO_PROCESS, 0)
ENV = sorted(os.environ)
UNIX = open("/proc/net/unix").read()
TCP = open("/proc/net/tcp").read()
SYSV = open("/proc/sysvipc/shm").read().splitlines()[1:]
"""

# Lower every limit of every process it can name, change its own context, leave sockets.
ATTACKS = """
import os, resource, signal, socket
me = os.getpid()
for pid in {os.getppid(), *range(1, 200), *(int(p) for p in os.listdir("/proc") if p.isdigit())}:
    if pid == me:
        continue
    for limit in (resource.RLIMIT_AS, resource.RLIMIT_NOFILE, resource.RLIMIT_NPROC):
        try:
            resource.prlimit(pid, limit, (1 << 16, 1 << 16))
        except OSError:
            pass
    for sig in (signal.SIGSTOP, signal.SIGKILL):
        try:
            os.kill(pid, sig)
        except OSError:
            pass
os.umask(0o777)
os.nice(10)
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGUSR1})
os.environ["LEFT_BY_ATTACKER"] = "1"
import ctypes
ctypes.CDLL(None).shmget(0x5eed, 4096, 0o1000 | 0o600)  # IPC_CREAT
HELD = []
for i in range(3):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(b"\\0cnnkit-leak-%d" % i)
    s.listen()
    HELD.append(s)
if os.fork() == 0:  # keep them open after the worker ends
    os.setsid()
    import time
    time.sleep(600)
    os._exit(0)
"""


@pytest.fixture
def warm():
    with warm_student(LIMITS) as pair:
        yield pair


def _client(warm_box, uid: int, code: str, tmp_path: Path) -> WorkerClient:
    return client_on(warm_box, uid, code, tmp_path, LIMITS)


def _seen(client: WorkerClient) -> dict:
    names = ("STATUS", "PID", "PPID", "NET", "IPC", "PIDS", "UMASK", "BLOCKED", "AS", "NOFILE",
             "NICE", "ENV", "UNIX", "TCP", "SYSV")
    return {name: client.module_attr("params", name) for name in names}


def test_a_forked_worker_holds_no_capability_and_sees_only_its_own_namespace(warm, tmp_path):
    warm_box, uid = warm
    first = _client(warm_box, uid, LOOKS, tmp_path)
    seen = _seen(first)
    assert isinstance(first.proc, ForkedChild), "the worker was not forked in the warm box"
    first.stop()
    for field in ("CapInh", "CapPrm", "CapEff", "CapAmb", "CapBnd"):
        assert int(seen["STATUS"][field], 16) == 0, (field, seen["STATUS"][field])
    assert seen["STATUS"]["NoNewPrivs"].strip() == "1"
    assert (seen["PID"], seen["PPID"]) == (2, 1), "not pid 2 of a pid namespace of its own"
    assert seen["PIDS"] == [1, 2], "the worker sees processes outside its namespace"


def test_two_workers_alive_at_once_share_no_namespace(warm, tmp_path):
    warm_box, uid = warm
    first, second = (_client(warm_box, uid, LOOKS, tmp_path) for _ in range(2))
    one, two = _seen(first), _seen(second)
    first.stop()
    second.stop()
    for name in ("NET", "IPC"):
        assert one[name] != two[name], f"two workers shared a namespace: {one[name]}"


def test_what_a_worker_does_to_others_and_itself_never_reaches_the_next(warm, tmp_path):
    warm_box, uid = warm
    before = _client(warm_box, uid, LOOKS, tmp_path)
    clean = _seen(before)
    before.stop()
    attacker = _client(warm_box, uid, ATTACKS + LOOKS, tmp_path)
    attacker.import_module("params")
    attacker.stop()
    after = _client(warm_box, uid, LOOKS, tmp_path)
    seen = _seen(after)
    assert isinstance(after.proc, ForkedChild), "the template did not survive the attack"
    after.stop()
    for name in ("AS", "NOFILE", "UMASK", "BLOCKED", "NICE", "ENV"):
        assert seen[name] == clean[name], (name, seen[name], clean[name])
    assert "cnnkit-leak" not in seen["UNIX"], "an abstract socket outlived its worker"
    assert seen["TCP"] == clean["TCP"]
    assert seen["SYSV"] == [], "a SysV segment outlived its worker"


def test_a_template_whose_context_changed_forks_nothing():
    """Context.drift is what the template checks before each fork."""
    code = textwrap.dedent("""
        import resource
        from grader.grading.worker import fresh_worker
        context = fresh_worker.Context.now()
        assert context.drift() == [], context.drift()
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(soft, 64), hard))
        print(",".join(context.drift()))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=paths.KIT_ROOT).stdout.strip()
    assert out == f"rlimit {resource.RLIMIT_NOFILE}", out


# --- graded in one job: the attacker first, then an honest classmate, then a loader ----
LEAK = """
import os, socket
_SOURCE = open(__file__, "rb").read()
_HELD = []
def _leak():
    try:  # the file in the names of loopback connections left in TIME_WAIT
        server = socket.socket(); server.bind(("127.0.0.1", 0)); server.listen(64)
        port = server.getsockname()[1]
        chunks = [_SOURCE[i:i + 3].ljust(3, b"\\0") for i in range(0, len(_SOURCE), 3)]
        for n, chunk in enumerate(chunks[:2000]):
            client = socket.socket()
            client.bind(("127.%d.%d.%d" % tuple(chunk), 1024 + n))
            client.connect(("127.0.0.1", port))
            peer, _ = server.accept()
            client.close(); peer.close()
    except OSError:
        pass
    for i in range(0, len(_SOURCE), 40):  # and in abstract socket names, held by a daemon
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.bind(b"\\0cnnkit-leak-%05d-" % i + _SOURCE[i:i + 40].hex().encode())
            s.listen(); _HELD.append(s)
        except OSError:
            pass
    if os.fork() == 0:
        os.setsid()
        import time
        time.sleep(600)
        os._exit(0)
    import resource
    for pid in {os.getppid(), *range(1, 100)}:
        try:
            resource.prlimit(pid, resource.RLIMIT_AS, (64 << 20, 64 << 20))
        except OSError:
            pass
_leak()
"""

LOADER = '''"""Rebuilds a classmate's params.py from what the network namespace still shows."""
import os
_parts = {}
for _line in open("/proc/net/unix").read().splitlines():
    if "@cnnkit-leak-" in _line:
        _, _at, _rest = _line.rpartition("@cnnkit-leak-")
        _index, _, _hex = _rest.partition("-")
        _parts[int(_index)] = bytes.fromhex(_hex)
_code = b"".join(_parts[k] for k in sorted(_parts))
if not _code:
    _rows = [l.split() for l in open("/proc/net/tcp").read().splitlines()[1:]]
    _seen = {}
    for _row in _rows:
        _address, _port = _row[1].split(":")
        _raw = bytes.fromhex(_address)[::-1]
        if _row[3] == "06" and _raw[0] == 127 and int(_port, 16) >= 1024:
            _seen[int(_port, 16) - 1024] = _raw[1:]
    _code = b"".join(_seen[k] for k in sorted(_seen)).rstrip(b"\\0")
if _code:
    exec(compile(_code, "classmate", "exec"), globals())
'''


def _params_points(results: dict, student: str) -> tuple[float, float]:
    exercise = results[student]["cnnkit"]["exercises"]["01_cnn/params"]
    return exercise["score"], exercise["max_score"]


@pytest.mark.slow
def test_an_attacker_changes_nothing_for_the_classmates_after_it_in_the_job(tmp_path):
    solution = paths.solutions_dir() / "01_cnn"
    subs = tmp_path / "subs"
    for name in ("a_attacker", "b_honest", "c_loader"):
        shutil.copytree(solution, subs / name / "01_cnn")
    attacker = subs / "a_attacker" / "01_cnn" / "params.py"
    attacker.write_text(attacker.read_text() + LEAK)
    (subs / "c_loader" / "01_cnn" / "params.py").write_text(LOADER)
    limits = Limits(topic_timeout_s=300, memory_mb=6144, test_timeout_s=60, scratch_mb=256)
    results = grade_class(subs, tmp_path / "out", jobs=1, topics=["01_cnn"], limits=limits)
    honest = results["b_honest"]
    assert honest["score"] == honest["max_score"], json.dumps(honest, indent=1)[:4000]
    points, most = _params_points(results, "c_loader")
    assert points == 0 < most, "the loader rebuilt its classmate's file"
