"""The one fork server behind the warm templates (the trusted runs' and the workers').

A template is a Python process that has done its imports and then forks one child per
request. Both kinds speak this protocol over a ``SOCK_SEQPACKET`` socket pair:

* the grader's side: ``spawn`` starts the template, ``Link.request`` sends a JSON
  message with file descriptors and waits for the answer with the same id, and
  ``ForkedChild`` is a forked child seen like a ``subprocess.Popen``;
* the template's side: ``ForkServer`` answers ``fork``, ``status`` and the template's own
  operations, one request at a time, reaps its children and keeps their exit codes;
  ``exit_child`` ends a forked child the one safe way (flush, then ``os._exit``).

Whatever goes wrong on a link (no answer in time, a closed socket, an error answer),
the link is broken for good and its callers start their processes cold.
"""

from __future__ import annotations

import itertools
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from typing import Callable

MESSAGE = 1 << 20
READY_TIMEOUT_S = 300.0  # a template's first answer waits for its imports


# --- the grader's side ---------------------------------------------------------------
class Link:
    """Requests to a template, each answered by id (an answer left unread by a run that
    was stopped mid-request is skipped)."""

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
                    data = self.sock.recv(MESSAGE) if ready else b""
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

    def wait_ready(self, timeout: float = READY_TIMEOUT_S) -> bool:
        """Whether the template said it is ready (its imports done) in time."""
        try:
            ready, _, _ = select.select([self.sock], [], [], timeout)
            ok = bool(ready) and json.loads(self.sock.recv(MESSAGE) or b"null") == {"ready": True}
        except (OSError, ValueError):
            ok = False
        self.broken = self.broken or not ok
        return ok

    def fork(self, message: dict, fds) -> "ForkedChild | None":
        answer = self.request({**message, "op": "fork"}, fds)
        pid = answer.get("pid") if answer else None
        return ForkedChild(self, pid) if isinstance(pid, int) and pid > 1 else None


class ForkedChild:
    """A child forked by a template, seen like a ``subprocess.Popen`` (``pid``, ``poll``,
    ``wait``, ``returncode``); ``kill`` is the template's to do (its pid may be the box's)."""

    def __init__(self, link: Link, pid: int):
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
                raise subprocess.TimeoutExpired("forked child", timeout)
            time.sleep(0.02)
        return self.returncode

    def kill(self) -> None:
        self.link.request({"op": "kill", "pid": self.pid}, timeout=10)


def spawn(argv: list[str], **popen) -> tuple[subprocess.Popen, Link]:
    """Start a template: ``argv`` gets the template's end of the socket pair as its last
    argument; ``popen`` goes to ``subprocess.Popen`` (its ``pass_fds`` gains the socket)."""
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        popen["pass_fds"] = (*popen.get("pass_fds", ()), theirs.fileno())
        proc = subprocess.Popen([*argv, str(theirs.fileno())], stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **popen)
    except BaseException:
        ours.close()
        raise
    finally:
        theirs.close()
    return proc, Link(ours)


# --- the template's side -------------------------------------------------------------
class ForkServer:
    """Serves one request at a time: ``fork`` runs ``child(request, fds)`` in a new
    process and answers its pid; ``status`` answers a child's exit code (None while it
    runs); any other op goes to ``handlers``. A bad request is refused, not fatal, and so
    is a fork that ``check`` (run in the template first) raises on."""

    def __init__(self, sock: socket.socket, child: Callable[[dict, list[int]], int],
                 handlers: dict[str, Callable[[dict], dict]] | None = None,
                 check: Callable[[dict], None] | None = None):
        self.sock, self.child, self.handlers = sock, child, dict(handlers or {})
        self.check = check
        self.exits: dict[int, int] = {}
        self.children: set[int] = set()

    def reap(self, *_) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            self.children.discard(pid)
            self.exits[pid] = os.waitstatus_to_exitcode(status)

    def ready(self) -> None:
        signal.signal(signal.SIGCHLD, self.reap)
        self.sock.send(json.dumps({"ready": True}).encode())

    def serve(self) -> None:
        while True:
            try:
                data, fds, _, _ = socket.recv_fds(self.sock, MESSAGE, 4)
            except OSError:
                return
            if not data:
                return
            request = None
            try:
                request = json.loads(data)
                answer = self.answer(request, fds)
            except Exception as exc:  # noqa: BLE001 - a bad request is refused, not fatal
                answer = {"error": type(exc).__name__}
            finally:
                for fd in fds:
                    os.close(fd)
            answer["id"] = request.get("id") if isinstance(request, dict) else None
            try:
                self.sock.send(json.dumps(answer).encode())
            except OSError:
                return

    def answer(self, request: dict, fds: list[int]) -> dict:
        op = request["op"]
        self.reap()
        if op == "fork":
            if self.check is not None:
                self.check(request)
            pid = os.fork()
            if pid == 0:
                code = 70
                try:
                    self.sock.close()
                    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                    code = self.child(request, fds)
                except BaseException:  # noqa: BLE001 - the grader sees a child that died
                    import traceback  # lazy: only a crash prints one

                    traceback.print_exc()
                finally:
                    exit_child(code)
            self.children.add(pid)
            return {"pid": pid}
        if op == "status":
            return {"exit": self.exits.get(int(request["pid"]))}
        return self.handlers[op](request)


def place_fds(fds: list[int], targets: tuple[int, ...]) -> None:
    """In a forked child: stdin from /dev/null, stdout and stderr to ``fds[0]``, and each
    further fd at its number in ``targets``. Each fd is moved above the targets first, so
    no dup2 overwrites one still needed."""
    moved = [os.dup2(fd, 100 + i) for i, fd in enumerate(fds)]
    for fd in fds:
        os.close(fd)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(moved[0], 1)
    os.dup2(moved[0], 2)
    for fd, target in zip(moved[1:], targets):
        os.dup2(fd, target)
    for fd in moved:
        os.close(fd)


def exit_child(code) -> None:
    """The end of every forked child: its output flushed, then ``os._exit`` (no atexit
    handler or finalizer of the template runs twice)."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code if isinstance(code, int) else 70)
