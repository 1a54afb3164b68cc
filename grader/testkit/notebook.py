"""What the cells of an exported nbgrader notebook call.

Solution cells write the exercise files next to the notebook (``%%writefile``);
each graded cell checks one kit test. The first graded cell runs the topic's
tests once, in a child process, and later cells read that run's results.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from grader.core import paths, runner
from grader.core.results import TestResult
from grader.core.testfiles import topic_test_files

_cache: dict[tuple[str, str], dict[str, TestResult]] = {}


def _state(topic: str, folder: Path) -> str:
    h = hashlib.sha256()
    for f in sorted((folder / topic).glob("*.py")):
        h.update(f.name.encode() + f.read_bytes())
    return h.hexdigest()


def run_test(topic: str, test_file: str, test_name: str, folder: str = ".") -> None:
    """Raise AssertionError with the kit's message unless that test passes."""
    __tracebackhide__ = True
    where = Path(folder).resolve()
    key = (topic, _state(topic, where))
    if key not in _cache:
        files = [f for f in topic_test_files(topic)]
        out = runner.run_tests(files, target=str(where), timeout=900, cwd=paths.KIT_ROOT)
        _cache[key] = {r.file + "::" + r.name: r for r in out.results.values()}
    result = _cache[key].get(f"{test_file}::{test_name}")
    if result is None:
        raise AssertionError(f"{test_file}::{test_name} reported no result")
    if not result.outcome.passed:
        raise AssertionError(result.message[-3000:])
    print(f"passed: {test_name}")
