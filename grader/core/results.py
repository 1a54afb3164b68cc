"""The record of one test's result, and the JSON-lines file the pytest plugin writes."""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from pathlib import Path

from grader.core.messages import Message, render


class Outcome(str, enum.Enum):
    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"
    MISSING = "missing"  # the test never reported: counts as failed
    ERROR = "error"  # the kit could not run it (for example a mutant that does not apply)

    def __str__(self) -> str:
        return self.value

    @property
    def passed(self) -> bool:
        return self is Outcome.PASSED

    @classmethod
    def parse(cls, text) -> "Outcome":
        try:
            return cls(str(text))
        except ValueError:
            return cls.ERROR


LISTED_TEST = "cnnkit-test "  # a collected test's line (--cnnkit-list-tests): id and markers
# A passed test's note for a person (``record_property(REVIEW_PROPERTY, text)``): the rule
# could not decide, so the points stand and the record carries the flag (see core.scoring).
REVIEW_PROPERTY = "cnnkit_review"
REVIEW_LIMIT = 8000  # characters of one review note kept
# A failing test's fixed failure id, named by the test itself (one of core.failure_kinds:
# a rule that finds the file missing says so), ahead of the id of the line that failed.
FAILURE_KIND_PROPERTY = "cnnkit_failure_kind"

# Which outcome wins when one test reports twice (call, then a failing teardown).
_RANK = {Outcome.PASSED: 0, Outcome.SKIPPED: 1, Outcome.FAILED: 2, Outcome.MISSING: 3,
         Outcome.ERROR: 4}


@dataclass
class TestResult:
    __test__ = False  # not a pytest test class

    nodeid: str
    outcome: Outcome
    message: str = ""
    duration: float = 0.0
    translations: dict[str, str] | None = None  # the message in every language, if kept
    gate: bool = False  # marked ``gate``: a rule on the submitted file (see core.scoring)
    review: str = ""  # what a person should look at (the message, possibly bilingual-kept)
    failure_id: str = ""  # what failed, in no language (grader.testkit.failure_ids)
    said: Message | None = None  # the grader's own message, as data (core.messages)

    def __post_init__(self):
        self.outcome = Outcome.parse(self.outcome)

    def text(self, lang: str) -> str:
        if self.said is not None:
            return render(self.said, lang)
        return (self.translations or {}).get(lang) or self.message

    @property
    def name(self) -> str:
        return self.nodeid.split("::", 1)[-1]

    @property
    def file(self) -> str:
        return Path(self.nodeid.split("::", 1)[0]).name

    def merged(self, later: "TestResult") -> "TestResult":
        """Two reports of one test: the worse outcome wins, messages are kept."""
        if _RANK[later.outcome] > _RANK[self.outcome]:
            message = "\n".join(m for m in (self.message, later.message) if m)
            both = None
            if self.translations or later.translations:
                both = {lang: "\n".join(m for m in (self.text(lang), later.text(lang)) if m)
                        for lang in (self.translations or later.translations)}
            return TestResult(self.nodeid, later.outcome, message,
                              self.duration + later.duration, both, self.gate or later.gate,
                              self.review or later.review,
                              later.failure_id or self.failure_id)
        if later.review and not self.review:
            return dataclasses.replace(self, review=later.review)
        return self


@dataclass
class RunOutcome:
    results: dict[str, TestResult] = field(default_factory=dict)
    started: list[str] = field(default_factory=list)
    returncode: int | None = None
    output: str = ""
    timed_out: bool = False

    @property
    def unfinished(self) -> str | None:
        """The test that was running when the process stopped, if any."""
        for nodeid in reversed(self.started):
            if nodeid not in self.results:
                return nodeid
        return None


def sign(token: bytes, record: dict) -> str:
    """HMAC-SHA256 of a record's canonical JSON (its ``mac`` field left out)."""
    body = json.dumps({k: v for k, v in record.items() if k != "mac"}, sort_keys=True)
    return hmac.new(token, body.encode(), hashlib.sha256).hexdigest()


def failure_id_of(record: dict) -> str:
    """A result line's failure id: a short string, else ""."""
    value = record.get("failure_id")
    return value if isinstance(value, str) and 0 < len(value) <= 300 else ""


def review_of(record: dict) -> str:
    """A result line's review note ("" when none or not text)."""
    note = record.get("review")
    return note[:REVIEW_LIMIT] if isinstance(note, str) else ""


def read_results(path: Path) -> tuple[dict[str, TestResult], list[str]]:
    """Parse a results file written by the plugin (``cnnkit check``, the nbgrader runtime)."""
    results: dict[str, TestResult] = {}
    started: list[str] = []
    path = Path(path)
    if not path.is_file():
        return results, started
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue  # a torn last line from a killed process
        if not isinstance(rec, dict) or not isinstance(rec.get("nodeid"), str):
            continue
        nodeid = rec["nodeid"]
        if rec.get("event") == "start":
            started.append(nodeid)
        elif rec.get("event") == "result":
            new = TestResult(nodeid, Outcome.parse(rec.get("outcome")),
                             str(rec.get("message", "")), float(rec.get("duration", 0) or 0),
                             gate=rec.get("gate") is True, review=review_of(rec),
                             failure_id=failure_id_of(rec))
            results[nodeid] = results[nodeid].merged(new) if nodeid in results else new
    return results, started
