"""A warm template for the trusted runs: each topic's trusted pytest is forked from it.

A grading job starts one template (``python -I -m grader.grading.run.warm_trusted``) in the
trusted runs' clean environment. It imports the libraries the kit's tests import, once,
and then forks one child per trusted run; the child runs exactly the pytest command
line a cold run would (``run/trusted_start.run_once``). The template never runs a test and
never sees student code: student code runs only in the boxed worker, as before.

The grader and the template talk the warm templates' one protocol (``worker/fork_server``):
a ``fork`` request carries the arguments, the folder, the memory cap, and (as file
descriptors) the run's output pipe and result channel; the answer is the child's pid,
and ``status`` requests give its exit code. When the template cannot start or dies, the
run starts cold instead.
"""

from __future__ import annotations

import atexit
import os
import resource
import signal
import socket
import sys
import threading

from grader.grading.worker import fork_server

RESULTS_FD = 3  # where the child finds its result channel (``--cnnkit-results-fd``)
BOX_FD = 4  # and the student's warm box, when there is one (``--cnnkit-template-fd``)


# --- the grader's side ------------------------------------------------------------------

class Template:
    def __init__(self, env: dict[str, str]):
        self.env = env
        self.proc, self.link = fork_server.spawn(
            [sys.executable, "-I", "-m", "grader.grading.run.warm_trusted"], env=env,
            start_new_session=True)
        self.ready = self.link.wait_ready()

    def alive(self) -> bool:
        return self.ready and not self.link.broken and self.proc.poll() is None

    def start(self, args: list[str], cwd: str, memory_bytes: int, output_fd: int,
              results_fd: int, box_fd: int | None = None) -> fork_server.ForkedChild | None:
        """Fork a trusted run (its own process group, for ``box.kill``); None when the
        template cannot (then start it cold)."""
        fds = [output_fd, results_fd] + ([box_fd] if box_fd is not None else [])
        child = self.link.fork({"args": args, "cwd": cwd, "memory_bytes": memory_bytes}, fds)
        if child is None:
            self.close()
        return child

    def close(self) -> None:
        self.ready = False
        self.link.broken = True
        try:
            self.link.sock.close()
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
    import grader.grading.worker.worker_plugin  # noqa: F401  # lazy: warm-up, after the start

    warm_up(environment_plugins=False)
    from grader.grading.worker import data_memo  # lazy: the warm-up is timed after the start

    data_memo.install()  # the reference data sets the tests read, parsed and listed once
    data_memo.warm()
    from grader.grading.worker import session, wire  # noqa: F401  # lazy: as above

    wire.load_reply(wire.dump_reply(None))  # the reader's allowlist, built once here
    server = fork_server.ForkServer(sock, _child)
    server.ready()
    server.serve()


def _child(request: dict, fds: list[int]) -> int:
    """The trusted run: what ``python -I -m pytest ARGS`` would do, in this process."""
    os.setsid()
    cap = int(request["memory_bytes"])
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    fork_server.place_fds(fds, (RESULTS_FD, BOX_FD))
    os.chdir(request["cwd"])
    sys.argv = ["pytest", *request["args"]]
    import pytest  # lazy: already imported by the warm-up

    return int(pytest.main(list(request["args"])))


if __name__ == "__main__":
    serve(socket.socket(fileno=int(sys.argv[1])))
