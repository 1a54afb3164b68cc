"""A failing test's id: what failed, in no language and without the message's numbers.

The class report groups failures by it, so two students who fail the same check count as
one misunderstanding whatever their numbers, and either language groups alike. An id is
one of the fixed kinds (``grader.core.failure_kinds``), or the site of the failure: the
test file, the test function and the first line of the statement in it that failed
(parameters left out: every ``[variant]`` of one test is one check), with the exception's
type when it was not an assertion (the student's code raised at that line)."""

from __future__ import annotations

import hashlib
import re

import pytest

from grader.core.failure_kinds import FIXED, NOT_ATTEMPTED, STOPPED
from grader.core.results import FAILURE_KIND_PROPERTY
from grader.testkit.harness import ExerciseImportError
from grader.testkit.timeout import TestTimeout


def failure_id(item, excinfo) -> str:
    """The id of one failing test (``item``) that raised ``excinfo``; "" where it cannot
    be told (the record keeps its message, and the report groups it by its text)."""
    try:
        return _failure_id(item, excinfo)
    except Exception:  # noqa: BLE001 - an id is never worth a broken run
        return ""


def _failure_id(item, excinfo) -> str:
    named = [v for k, v in item.user_properties if k == FAILURE_KIND_PROPERTY and v in FIXED]
    if named:
        return named[-1]
    exc = excinfo.value
    if isinstance(exc, ExerciseImportError):
        return exc.kind
    if isinstance(exc, NotImplementedError):
        return NOT_ATTEMPTED
    if isinstance(exc, TestTimeout):
        return STOPPED
    topic = item.path.parent.name
    site = _site(item, excinfo)
    kind = "" if isinstance(exc, (AssertionError, pytest.fail.Exception)) else \
        "::" + _type_name(exc)
    return f"{topic}/{item.path.stem}::{getattr(item, 'originalname', item.name)}{site}{kind}"


def _site(item, excinfo) -> str:
    """``::`` and a short digest of the first line of the innermost statement in the test
    file that failed ("" where the traceback never passes through it: a fixture)."""
    for entry in reversed(excinfo.traceback):
        if entry.path == item.path:
            try:
                first = str(entry.statement).strip().splitlines()[0]
            except (IndexError, OSError, ValueError):
                return f"::line{entry.lineno + 1}"
            return "::" + hashlib.sha1(" ".join(first.split()).encode()).hexdigest()[:8]
    return ""


def _type_name(exc: BaseException) -> str:
    """The exception's class name; a worker's error (``RemoteError``) names its own, cut to
    a short identifier."""
    name = str(getattr(exc, "type_name", "") or type(exc).__name__)
    return re.sub(r"\W", "", name)[:60] or "Exception"
