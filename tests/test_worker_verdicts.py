"""The two modes give the same verdicts: a student's own pytest imports their files; the
grader's trusted pytest reaches them only through the boxed worker. On the reference
solutions and on the untouched stubs, every test (visible and hidden) ends the same way.
(Every mutant is caught in both modes: see test_mutants_*.)"""

import os

import pytest

from grader.core import paths
from grader.core.runner import run_tests
from grader.grading.box import bubblewrap as box
from grader.grading.worker import PYTEST_ARGS

pytestmark = pytest.mark.slow

_why = box.available()
if _why:
    if os.environ.get("CI") == "true":
        raise RuntimeError(f"CI=true but the worker's box cannot start here: {_why}")
    pytest.skip(f"no bubblewrap box here, so there is no worker mode: {_why}",
                allow_module_level=True)

TOPICS = ("01_cnn", "02_training", "03_transfer")


def _verdicts(target: str, worker: bool) -> dict[str, str]:
    files = [paths.solutions_dir() / t for t in TOPICS] + \
        [paths.hidden_tests_dir() / t for t in TOPICS]
    out = run_tests(files, target=target, timeout=1500,
                    extra=list(PYTEST_ARGS) if worker else [],
                    env={**os.environ, "CNNKIT_LANG": "en"})
    return {nodeid.split("::", 1)[1] if "::" in nodeid else nodeid: r.outcome.value
            for nodeid, r in out.results.items()}


@pytest.mark.parametrize("target", ["solutions", "exercises"])
def test_both_modes_agree(target):
    here, worker = _verdicts(target, False), _verdicts(target, True)
    assert here, "the in-process run reported nothing"
    differ = {k: (here.get(k), worker.get(k)) for k in here.keys() | worker.keys()
              if here.get(k) != worker.get(k)}
    assert not differ, f"in-process vs worker verdicts differ on {target}: {differ}"
    if target == "solutions":
        allowed = {"passed"} if os.environ.get("CI") == "true" else {"passed", "skipped"}  # data
        wrong = {k: v for k, v in here.items() if v not in allowed}
        assert not wrong, f"the reference should pass every test: {wrong}"
