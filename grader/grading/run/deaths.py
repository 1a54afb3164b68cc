"""Why a run died, in words for the student: time, watchdog, flood, signal, exit code."""

from __future__ import annotations

import signal

from grader.core import i18n
from grader.core.limits import Limits
from grader.core.results import RunOutcome


def death_reason(out: RunOutcome, state: dict, limits: Limits, limit: float) -> str:
    memory_mb = limits.memory_mb
    if out.timed_out:
        return i18n.keep({"en": f"the run passed its time limit of {limit:.0f} s and was stopped",
                     "vi": f"lần chạy vượt quá giới hạn thời gian {limit:.0f} giây nên đã bị "
                           "dừng"})
    if state.get("watchdog"):
        return i18n.keep({"en": f"this test ran longer than {limits.test_timeout_s:.0f} s; the "
                           "grader's watchdog stopped the run",
                     "vi": f"bài kiểm tra này chạy lâu hơn {limits.test_timeout_s:.0f} giây; bộ "
                           "giám sát (watchdog) của trình chấm đã dừng lần chạy"})
    if state.get("overflow"):
        return i18n.keep({"en": f"the run sent more than {limits.result_channel_bytes >> 20} MB of "
                           "results and was stopped",
                     "vi": f"lần chạy gửi về hơn {limits.result_channel_bytes >> 20} MB kết quả "
                           "nên đã bị dừng"})
    code = out.returncode
    if code in (3, 4):  # pytest's internal or usage error: the trusted side broke
        tail = " | ".join(ln.strip() for ln in out.output.strip().splitlines()[-4:])[-600:]
        return i18n.keep({"en": f"the grader's own test run failed (pytest exit code {code}): a "
                           f"problem of this machine, not of the student's code ({tail})",
                     "vi": f"lần chạy kiểm tra của chính trình chấm bị lỗi (pytest mã thoát "
                           f"{code}): lỗi của máy chấm, không phải của mã sinh viên ({tail})"})
    if code is not None and code < 0:
        sig = signal.Signals(-code).name
        if sig == "SIGXFSZ":
            return i18n.keep({"en": "the process wrote a file past the size limit and was stopped",
                         "vi": "tiến trình ghi một tệp vượt quá giới hạn kích thước nên đã bị "
                               "dừng"})
        return i18n.keep({"en": f"the process was killed by {sig} (crash, or memory cap of "
                           f"{memory_mb} MB)",
                     "vi": f"tiến trình bị dừng bởi tín hiệu {sig} (chương trình bị lỗi, hoặc "
                           f"vượt giới hạn bộ nhớ {memory_mb} MB)"})
    if state.get("bytes", 0) > 50_000_000:
        return i18n.keep({"en": f"the process flooded its output ({state['bytes'] >> 20} MB) and ended",
                     "vi": f"tiến trình in ra quá nhiều ({state['bytes'] >> 20} MB) và đã kết "
                           "thúc"})
    return i18n.keep({"en": f"the process ended early with exit code {code} before reporting this "
                       "test (os._exit or sys.exit at import, or a crash)",
                 "vi": f"tiến trình kết thúc sớm với mã thoát {code} trước khi báo kết quả bài "
                       "kiểm tra này (os._exit hoặc sys.exit khi import, hoặc chương trình bị "
                       "lỗi)"})
