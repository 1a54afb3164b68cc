"""The grader's default limits, in one place: the CLI, the library and the README use them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    memory_mb: int = 8192  # address space per student run: enough for `import torch`
    test_timeout_s: float = 90.0  # one test
    topic_timeout_s: float | None = None  # one student's topic; None: the topic.toml's timeout_s
    max_restarts: int = 6  # runs after a crash, each on the tests not yet reported
    file_size_mb: int = 256  # largest file a run may write
    output_head: int = 32_000  # bytes of output kept from the start ...
    output_tail: int = 8_000  # ... and from the end


DEFAULTS = Limits()
