"""The suite's warm pytest (``support/warm_pytest.py``), which the mutants and the
equivalents run on: a forked run gives the verdict a cold run gives, an overrun is
stopped, and a run never depends on the warm process being there."""

import time

import pytest

from grader.core import paths, runner
from support import warm_pytest

pytestmark = pytest.mark.slow  # it serves the mutants and equivalents of the all tier

PARAMS = paths.solutions_dir() / "01_cnn" / "test_params.py"


def _verdicts(outcome):
    return {nodeid: (r.outcome.value, r.failure_id) for nodeid, r in outcome.results.items()}


def test_a_forked_run_gives_the_cold_verdict_on_the_stubs_and_the_solutions():
    warm = warm_pytest.warm_pytest()
    assert warm is not None and warm.alive(), "the warm pytest did not start"
    for target in ("solutions", "exercises"):
        forked = warm.run_tests([PARAMS], target=target, timeout=300)
        cold = runner.run_tests([PARAMS], target=target, timeout=300)
        assert forked.results, forked.output[-2000:]
        assert _verdicts(forked) == _verdicts(cold), target
        assert forked.returncode == cold.returncode


def test_a_run_past_its_time_is_stopped_and_says_so(tmp_path):
    slow = tmp_path / "test_slow.py"
    slow.write_text("import time\n\ndef test_sleeps():\n    time.sleep(120)\n")
    start = time.monotonic()
    out = warm_pytest.run_tests([slow], timeout=3)
    assert out.timed_out and time.monotonic() - start < 60
    # the warm process outlives a run it stopped
    assert warm_pytest.warm_pytest().alive()


def test_without_the_warm_process_a_run_starts_cold(monkeypatch):
    monkeypatch.setenv("CNNKIT_COLD_START", "1")
    assert warm_pytest.warm_pytest() is None
    out = warm_pytest.run_tests([PARAMS], target="solutions", timeout=300)
    assert out.results and all(r.outcome.value == "passed" for r in out.results.values())
