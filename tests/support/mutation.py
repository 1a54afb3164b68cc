"""Mutants: plausible wrong answers, applied to a copy of the reference solution.

Each mutant names the test that must catch it and a word its failure message
must contain, so that a caught mutant also proves the message teaches.
"""

from __future__ import annotations

import contextlib
import queue
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from grader.core import paths
from grader.core.limits import DEFAULTS
from grader.core.results import Outcome, TestResult
from support import warm_pytest
from support.data_needs import data_skips, needs_of_test_file, unavailable
from support.warm_student import warm_student


@dataclass(frozen=True)
class Mutant:
    id: str
    file: str
    old: str
    new: str
    caught_by: str
    concept: str
    test_file: str = ""

    @property
    def test_path(self) -> str:
        return self.test_file or f"test_{Path(self.file).stem}.py"


def apply(topic: str, mutant: Mutant, dest_root: Path) -> Path:
    src = paths.solutions_dir() / topic
    dest = dest_root / topic
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("__pycache__"))
    target = dest / mutant.file
    text = target.read_text(encoding="utf-8")
    found = text.count(mutant.old)
    if found != 1:
        raise ValueError(f"mutant {mutant.id}: {mutant.old!r} occurs {found} times in "
                         f"{mutant.file}; it must occur exactly once")
    target.write_text(text.replace(mutant.old, mutant.new), encoding="utf-8")
    return dest


def run_mutant(topic: str, mutant: Mutant, extra=(), box=None) -> TestResult:
    """The mutant's test, run warm (``warm_pytest``); ``box``: a warm box for the worker
    mode, as the grader gives each student one."""
    missing = unavailable(needs_of_test_file(topic, mutant.test_path))
    if missing:  # its test cannot run on this machine (never so on CI)
        return TestResult(mutant.caught_by, Outcome.SKIPPED, missing)
    with tempfile.TemporaryDirectory(prefix=f"cnnkit-mutant-{mutant.id}-") as tmp:
        apply(topic, mutant, Path(tmp))
        nodeid = f"{paths.solutions_dir() / topic / mutant.test_path}::{mutant.caught_by}"
        out = warm_pytest.run_tests([nodeid], target=tmp, extra=extra, timeout=900, box=box)
        matching = [r for r in out.results.values()
                    if mutant.caught_by in (r.name, r.name.split("[")[0])]
        if matching:
            return next((r for r in matching if r.outcome == "failed"), matching[0])
        return TestResult(nodeid, "missing", out.output[-3000:])


@contextlib.contextmanager
def _lanes(count: int, boxed: bool):
    """``count`` lanes, one run at a time each: in the worker mode, each with a warm box
    and a uid of its own (None where no box starts: its runs start workers cold)."""
    lanes: queue.Queue = queue.Queue()
    with contextlib.ExitStack() as stack:
        for _ in range(count):
            box = None
            if boxed:
                try:
                    box, _uid = stack.enter_context(warm_student(DEFAULTS))
                except OSError:
                    box = None
            lanes.put(box)
        yield lanes


def _on_a_lane(lanes: queue.Queue, topic: str, mutant: Mutant, extra) -> TestResult:
    box = lanes.get()
    try:
        return run_mutant(topic, mutant, extra, box)
    finally:
        lanes.put(box)


def run_all(topic: str, mutants: list[Mutant], workers: int = 2, extra=()) -> dict:
    boxed = "--cnnkit-worker" in extra
    with _lanes(workers, boxed) as lanes, ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {m.id: pool.submit(_on_a_lane, lanes, topic, m, extra) for m in mutants}
        outcomes = {}
        for key, future in futures.items():
            try:
                outcomes[key] = future.result()
            except Exception as exc:  # a mutant that cannot be applied is reported, not hidden
                outcomes[key] = TestResult(key, "error", f"{type(exc).__name__}: {exc}")
        return outcomes


# The two ways a test session reaches student code: in its own process (a student's
# pytest), and through the isolated worker (the grader). A mutant must be caught in both.
MODES = {"in-process": (), "worker": ("-p", "grader.grading.worker.worker_plugin", "--cnnkit-worker")}


def run_both(topic: str, mutants: list[Mutant]) -> dict:
    """{mode: {mutant id: result}}; the worker mode only where a box can start (always
    on CI)."""
    import os

    from grader.grading.box import bubblewrap as box

    modes = dict(MODES)
    why = box.available()
    if why and os.environ.get("CI") != "true":
        modes.pop("worker")
    return {mode: run_all(topic, mutants, extra=extra) for mode, extra in modes.items()}


def caught_in_every_mode(topic: str, mutants: list[Mutant]):
    """A mutant file's fixture and test: ``outcomes, test_mutant_is_caught = ...``. The
    list is read when the fixture runs, so the tiers may cut it down first."""

    @pytest.fixture(scope="module")
    def outcomes():
        return run_both(topic, mutants)

    @pytest.mark.parametrize("mutant", mutants, ids=lambda m: m.id)
    def test_mutant_is_caught(mutant, outcomes):
        assert_caught_in_every_mode(mutant, outcomes)

    return outcomes, test_mutant_is_caught


def assert_caught_in_every_mode(mutant: Mutant, outcomes: dict) -> None:
    __tracebackhide__ = True
    for mode, results in outcomes.items():
        try:
            assert_caught(mutant, results[mutant.id])
        except AssertionError as exc:
            raise AssertionError(f"[{mode}] {exc}") from None


def assert_caught(mutant: Mutant, result: TestResult) -> None:
    """The named test failed, and its message names the concept."""
    __tracebackhide__ = True
    if result.outcome is Outcome.SKIPPED and data_skips({result.nodeid: result}):
        pytest.skip(result.message)
    assert result.outcome == "failed", (
        f"mutant {mutant.id} was not caught by {mutant.caught_by}: {result.outcome}\n"
        f"{result.message}")
    assert mutant.concept.lower() in result.message.lower(), (
        f"mutant {mutant.id} was caught, but the message does not name the concept "
        f"{mutant.concept!r}:\n{result.message}")
