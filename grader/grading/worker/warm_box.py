"""One box per student, with a warm worker template inside (``template.py``).

The grader starts it before the student's first topic (``WarmBox``): bwrap with the same
limits as any worker's box, binding only the student's stage folder, where each topic's
trusted run lays out the files its worker may read. The topic runs' workers are then
forked from the template instead of each starting Python and PyTorch in a box of its
own; between two topics the grader has the box swept (``sweep``). The trusted runs reach
the template through ``TemplateLink`` on a socket they inherit.

Whatever goes wrong with the template (it cannot start, it died, it answers nonsense),
the worker is started cold in a fresh box, as before.
"""

from __future__ import annotations

import itertools
import json
import os
import select
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

from grader.core.limits import Limits
from grader.grading import box as boxes

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
    """The student's box and its template; ``stage`` is the folder it sees (read-only,
    at the same path)."""

    def __init__(self, stage: Path, limits: Limits, host_uid: int):
        from grader.grading.worker.client import worker_env  # lazy: keeps torch out of start-up

        self.stage = stage
        boxes.prepare_folder(stage)
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        argv = [boxes.python(), "-I", "-m", "grader.grading.worker.template",
                str(theirs.fileno())]
        cmd, staged = boxes.command(stage, argv, limits, inside=str(stage))
        try:
            self.proc = subprocess.Popen(
                cmd, env=worker_env(), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL, pass_fds=(theirs.fileno(),),
                preexec_fn=boxes.preexec(limits, host_uid, staged))
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

    def sweep(self) -> None:
        """Between two topics: no process of the last one is left, scratch is empty. A
        box that cannot be swept is not used again."""
        if self.usable() and self.link.request({"op": "sweep"}, timeout=60) is None:
            self.link.broken = True

    def close(self) -> None:
        self.link.broken = True
        boxes.kill(self.proc)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:  # pragma: no cover
            pass
        self.sock.close()


def link_from_fd(fd: int | None) -> TemplateLink | None:
    """The link a trusted run inherited (``--cnnkit-template-fd``), if any."""
    if fd is None:
        return None
    try:
        return TemplateLink(socket.socket(fileno=fd))
    except OSError:
        return None
