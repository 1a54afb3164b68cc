"""The pytest plugin behind every exercise test run.

* ``--target``: which files the tests import (student files, ``solutions``, a folder);
* ``--cnnkit-results FILE``: one JSON line per test start, result and end, flushed at
  once, so a run that dies still leaves what it finished; ``--cnnkit-results-fd N``
  sends the same lines to an inherited pipe (the grader's channel);
* ``--cnnkit-assertions-only``: result messages hold the exception and its
  explanation, never traceback source lines (the grader's feedback);
* ``--cnnkit-test-timeout S``: a per-test wall-clock limit (exercise tests get a default);
* a test whose data cannot be had (``DataMissing``) is skipped with one line that names
  the data set and the fetch command; under ``CI=true`` or ``--cnnkit-strict-data``
  (the grader) it fails instead;
* ``--cnnkit-no-network``: sockets refuse to connect;
* when grading, the grader's own plugin (``grader.grading.worker.worker_plugin``, not shipped to
  students) adds ``--cnnkit-worker`` and installs a runner in ``isolation``;
* raw PyTorch errors get a sentence that explains them.
"""

from __future__ import annotations

import gc
import json
import os

import pytest

from grader.core import markers, quiet
from grader.core.i18n import pick
from grader.core.limits import DEFAULTS
from grader.core.results import LISTED_TEST, REVIEW_PROPERTY
from grader.lab.data import DataMissing
from grader.testkit import explain, failure_ids, harness, isolation, timeout

OUTPUT_LIMIT = 4000

def pytest_addoption(parser):
    group = parser.getgroup("cnnkit")
    group.addoption("--target", default=None,
                    help="whose files to test: 'exercises' (default), 'solutions', or a folder "
                         "laid out like exercises/")
    group.addoption("--cnnkit-results", default=None, help="write JSON-lines results here")
    group.addoption("--cnnkit-results-fd", type=int, default=None,
                    help="write JSON-lines results to this inherited file descriptor")
    group.addoption("--cnnkit-assertions-only", action="store_true",
                    help="result messages without traceback source lines")
    group.addoption("--cnnkit-test-timeout", type=float, default=None,
                    help=f"seconds a single exercise test may run (default "
                         f"{DEFAULTS.test_timeout_s:g}; 0: no limit)")
    group.addoption("--cnnkit-strict-data", action="store_true",
                    help="missing data fails a test instead of skipping it (always so on CI)")
    group.addoption("--cnnkit-no-network", action="store_true",
                    help="make every socket connection fail")
    group.addoption("--lang", default=None, help="language of explanations: en or vi")
    group.addoption("--cnnkit-list-tests", action="store_true",
                    help="with --collect-only: print each test's id and scoring markers "
                         "as JSON lines")


def pytest_configure(config):
    quiet.third_party()
    config.addinivalue_line("markers", "loads_weights: the test may load pretrained weights")
    config.addinivalue_line("markers", "reported: the verdict rests on what the student's "
                                       "process reports about its own objects; when grading "
                                       "it earns points only beside the exercise's checked "
                                       "tests")
    config.addinivalue_line("markers", "gate: a rule of the exercise checked by the grader "
                                       "itself; when it fails the whole exercise scores zero")
    harness.STATE["target"] = config.getoption("--target")
    harness.STATE["root"] = config.rootpath
    if config.getoption("--lang"):
        os.environ["CNNKIT_LANG"] = config.getoption("--lang")
    if config.getoption("--cnnkit-no-network"):
        _block_network()
    # A runner is installed (before this hook) only when grading: see ``isolation``.
    worker = isolation.current() is not None
    try:
        from hypothesis import HealthCheck, settings

        # When grading, examples are drawn afresh each run: a student's code cannot know
        # them in advance. Students get the same examples every run.
        settings.register_profile(
            "cnnkit", deadline=None, max_examples=30, derandomize=not worker, database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.differing_executors])
        settings.load_profile("cnnkit")
    except ImportError:  # pragma: no cover
        pass
    path, fd = config.getoption("--cnnkit-results"), config.getoption("--cnnkit-results-fd")
    config._cnnkit_fsync = fd is None  # a pipe cannot be synced; a file is, line by line
    if fd is not None:
        os.set_inheritable(fd, False)  # programs the tests start do not get the channel
        config._cnnkit_results = os.fdopen(fd, "w", encoding="utf-8")
    else:
        config._cnnkit_results = open(path, "a", encoding="utf-8") if path else None
    config._cnnkit_data_skips = {}  # data set -> (one line, number of tests skipped)


@pytest.fixture
def shared_tmp(request, tmp_path):
    """A fresh folder the student's code can read: ``tmp_path`` in-process; when grading, a
    folder the worker can read (read-only there)."""
    return harness.shared_dir(request.path, tmp_path)


SCORING_MARKERS = ("reported", "gate")  # what the one scoring rule reads of a test


