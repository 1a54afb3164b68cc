"""The result channel: a pipe the grader creates, read with a size cap.

The box's pytest writes one JSON line per test start and result to the pipe's
write end (an inherited file descriptor); no path in any folder is involved, so
nothing the student controls (a FIFO, a link, a rewritten file) can block or
feed the grader. The reader also tells the watchdog which test is running, and
since when.
"""

from __future__ import annotations

import json
import os
import threading
import time

from grader.core.results import TestResult, Outcome, failure_id_of, review_of


class ResultChannel:
    def __init__(self, cap_bytes: int):
        self.read_fd, self.write_fd = os.pipe()
        os.set_inheritable(self.write_fd, True)
        self.cap = cap_bytes
        self.bytes = 0
        self.overflow = False
        self.results: dict[str, TestResult] = {}
        self.started: list[str] = []
        self.running: tuple[str, float] | None = None  # (nodeid, monotonic start)
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._read, daemon=True)

    def start(self) -> None:
        """Call once the child holds the write end: the grader keeps only the read end."""
        os.close(self.write_fd)
        self._thread.start()

    def current(self) -> tuple[str, float] | None:
        with self._lock:
            return self.running

    def finish(self, timeout: float = 10) -> None:
        self._thread.join(timeout)

    def _read(self) -> None:
        pending = b""
        with os.fdopen(self.read_fd, "rb", buffering=0) as pipe:
            while chunk := pipe.read(65536):
                if self.overflow:
                    continue  # drain so the box never blocks; the grader kills it anyway
                room = self.cap - self.bytes
                self.bytes += len(chunk)
                if len(chunk) > room:  # keep what fits, then stop reading results
                    self.overflow = True
                    chunk = chunk[:room]
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    self._record(line)

    def _record(self, line: bytes) -> None:
        try:
            rec = json.loads(line)
        except ValueError:
            return
        if not isinstance(rec, dict) or not isinstance(rec.get("nodeid"), str):
            return
        nodeid = rec["nodeid"]
        with self._lock:
            if rec.get("event") == "start":
                self.started.append(nodeid)
                self.running = (nodeid, time.monotonic())
            elif rec.get("event") == "result":
                try:
                    duration = float(rec.get("duration", 0) or 0)
                except (TypeError, ValueError):
                    duration = 0.0
                new = TestResult(nodeid, Outcome.parse(rec.get("outcome")),
                                 str(rec.get("message", ""))[:20_000], duration,
                                 review=review_of(rec), failure_id=failure_id_of(rec))
                old = self.results.get(nodeid)
                self.results[nodeid] = old.merged(new) if old else new
            elif rec.get("event") == "end" and self.running and self.running[0] == nodeid:
                self.running = None
