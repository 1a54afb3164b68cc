"""A warm box per job, with a worker template inside (``template.py``).

``WarmBox``: bwrap with the same limits as any worker's box, binding only its stage
folder, where each topic's trusted run lays out the files its worker may read. The topic
runs' workers are forked from the template instead of each starting Python and PyTorch
in a box of its own; after each run the box is swept (``sweep``) and checked clean. The
trusted runs reach the template through ``TemplateLink`` on a socket they inherit.

``WarmBoxes``: a class run keeps one warm box per box uid (per parallel job) and hands it
from one student to the next only after a sweep found it clean and the stage folder was
emptied, so each student starts as in a fresh box without paying the imports again.

Whatever goes wrong with the template (it cannot start, it died, it answers nonsense, a
sweep was not clean), the box is not used again: the next worker starts cold in a fresh
box, as before, and the next student gets a new warm box.
"""

from __future__ import annotations

import itertools
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from grader.core.limits import Limits
from grader.grading import box as boxes
from grader.grading import safefiles

READY_TIMEOUT_S = 300.0  # the template's first answer waits for its imports
_MESSAGE = 1 << 20


class TemplateLink:
    """Requests to the template, each answered by id (an answer left unread by a run
    that was stopped mid-request is skipped)."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.ids = itertools.count(int.from_bytes(os.urandom(4), "big"))
        self.lock = threading.Lock()
        self.broken = False

    def request(self, message: dict, fds=(), timeout: float = READY_TIMEOUT_S) -> dict | None:
        """The answer, or None (and the link is broken for good) when none comes."""
        if self.broken:
            return None
        with self.lock:
            ident = next(self.ids)
            try:
                socket.send_fds(self.sock, [json.dumps({**message, "id": ident}).encode()],
                                list(fds))
                end = time.monotonic() + timeout
                while True:
                    ready, _, _ = select.select([self.sock], [], [],
                                                max(0.0, end - time.monotonic()))
                    data = self.sock.recv(_MESSAGE) if ready else b""
                    if not data:
                        break
                    answer = json.loads(data)
                    if isinstance(answer, dict) and answer.get("id") == ident:
                        if "error" in answer:
                            break
                        return answer
            except (OSError, ValueError):
                pass
            self.broken = True
            return None

    def fork(self, topic_dir: str, request_fd: int, reply_fd: int, output_fd: int):
        """A new worker for ``topic_dir`` on these pipes: a ``ForkedWorker``, or None."""
        answer = self.request({"op": "fork", "topic_dir": topic_dir},
                              [request_fd, reply_fd, output_fd])
        pid = answer.get("pid") if answer else None
        return ForkedWorker(self, pid) if isinstance(pid, int) and pid > 1 else None


class ForkedWorker:
    """A worker forked in the box, seen like a ``subprocess.Popen`` (``poll``, ``wait``,
    ``returncode``), with ``kill`` done by the template (its pid is the box's)."""

    def __init__(self, link: TemplateLink, pid: int):
        self.link, self.pid, self.returncode = link, pid, None

    def poll(self):
        if self.returncode is None:
            answer = self.link.request({"op": "status", "pid": self.pid}, timeout=10)
            if answer is None:
                self.returncode = -signal.SIGKILL  # the template is gone, and its children
            elif isinstance(answer.get("exit"), int):
                self.returncode = answer["exit"]
        return self.returncode

    def wait(self, timeout: float | None = None):
        end = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if end is not None and time.monotonic() >= end:
                raise subprocess.TimeoutExpired("worker", timeout)
            time.sleep(0.02)
        return self.returncode

    def kill(self) -> None:
        self.link.request({"op": "kill", "pid": self.pid}, timeout=10)


class WarmBox:
    """A box and its template; ``stage`` is the folder it sees (read-only, at the same
    path): a new one of its own, removed on ``close``, when none is given."""

    def __init__(self, stage: Path | None, limits: Limits, host_uid: int):
        from grader.grading.worker.client import worker_env  # lazy: keeps torch out of start-up

        self.owns_stage = stage is None
        stage = Path(tempfile.mkdtemp(prefix="cnnkit-student-")) if stage is None else stage
        self.stage, self.host_uid = stage, host_uid
        boxes.prepare_folder(stage)
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        argv = [boxes.python(), "-I", "-m", "grader.grading.worker.template",
                str(theirs.fileno())]
        try:
            cmd, staged = boxes.command(stage, argv, limits, inside=str(stage),
                                        caps=("CAP_SYS_ADMIN", "CAP_SETPCAP"))
            self.proc = subprocess.Popen(
                cmd, env=worker_env(), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL, pass_fds=(theirs.fileno(),),
                preexec_fn=boxes.preexec(limits, host_uid, staged))
        except BaseException:
            ours.close()
            if self.owns_stage:
                shutil.rmtree(stage, ignore_errors=True)
            raise
        finally:
            theirs.close()
        self.sock = ours
        self.link = TemplateLink(ours)

    @property
    def fd(self) -> int:
        """The socket a trusted run inherits to ask for workers."""
        return self.sock.fileno()

    def usable(self) -> bool:
        return not self.link.broken and self.proc.poll() is None

    def sweep(self) -> bool:
        """After a run: no process of it is left, scratch is empty, no IPC object or key
        is left. A box that cannot be swept clean is not used again."""
        if not self.usable():
            return False
        answer = self.link.request({"op": "sweep"}, timeout=60)
        if not (answer and answer.get("clean") is True):
            self.link.broken = True
        return not self.link.broken

    def clear_for_next_student(self) -> bool:
        """Swept, and the stage folder holds nothing a run laid there: only then may the
        next student of this job use the box."""
        if not self.sweep():
            return False
        keep = {".passwd", ".group"}  # the box's /etc/passwd and /etc/group
        for entry in self.stage.iterdir():
            if entry.name not in keep:
                safefiles.remove_tree(entry)
        return {e.name for e in self.stage.iterdir()} <= keep

    def close(self) -> None:
        self.link.broken = True
        boxes.kill(self.proc)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:  # pragma: no cover
            pass
        self.sock.close()
        if self.owns_stage:
            safefiles.remove_tree(self.stage)


class WarmBoxes:
    """A class run's warm boxes, one per box uid; each serves one student at a time."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.idle: dict[int, WarmBox] = {}
        self.lock = threading.Lock()

    def take(self, host_uid: int) -> WarmBox | None:
        """The uid's box, cleared after its last student, or a new one (None when it
        cannot start: the workers start cold)."""
        with self.lock:
            warm = self.idle.pop(host_uid, None)
        if warm is not None and warm.usable():
            return warm
        if warm is not None:
            warm.close()
        try:
            return WarmBox(None, self.limits, host_uid)
        except OSError:  # the machine's problem: the workers start cold instead
            return None

    def give_back(self, warm: WarmBox) -> None:
        """After a student: kept for the next one only when cleared."""
        try:
            cleared = warm.clear_for_next_student()
        except OSError:
            cleared = False
        if not cleared:
            warm.close()
            return
        with self.lock:
            self.idle[warm.host_uid] = warm

    def close(self) -> None:
        with self.lock:
            boxes_left, self.idle = list(self.idle.values()), {}
        for warm in boxes_left:
            warm.close()


def link_from_fd(fd: int | None) -> TemplateLink | None:
    """The link a trusted run inherited (``--cnnkit-template-fd``), if any."""
    if fd is None:
        return None
    try:
        return TemplateLink(socket.socket(fileno=fd))
    except OSError:
        return None
