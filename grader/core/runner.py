"""Run pytest on exercise tests in a child process and read its JSON-lines results.

``pytest_command`` is the one place that builds the pytest command line: the student's
``check``, the grader's isolated run and the nbgrader runtime all use it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from grader.core import paths
from grader.core.results import RunOutcome, read_results

PLUGIN = "grader.testkit.plugin"


def pytest_command(test_paths, target=None, results_file=None, extra=(), python=None,
                   ini: Path | None = None, rootdir: Path | None = None) -> list[str]:
    """``python -m pytest`` with the kit's plugin, importlib imports and no cache.

    ``ini``/``rootdir`` pin pytest's configuration (the grader passes an empty ini so
    that nothing in the tested folder can configure pytest).
    """
    cmd = [python or sys.executable, "-m", "pytest", *map(str, test_paths), "-p", PLUGIN,
           "--import-mode=importlib", "-p", "no:cacheprovider", "-q"]
    if ini is not None:
        cmd += ["-c", str(ini)]
    if rootdir is not None:
        cmd += ["--rootdir", str(rootdir)]
    if results_file is not None:
        cmd.append(f"--cnnkit-results={results_file}")
    if target:
        cmd.append(f"--target={target}")
    return cmd + list(extra)


def run_tests(test_paths, target=None, extra=(), timeout=None, cwd=None, env=None) -> RunOutcome:
    """Run pytest on ``test_paths`` against ``target``; never raises on test failures."""
    with tempfile.TemporaryDirectory(prefix="cnnkit-run-") as tmp:
        results_file = Path(tmp) / "results.jsonl"
        cmd = pytest_command(test_paths, target, results_file, extra)
        run_env = dict(os.environ if env is None else env)
        run_env.setdefault("MPLBACKEND", "Agg")
        outcome = RunOutcome()
        try:
            proc = subprocess.run(cmd, cwd=cwd or paths.KIT_ROOT, env=run_env, timeout=timeout,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                  errors="replace")
            outcome.returncode, outcome.output = proc.returncode, proc.stdout
        except subprocess.TimeoutExpired as exc:
            outcome.timed_out = True
            outcome.output = (exc.stdout or b"").decode("utf-8", "replace") \
                if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        outcome.results, outcome.started = read_results(results_file)
        return outcome
