"""Kit tests that need data: skipped with the kit's one line outside CI, failed on CI.

On CI (``CI=true``) a missing data set must fail the run, so nothing here skips there.
"""

from __future__ import annotations

import os

import pytest

from grader.core import manifest
from grader.core.results import TestResult
from grader.lab import data
from grader.student.status import is_data_skip


def on_ci() -> bool:
    return os.environ.get("CI") == "true"


def unavailable(names) -> str | None:
    """The one line about the first of ``names`` this machine cannot have; None on CI."""
    if on_ci():
        return None
    missing = data.missing(names)
    return next(iter(missing.values())).line() if missing else None


def skip_unless_available(*names: str) -> None:
    line = unavailable(names)
    if line:
        pytest.skip(line)


def needs_of_test_file(topic: str, test_file: str) -> tuple[str, ...]:
    """The data declared (topic.toml) by the exercise that owns ``test_file``."""
    exercise = manifest.load_topic(topic).exercise_for_test_file(test_file)
    return exercise.data if exercise else ()


def data_skips(results: dict[str, TestResult]) -> dict[str, str]:
    """Tests of a child run that were skipped for missing data: nodeid -> the line."""
    return {k: r.message for k, r in results.items() if is_data_skip(r)}


def skip_if_any(skipped: dict[str, str]) -> None:
    """After checking everything else: say that some tests waited for data."""
    if skipped:
        pytest.skip(f"{len(skipped)} test(s) not run, {next(iter(skipped.values()))}")