def pytest_collection_finish(session):
    # What collection imported (torch and friends: millions of objects) is never garbage:
    # frozen, it is out of every later gc.collect, which pytest and hypothesis call per run
    # and per test (measured: 0.6 s of a 1.1 s watch answer went to three such calls).
    gc.freeze()
    if session.config.getoption("--cnnkit-list-tests"):
        for item in session.items:
            marks = [m for m in SCORING_MARKERS if item.get_closest_marker(m)]
            print(LISTED_TEST + json.dumps({"nodeid": item.nodeid, "markers": marks}))


def pytest_unconfigure(config):
    fh = getattr(config, "_cnnkit_results", None)
    if fh:
        fh.close()


def pytest_report_header(config):
    target = config.getoption("--target") or "exercises (your files)"
    return f"cnnkit target: {target}"


def _emit(config, record):
    fh = getattr(config, "_cnnkit_results", None)
    if fh:
        fh.write(json.dumps(record) + "\n")
        fh.flush()
        if config._cnnkit_fsync:
            os.fsync(fh.fileno())


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    _emit(item.config, {"event": "start", "nodeid": item.nodeid})
    yield
    _emit(item.config, {"event": "end", "nodeid": item.nodeid})


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    seconds = item.config.getoption("--cnnkit-test-timeout")
    if seconds is None:
        seconds = timeout.default_seconds(item.path)
    with timeout.limit(item.name, seconds):
        yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    note = ""
    if report.failed and call.excinfo is not None and _skips_missing_data(item.config):
        missing = call.excinfo.value
        if isinstance(missing, DataMissing):
            _skip_for_data(item, report, missing)
    if report.failed and call.excinfo is not None:
        note = explain.explain_exception(call.excinfo.value)
        if note:
            report.longrepr = f"{report.longreprtext}\n\n{note}"
    # The call's result, a setup that did not pass, and a teardown that failed (a check
    # made by a fixture after the test): the reader keeps the worst of them.
    if report.when == "call" or report.failed or (report.when == "setup" and report.skipped):
        message, failed_at = "", ""
        if report.failed:
            message = report.longreprtext
            if call.excinfo is not None:
                failed_at = failure_ids.failure_id(item, call.excinfo)
            if item.config.getoption("--cnnkit-assertions-only"):
                message = _assertion_only(call, note if call.excinfo is not None else "")
        _emit(item.config, {
            "event": "result", "nodeid": item.nodeid, "outcome": report.outcome,
            "when": report.when, "duration": round(report.duration, 3),
            "message": _short(markers.localise_todos(message)) if report.failed
            else _skip_reason(report),
            "gate": item.get_closest_marker("gate") is not None,
            **({"failure_id": failed_at} if failed_at else {}),
            **_review(report),
        })


def _review(report) -> dict:
    """A passed test's note for a person (``REVIEW_PROPERTY``), when it left one."""
    notes = [str(v) for k, v in report.user_properties if k == REVIEW_PROPERTY]
    return {"review": "\n".join(notes)} if notes and report.passed else {}


def _skips_missing_data(config) -> bool:
    return not config.getoption("--cnnkit-strict-data") and os.environ.get("CI") != "true"


def _skip_for_data(item, report, missing: DataMissing) -> None:
    """Turn the failure into a skip whose reason is the one line about the data."""
    line = missing.line()
    report.outcome = "skipped"
    report.longrepr = (str(item.path), None, f"Skipped: {line}")
    skips = item.config._cnnkit_data_skips
    skips[missing.name] = (line, skips.get(missing.name, ("", 0))[1] + 1)


def _skip_reason(report) -> str:
    if report.skipped and isinstance(report.longrepr, tuple) and len(report.longrepr) == 3:
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    return ""


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    skips = getattr(config, "_cnnkit_data_skips", {})
    if not skips:
        return
    terminalreporter.section(pick({"en": "cnnkit: skipped, data missing",
                                   "vi": "cnnkit: bỏ qua vì thiếu dữ liệu"}), sep="-")
    for line, count in skips.values():
        terminalreporter.write_line(pick({"en": f"{count} test(s) skipped - {line}",
                                          "vi": f"bỏ qua {count} bài kiểm tra - {line}"}))


def _assertion_only(call, note: str) -> str:
    """The exception as pytest's ``E`` lines, plus the explanation: no source lines."""
    if call.excinfo is None:
        return "E   " + pick({"en": "the test failed", "vi": "bài kiểm tra không đạt"})
    lines = [f"E   {line}" for line in call.excinfo.exconly().splitlines()]
    return "\n".join(lines) + (f"\n\n{note}" if note else "")


def _short(text: str) -> str:
    if len(text) <= OUTPUT_LIMIT:
        return text
    cut = pick({"en": "[... output cut ...]", "vi": "[... đã cắt bớt ...]"})
    return text[: OUTPUT_LIMIT // 2] + f"\n{cut}\n" + text[-OUTPUT_LIMIT // 2:]


def _block_network():
    import socket

    def refuse(*args, **kwargs):
        raise PermissionError(pick({"en": "network access is disabled while grading",
                                    "vi": "không được truy cập mạng (network) khi chấm "
                                          "bài"}))

    socket.socket.connect = refuse
    socket.socket.connect_ex = refuse
    socket.create_connection = refuse
    socket.getaddrinfo = refuse
