"""Why a run died, as a message for the student: time, watchdog, flood, signal, exit code."""

from __future__ import annotations

import signal

from grader.core.limits import Limits
from grader.core.messages import Message, said
from grader.core.results import RunOutcome
from grader.grading.names import clean
from grader.grading.run.scrub import kit_lines


def death_reason(out: RunOutcome, state: dict, limits: Limits, limit: float) -> Message:
    if out.timed_out:
        return said("run.time_limit", limit=float(limit))
    if state.get("watchdog"):
        return said("run.watchdog", limit=float(limits.test_timeout_s))
    if state.get("overflow"):
        return said("run.channel_overflow", mb=limits.result_channel_bytes >> 20)
    code = out.returncode
    if code in (3, 4):  # pytest's internal or usage error: the trusted side broke
        lines = [ln.strip() for ln in out.output.strip().splitlines()[-4:]]
        tail = clean(" | ".join(ln for ln in lines if ln not in kit_lines()))[-600:]
        return said("run.grader_failed", code=code, tail=tail)
    if code is not None and code < 0:
        sig = signal.Signals(-code).name
        if sig == "SIGXFSZ":
            return said("run.file_size_limit")
        return said("run.killed", signal=sig, memory_mb=limits.memory_mb)
    if state.get("bytes", 0) > 50_000_000:
        return said("run.output_flood", mb=state["bytes"] >> 20)
    return said("run.early_exit", code=str(code))
