"""Run pytest on exercise tests in a child process and read its JSON-lines results."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from grader import paths


@dataclass
class TestResult:
    nodeid: str
    outcome: str  # passed | failed | skipped | missing
    message: str = ""
    duration: float = 0.0

    @property
    def name(self) -> str:
        return self.nodeid.split("::", 1)[-1]

    @property
    def file(self) -> str:
        return Path(self.nodeid.split("::", 1)[0]).name


@dataclass
class RunOutcome:
    results: dict[str, TestResult] = field(default_factory=dict)
    started: list[str] = field(default_factory=list)
    returncode: int | None = None
    output: str = ""
    timed_out: bool = False

    @property
    def unfinished(self) -> str | None:
        """The test that was running when the process stopped, if any."""
        for nodeid in reversed(self.started):
            if nodeid not in self.results:
                return nodeid
        return None


def read_results(path: Path, token: bytes = b"") -> tuple[dict[str, TestResult], list[str]]:
    """Parse a results file; with ``token``, lines without a valid signature are ignored."""
    import hmac

    from grader.pytest_plugin import sign

    results: dict[str, TestResult] = {}
    started: list[str] = []
    if not path.exists():
        return results, started
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue  # a torn last line from a killed process
        if not isinstance(rec, dict) or not isinstance(rec.get("nodeid"), str):
            continue
        if token and not hmac.compare_digest(str(rec.get("mac", "")), sign(token, rec)):
            continue  # forged or torn
        if rec.get("event") == "start":
            started.append(rec["nodeid"])
        elif rec.get("event") == "result":
            results[rec["nodeid"]] = TestResult(rec["nodeid"], str(rec.get("outcome")),
                                                str(rec.get("message", "")),
                                                float(rec.get("duration", 0) or 0))
    return results, started


def pytest_command(test_paths, target, results_file, extra=()) -> list[str]:
    cmd = [sys.executable, "-m", "pytest", *map(str, test_paths), "-p", "grader.pytest_plugin",
           "--import-mode=importlib", "-p", "no:cacheprovider", "-q",
           f"--cnnkit-results={results_file}"]
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
