"""The grader's default limits, in one place: the CLI, the library and the README use them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    memory_mb: int = 8192  # address space per student run: enough for `import torch`
    test_timeout_s: float = 90.0  # one test (the watchdog in the grader kills the box after it)
    watchdog_grace_s: float = 5.0  # the in-box alarm gets this long to fail the test itself
    topic_timeout_s: float | None = None  # one student's topic; None: the topic.toml's timeout_s
    max_restarts: int = 6  # runs after a crash, each on the tests not yet reported
    file_size_mb: int = 256  # largest file a run may write
    scratch_mb: int = 512  # the box's private /tmp, in memory: all a run may write
    max_processes: int = 64  # processes and threads of one box (RLIMIT_NPROC)
    box_uid: int = 65534  # host uid of the first box; parallel boxes count down from it
    result_channel_bytes: int = 4_000_000  # most a run may send on its result channel
    output_head: int = 32_000  # bytes of output kept from the start ...
    output_tail: int = 8_000  # ... and from the end


DEFAULTS = Limits()
