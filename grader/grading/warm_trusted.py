"""A warm template for the trusted runs: each topic's trusted pytest is forked from it.

A grading job starts one template (``python -I -m grader.grading.warm_trusted``) in the
trusted runs' clean environment. It imports the libraries the kit's tests import, once,
and then forks one child per trusted run; the child runs exactly the pytest command
line a cold run would (``isolated_run._run_once``). The template never runs a test and
never sees student code: student code runs only in the boxed worker, as before.

The grader and the template talk over a socket pair, one run at a time: a request
carries the arguments, the folder, the memory cap, and (as file descriptors) the run's
output pipe and result channel; the template answers with the child's pid, then its
exit code. When the template cannot start or dies, the run starts cold instead.
"""

from __future__ import annotations

import atexit
import json
import os
import resource
import select
import signal
import socket
import subprocess
import sys
import threading

RESULTS_FD = 3  # where the child finds its result channel (``--cnnkit-results-fd``)
BOX_FD = 4  # and the student's warm box, when there is one (``--cnnkit-template-fd``)
READY_TIMEOUT_S = 300.0
_MESSAGE = 1 << 20


# --- the grader's side ------------------------------------------------------------------

class WarmChild:
    """A trusted run forked from the template, seen like a ``subprocess.Popen``: ``pid``
    (its own process group, for ``box.kill``), ``wait``, ``poll``, ``returncode``."""

    def __init__(self, template: Template, pid: int):
        self.template, self.pid, self.returncode = template, pid, None

    def poll(self):
        if self.returncode is None:
            self.returncode = self.template.exit_code(0)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            self.returncode = self.template.exit_code(timeout)
        if self.returncode is None:
            raise subprocess.TimeoutExpired("warm trusted run", timeout)
        return self.returncode


class Template:
    def __init__(self, env: dict[str, str]):
        self.env = env
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.sock = ours
        self.proc = subprocess.Popen(
            [sys.executable, "-I", "-m", "grader.grading.warm_trusted", str(theirs.fileno())],
            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, pass_fds=(theirs.fileno(),), start_new_session=True)
        theirs.close()
        self.ready = self._receive(READY_TIMEOUT_S) == {"ready": True}
        self.child: WarmChild | None = None

    def alive(self) -> bool:
        return self.ready and self.proc.poll() is None

    def start(self, args: list[str], cwd: str, memory_bytes: int, output_fd: int,
              results_fd: int, box_fd: int | None = None) -> WarmChild | None:
        """Fork a trusted run; None when the template cannot (then start it cold)."""
        request = json.dumps({"args": args, "cwd": cwd, "memory_bytes": memory_bytes})
        fds = [output_fd, results_fd] + ([box_fd] if box_fd is not None else [])
        try:
            socket.send_fds(self.sock, [request.encode()], fds)
            answer = self._receive(60)
        except OSError:
            answer = None
        if not isinstance(answer, dict) or not isinstance(answer.get("pid"), int):
            self.close()
            return None
        self.child = WarmChild(self, answer["pid"])
        return self.child

    def exit_code(self, timeout: float | None) -> int | None:
        answer = self._receive(timeout)
        if answer is None:
            if self.proc.poll() is None:
                return None  # still running
            return -signal.SIGKILL  # the template died: so did its child's waiting parent
        return int(answer.get("exit", -signal.SIGKILL))

    def _receive(self, timeout: float | None):
        ready, _, _ = select.select([self.sock], [], [], timeout)
        if not ready:
            return None
        try:
            data = self.sock.recv(_MESSAGE)
        except OSError:
            return None
        if not data:
            self.ready = False
            return None
        return json.loads(data)

    def close(self) -> None:
        self.ready = False
        try:
            self.sock.close()
        finally:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            self.proc.wait()


def cold_start() -> bool:
    """``CNNKIT_COLD_START=1``: no warm template, every run and worker starts cold (for a
    benchmark's side-by-side figure, or to rule the templates out)."""
    return os.environ.get("CNNKIT_COLD_START") == "1"


_TEMPLATES: dict[object, Template] = {}
_LOCK = threading.Lock()


def template_for(slot: object, env: dict[str, str]) -> Template | None:
    """The live template of a grading job's ``slot`` (its box uid: one job at a time
    holds it), started on first use; None when none can start here."""
    if cold_start():
        return None
    with _LOCK:
        template = _TEMPLATES.get(slot)
    if template is not None and template.alive() and template.env == env:
        return template
    if template is not None:
        template.close()
    try:
        template = Template(env)
    except OSError:
        return None
    if not template.ready:
        template.close()
        return None
    with _LOCK:
        _TEMPLATES[slot] = template
    return template


@atexit.register
def close_all() -> None:
    with _LOCK:
        templates = list(_TEMPLATES.values())
        _TEMPLATES.clear()
    for template in templates:
        template.close()


# --- the template's side ----------------------------------------------------------------

def serve(sock: socket.socket) -> None:
    """Warm up, say so, then fork one child per request until the grader goes away."""
    import ctypes  # lazy: only the template sets its death signal

    ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: never outlive the grader
    from grader.testkit.warm_imports import warm_up  # lazy: the warm-up is timed after the start
    import grader.grading.worker.plugin  # noqa: F401  # lazy: warm-up, after the start

    warm_up(environment_plugins=False)
    from grader.grading.worker import data_memo  # lazy: the warm-up is timed after the start

    data_memo.install()  # the reference data sets the tests read, parsed and listed once
    data_memo.warm()
    from grader.grading.worker import session, wire  # noqa: F401  # lazy: as above

    wire.load_reply(wire.dump_reply(None))  # the reader's allowlist, built once here
    sock.send(json.dumps({"ready": True}).encode())
    while True:
        try:
            data, fds, _, _ = socket.recv_fds(sock, _MESSAGE, 3)
        except OSError:
            return
        if not data:
            return
        request = json.loads(data)
        pid = os.fork()
        if pid == 0:
            _child(sock, request, fds)
        for fd in fds:
            os.close(fd)
        sock.send(json.dumps({"pid": pid}).encode())
        _, status = os.waitpid(pid, 0)
        try:
            sock.send(json.dumps({"exit": os.waitstatus_to_exitcode(status)}).encode())
        except OSError:
            return


def _child(sock: socket.socket, request: dict, fds: list[int]) -> None:
    """The trusted run: what ``python -I -m pytest ARGS`` would do, in this process."""
    code = 70
    try:
        sock.close()
        os.setsid()
        cap = int(request["memory_bytes"])
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        # each fd moved above the targets first, so no dup2 overwrites one still needed
        moved = [os.dup2(fd, 100 + i) for i, fd in enumerate(fds)]
        for fd in fds:
            os.close(fd)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        os.dup2(moved[0], 1)
        os.dup2(moved[0], 2)
        for fd, target in zip(moved[1:], (RESULTS_FD, BOX_FD)):
            os.dup2(fd, target)
        for fd in moved:
            os.close(fd)
        os.chdir(request["cwd"])
        sys.argv = ["pytest", *request["args"]]
        import pytest  # lazy: already imported by the warm-up

        code = int(pytest.main(list(request["args"])))
    except BaseException:  # noqa: BLE001 - said on the run's output, as a crash would be
        import traceback  # lazy: only a crash prints one

        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


if __name__ == "__main__":
    serve(socket.socket(fileno=int(sys.argv[1])))
