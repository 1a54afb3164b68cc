"""A per-test time limit inside the test process, with a message that names the loop.

Exercise tests get ``grader.core.limits.DEFAULTS.test_timeout_s`` unless told otherwise, so
a ``while True`` in a student's file never leaves ``check``, ``watch`` or plain ``pytest``
silent. ``CNNKIT_TEST_TIMEOUT`` (seconds) overrides the default.
"""

from __future__ import annotations

import contextlib
import linecache
import os
import signal
from pathlib import Path

from grader.core import paths
from grader.core.i18n import pick
from grader.core.limits import DEFAULTS


class TestTimeout(BaseException):
    """Raised inside a test that ran past its time limit. Not an ``Exception``, so neither
    ``except Exception`` in student code nor hypothesis' shrinking swallows it."""

    __test__ = False


def is_exercise_test(path: Path) -> bool:
    return bool(paths.TOPIC_PATTERN.match(Path(path).parent.name))


def default_seconds(path: Path) -> float:
    """The limit of a test that was given none: exercise tests only."""
    if not is_exercise_test(path):
        return 0
    return float(os.environ.get("CNNKIT_TEST_TIMEOUT") or DEFAULTS.test_timeout_s)


def _where(frame) -> str:
    """The innermost line outside the kit and the libraries: most likely the loop."""
    kit = paths.KIT_ROOT / "grader"
    chosen = None
    while frame is not None:
        file = Path(frame.f_code.co_filename)
        if "site-packages" not in file.parts and not file.is_relative_to(kit) \
                and not file.name.startswith("test_"):
            chosen = frame
            break
        frame = frame.f_back
    if chosen is None:
        return ""
    file, line = chosen.f_code.co_filename, chosen.f_lineno
    code = linecache.getline(file, line).strip()
    return f"{Path(file).name}:{line}: {code}"


def message(test: str, limit: float, where: str) -> str:
    at = {"en": f" It was running {where}", "vi": f" Lúc đó đang chạy {where}"} if where else \
        {"en": "", "vi": ""}
    return pick({
        "en": f"{test} ran longer than {limit:.0f} s and was stopped: most likely an infinite "
              f"loop (a `while` whose condition never becomes false), or far too much work for "
              f"a test.{at['en']}",
        "vi": f"{test} chạy quá {limit:.0f} giây nên đã bị dừng: "
              f"nhiều khả năng là một vòng lặp vô hạn (vòng `while` có điều kiện không bao giờ "
              f"sai), hoặc khối lượng tính toán quá lớn.{at['vi']}"})


@contextlib.contextmanager
def limit(test: str, seconds: float):
    """Raise ``TestTimeout`` in the test after ``seconds`` (no limit when 0 or no SIGALRM)."""
    if not seconds or not hasattr(signal, "SIGALRM"):
        yield
        return

    def on_alarm(signum, frame):
        raise TestTimeout(message(test, seconds, _where(frame)))

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
