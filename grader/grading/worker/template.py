"""Inside a warm box: a worker template that forks each topic's worker.

Run as ``python -I -m grader.grading.worker.template CONTROL_FD`` in a job's warm box
(``warm_box``), which serves one student at a time. It imports what workers import (PyTorch, torchvision, Lightning), once,
and then answers the grader on its control socket, one request at a time:

* ``fork``: a new worker (``worker.main``) for a topic folder, on the pipes passed with
  the request; its pid comes back. The child drops the control socket, then starts the
  worker in fresh pid, network, IPC, UTS and mount namespaces with the execution context
  the template started with (``fresh_worker``), before any student code runs: student
  code never speaks to the template and cannot name its pid;
* ``status`` / ``kill``: a worker's exit code, or SIGKILL to it and every process it
  left (one worker runs at a time);
* ``sweep``: between two topics (and two students of one job), kill every other process
  of the box, empty the scratch folders and remove the SysV IPC objects and keys left,
  so each run starts as in a fresh box; the answer says whether that was checked clean.

The template never runs student code. It is outside every worker's pid namespace and not
dumpable, so the student's processes cannot signal, limit, trace or read it. A template
whose own context changed, or that cannot start a fresh worker, forks nothing: the grader
starts the next workers cold, each in a fresh box, as before.
"""

from __future__ import annotations

import ctypes
import json
import os
import re
import shutil
import signal
import socket
import sys
import time
from pathlib import Path

from grader.grading.worker import fork_server, fresh_worker

_PR_SET_DUMPABLE = 4
SCRATCH = ("/tmp", "/dev/shm")


class Template:
    """The template's own operations beside ``fork`` and ``status`` (``fork_server``)."""

    def __init__(self, sock: socket.socket, context: fresh_worker.Context):
        self.context = context
        self.server = fork_server.ForkServer(sock, self._child,
                                             {"kill": self.kill, "sweep": self.sweep},
                                             check=self._unchanged)

    def _unchanged(self, request: dict) -> None:
        """Never fork from a template whose own limits or scheduling someone changed: the
        refusal makes the grader start that worker, and the next ones, cold."""
        drift = self.context.drift()
        if drift:
            raise fresh_worker.NotIsolated(0, ", ".join(drift))

    def kill(self, request: dict) -> dict:
        """One worker at a time: whatever it left dies with it."""
        self.kill_all()
        return {}

    def kill_all(self) -> None:
        """Every process of this box but bwrap's init and this one, as when a worker's
        own box died: a daemon it left cannot outlive it."""
        for _ in range(20):
            try:
                os.kill(-1, signal.SIGKILL)  # all we may signal, save init and ourselves
            except ProcessLookupError:
                pass
            self.server.reap()
            if not self.server.children and not _others():
                break
            time.sleep(0.01)  # orphans are bwrap's init's to reap

    def sweep(self, request: dict | None = None) -> dict:
        """Between two runs (two topics, or two students of one job): no process left,
        the scratch folders emptied, no SysV IPC object and no key of this uid left.
        ``clean`` says whether all of that was checked to hold; a box that is not clean
        is never used again."""
        self.kill_all()
        self.server.children.clear()
        self.server.exits.clear()
        mounts, holders = _mounts()
        left = [path for folder in SCRATCH for path in _empty(folder, mounts, holders)]
        ipc_left = _remove_sysv_ipc()
        _clear_keys()
        return {"clean": not _others() and not ipc_left and not left}

    def _child(self, request: dict, fds: list[int]) -> int:
        """A worker: fresh namespaces and its execution context first."""
        os.setsid()
        fresh_worker.fork_fresh(self.context, tuple(fds))  # returns in the worker only
        request_fd, reply_fd, output = fds
        os.dup2(output, 1)
        os.dup2(output, 2)
        os.close(output)
        from grader.grading.worker import worker  # lazy: imported by the warm-up

        return worker.main([str(request["topic_dir"]), str(request_fd), str(reply_fd)])


def _others() -> list[int]:
    me = os.getpid()
    return [int(p.name) for p in Path("/proc").iterdir()
            if p.name.isdigit() and int(p.name) not in (1, me)]


def _mounts() -> tuple[set[str], set[str]]:
    """The box's mount points, and every folder above one (bwrap made those to hold
    them: a kit or an environment under /tmp is bound there)."""
    points: set[str] = set()
    with open("/proc/self/mountinfo", encoding="utf-8") as table:
        for line in table:
            field = line.split()[4]
            points.add(re.sub(r"\\([0-7]{3})", lambda m: chr(int(m[1], 8)), field))
    holders = {str(parent) for point in points for parent in Path(point).parents}
    return points, holders


