"""A warm pytest for the suite's many small runs (mutants, equivalents).

One process per test session imports PyTorch, Lightning, pytest and the kit once, and
forks a child per run; the child runs exactly the command line ``runner.run_tests`` would
start cold (``runner.pytest_command``), so the verdict is the same. It speaks the grader's
own fork protocol (``grader.grading.worker.fork_server``). A worker-mode run can be handed
a warm box (``worker.warm_box.WarmBox``), as the grader hands one to a student's trusted
runs; the box is cleared after each run, as between two students.

Whatever goes wrong with the warm process (it cannot start, it died), the run starts cold
through ``runner.run_tests``: the same verdict, only slower.
"""

from __future__ import annotations

import atexit
import os
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from grader.core import paths, runner
from grader.core.results import RunOutcome, read_results
from grader.grading.run import warm_trusted
from grader.grading.worker import fork_server

BOX_FD = 4  # where a forked run finds its warm box (``--cnnkit-template-fd``)
TESTS = str(Path(__file__).resolve().parents[1])
# The warm process starts as ``python -m pytest`` would in the kit's root: that root first
# on its path, and the suite's folder only until this module is imported.
_SERVE = ("import sys; sys.path[0] = {root!r}; sys.path.insert(1, {tests!r}); "
          "from support.warm_pytest import main; main()")


# --- the suite's side -------------------------------------------------------------------

class WarmPytest(warm_trusted.Template):
    """The grader's warm template (``alive``, ``close``), serving the suite's runs."""

    def __init__(self):
        self.env = {**os.environ}
        self.env.setdefault("MPLBACKEND", "Agg")
        serve = _SERVE.format(root=str(paths.KIT_ROOT), tests=TESTS)
        self.proc, self.link = fork_server.spawn([sys.executable, "-c", serve], env=self.env,
                                                 cwd=paths.KIT_ROOT, start_new_session=True)
        self.ready = self.link.wait_ready()

    def run_tests(self, test_paths, target=None, extra=(), timeout=None,
                  box=None) -> RunOutcome:
        """``runner.run_tests`` forked from the warm process; ``box``: a warm box whose
        workers the run asks for (worker mode; it is cleared afterwards)."""
        extra = list(extra)
        in_box = []
        if box is not None and box.usable():
            in_box = [f"--cnnkit-box-uid={box.host_uid}", f"--cnnkit-template-fd={BOX_FD}",
                      f"--cnnkit-stage={box.stage}"]
        else:
            box = None
        try:
            with tempfile.TemporaryDirectory(prefix="cnnkit-warm-run-") as tmp:
                outcome = self._forked(test_paths, target, extra + in_box, timeout, box,
                                       Path(tmp))
        finally:
            if box is not None:
                box.clear_for_next_student()
        if outcome is None:  # cold, with workers started cold (the box's fd is not passed)
            return runner.run_tests(test_paths, target=target, extra=extra, timeout=timeout)
        return outcome

    def _forked(self, test_paths, target, extra, timeout, box, tmp: Path):
        results_file, log = tmp / "results.jsonl", tmp / "output.txt"
        args = runner.pytest_command(test_paths, target, results_file, extra)[3:]
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            fds = [fd] + ([box.fd] if box is not None else [])
            child = self.link.fork({"args": args, "cwd": str(paths.KIT_ROOT)}, fds) \
                if self.alive() else None
        finally:
            os.close(fd)
        if child is None:
            return None
        outcome = RunOutcome()
        try:
            outcome.returncode = child.wait(timeout)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait(30)
            outcome.timed_out = True
        outcome.output = log.read_text(errors="replace")
        outcome.results, outcome.started = read_results(results_file)
        return outcome



_WARM: list[WarmPytest] = []
_LOCK = threading.Lock()


def warm_pytest() -> WarmPytest | None:
    """This test session's warm process, started on first use; None where it cannot
    start (``CNNKIT_COLD_START=1`` rules it out, for a side-by-side check)."""
    if os.environ.get("CNNKIT_COLD_START") == "1" or not hasattr(os, "fork"):
        return None
    with _LOCK:
        if _WARM and _WARM[0].alive():
            return _WARM[0]
        if _WARM:
            _WARM.pop().close()
        try:
            warm = WarmPytest()
        except OSError:
            return None
        if not warm.ready:
            warm.close()
            return None
        _WARM.append(warm)
        return warm


def run_tests(test_paths, target=None, extra=(), timeout=None, box=None) -> RunOutcome:
    """``runner.run_tests``, warm where it can be."""
    warm = warm_pytest()
    if warm is None:
        return runner.run_tests(test_paths, target=target, extra=extra, timeout=timeout)
    return warm.run_tests(test_paths, target=target, extra=extra, timeout=timeout, box=box)


@atexit.register
def _close() -> None:
    with _LOCK:
        while _WARM:
            _WARM.pop().close()


# --- the warm process's side --------------------------------------------------------------

def _child(request: dict, fds: list[int]) -> int:
    """One run: what ``python -m pytest ARGS`` would do, in this process."""
    os.setsid()
    fork_server.place_fds(fds, (BOX_FD,))
    os.chdir(request["cwd"])
    args = [str(a) for a in request["args"]]
    sys.argv = ["pytest", *args]
    import pytest  # lazy: already imported by the warm-up

    return int(pytest.main(args))


def _kill(server: fork_server.ForkServer, request: dict) -> dict:
    pid = int(request["pid"])
    if pid in server.children:
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return {}


def main() -> None:
    import ctypes  # lazy: only the warm process sets its death signal
    import socket  # lazy: only the warm process serves

    sock = socket.socket(fileno=int(sys.argv[1]))
    sys.path.remove(TESTS)
    ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: never outlive the suite
    from grader.testkit.warm_imports import warm_up  # lazy: the warm process's own imports

    warm_up()
    server = fork_server.ForkServer(sock, _child)
    server.handlers["kill"] = lambda request: _kill(server, request)
    server.ready()
    server.serve()

