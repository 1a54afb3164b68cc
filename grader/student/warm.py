"""A warm process for ``watch``: PyTorch, Lightning, pytest and the kit imported once.

Each save runs the changed exercise's tests in a child forked from the warm process, so
an answer costs the tests themselves, not starting Python and importing PyTorch again.
The child runs exactly the pytest command line ``check`` runs (``runner.pytest_command``),
so the verdict is the same. Nothing in the warm process ever runs a test or the student's
code: every child starts from the same clean state.
"""

from __future__ import annotations

import os
import signal
import sys
import tempfile
from pathlib import Path

import grader
from grader.core import manifest
from grader.core import paths, runner
from grader.core.results import RunOutcome, read_results
from grader.core.testfiles import visible_test_files


def run_tests_forked(test_paths, target=None, extra=(), timeout=None) -> RunOutcome:
    """``runner.run_tests`` in a child of this process (Linux ``fork``)."""
    with tempfile.TemporaryDirectory(prefix="cnnkit-watch-") as tmp:
        results_file, log = Path(tmp) / "results.jsonl", Path(tmp) / "output.txt"
        args = runner.pytest_command(test_paths, target, results_file, extra)[3:]
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the child: pytest in this process, its output to a file
            code = 70
            try:
                fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                os.dup2(fd, 1)
                os.dup2(fd, 2)
                os.chdir(paths.KIT_ROOT)
                os.environ.setdefault("MPLBACKEND", "Agg")
                import pytest

                code = int(pytest.main(args))
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        try:
            _, status = os.waitpid(pid, 0)
        except BaseException:  # Ctrl-C (or anything) here: the child goes too, never orphaned
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            raise
        outcome = RunOutcome(returncode=os.waitstatus_to_exitcode(status),
                             output=log.read_text(errors="replace") if log.exists() else "")
        outcome.results, outcome.started = read_results(results_file)
        return outcome


def kit_stamp(topic: str) -> tuple:
    """Changes when the kit's tests, the topic's manifest or the kit's code change: then
    the warm process is stale and ``watch`` starts afresh."""
    files = [*visible_test_files(topic), manifest.topic_folder(topic) / manifest.MANIFEST_NAME,
             *Path(grader.__file__).parent.rglob("*.py")]
    return tuple(sorted((str(f), f.stat().st_mtime_ns) for f in files if f.exists()))