def _empty(folder: str, mounts: set[str], holders: set[str]) -> list[str]:
    """Everything in ``folder`` removed but the binds and the folders holding them,
    folders the student made unreadable included; what could not be removed."""
    left: list[str] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return [folder]
    for entry in entries:
        if entry.path in mounts:
            continue
        if entry.path in holders and entry.is_dir(follow_symlinks=False):
            left += _empty(entry.path, mounts, holders)
            continue
        _remove(entry.path)
        if os.path.lexists(entry.path):
            left.append(entry.path)
    return left


def _remove(path: str) -> None:
    try:
        if os.path.isdir(path) and not os.path.islink(path):
            os.chmod(path, 0o700)
            for top, dirs, _ in os.walk(path):
                for name in dirs:
                    os.chmod(os.path.join(top, name), 0o700, follow_symlinks=False)
            shutil.rmtree(path, ignore_errors=True)
        else:
            os.unlink(path)
    except OSError:
        pass


_IPC_RMID = 0
_SYSV = {"shm": "shmctl", "sem": "semctl", "msg": "msgctl"}


def _remove_sysv_ipc() -> int:
    """Every SysV shared memory segment, semaphore set and message queue of the box's
    IPC namespace removed; how many could not be."""
    libc, left = ctypes.CDLL(None, use_errno=True), 0
    for kind, call in _SYSV.items():
        try:
            rows = Path(f"/proc/sysvipc/{kind}").read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            ident = int(row.split()[1])
            done = libc.semctl(ident, 0, _IPC_RMID) if kind == "sem" else \
                getattr(libc, call)(ident, _IPC_RMID, None)
            left += done != 0
    return left


_KEYCTL = {"x86_64": 250, "aarch64": 219, "ppc64le": 280, "s390x": 280}
_KEYCTL_CLEAR, _KEYCTL_GET_PERSISTENT = 7, 22
_USER_KEYRING, _USER_SESSION_KEYRING, _PROCESS_KEYRING = -4, -5, -2


def _clear_keys() -> None:
    """The uid's user, user-session and persistent keyrings emptied: keys are the one
    store of the kernel's that outlives processes and is not a file or an IPC object."""
    number = _KEYCTL.get(os.uname().machine)
    if number is None:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    for ring in (_USER_KEYRING, _USER_SESSION_KEYRING):
        libc.syscall(number, _KEYCTL_CLEAR, ring)
    persistent = libc.syscall(number, _KEYCTL_GET_PERSISTENT, -1, _PROCESS_KEYRING)
    if persistent > 0:
        libc.syscall(number, _KEYCTL_CLEAR, persistent)


def warm_up() -> None:
    """What workers import, before any student code: the library layers' tables too, and
    matplotlib with its fonts loaded (the topics' figures would each load them again)."""
    from grader.grading.worker import wire, worker  # lazy: the warm-up is this function's job

    worker.insulate()
    import lightning  # noqa: F401  # lazy: the warm-up is this function's job
    import matplotlib  # lazy: the warm-up is this function's job

    matplotlib.use("Agg")
    import matplotlib.pyplot  # noqa: F401  # lazy: the warm-up is this function's job
    import torchinfo  # noqa: F401  # lazy: the warm-up is this function's job
    from lightning.pytorch.loggers import CSVLogger  # noqa: F401  # lazy: as above
    from PIL import Image  # noqa: F401  # lazy: the warm-up is this function's job

    from grader.lab import data, training, weights  # noqa: F401  # lazy: as above
    from grader.testkit import probes  # noqa: F401  # lazy: the warm-up is this function's job

    wire.library_modules()
    wire.library_transforms()
    _draw_once()
    from grader.grading.worker import data_memo  # lazy: the warm-up is this function's job

    data_memo.install()
    data_memo.warm()
    import gc  # lazy: only the warm-up freezes

    gc.freeze()


def _draw_once() -> None:
    """One small figure drawn off-screen, so matplotlib's font list and font are loaded."""
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(1, 1))
    FigureCanvasAgg(figure)
    figure.add_subplot().set_title("0")
    figure.savefig(io.BytesIO(), format="png")


def trial_fork(context: fresh_worker.Context) -> bool:
    """Whether a fresh worker starts here and checks out (no capability, its own pid
    namespace, the template's limits), before any student's worker is forked."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            fresh_worker.fork_fresh(context)
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


def main(control_fd: int) -> None:
    ctypes.CDLL(None).prctl(_PR_SET_DUMPABLE, 0)  # the student's processes cannot trace us
    context = fresh_worker.Context.now()  # before any handler of ours or any import
    sock = socket.socket(fileno=control_fd)
    warm_up()
    if not trial_fork(context):  # the grader starts its workers cold instead
        sock.send(json.dumps({"ready": False}).encode())
        return
    template = Template(sock, context)
    template.server.ready()
    template.server.serve()


if __name__ == "__main__":
    main(int(sys.argv[1]))
