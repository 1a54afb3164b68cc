"""Whom a crash of the grader's own code, while it grades one student, is blamed on.

A failure caused by a submission's content belongs to that submission: "the machine was
at fault" is said only with evidence. The evidence is the machine's own complaint in the
error (a full disk, no memory, an I/O error), or the reference solution losing points on
this machine now, in the same box and configuration (the machine check, run again
uncached). Without either, the record says that the grader could not handle something
in the submission, and names it; nobody is told the machine failed them when it did not.
"""

from __future__ import annotations

import errno
import threading
import time
from dataclasses import dataclass

from grader.core import manifest, paths
from grader.core.limits import Limits
from grader.core.messages import Message, said
from grader.grading import canary, names, readiness

# errno values that are the machine's state, never a submission's content
MACHINE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.ENOMEM, errno.EIO,
                            errno.EROFS, errno.EMFILE, errno.ENFILE})
RECHECK_FRESH_S = 300.0  # a passing re-check this recent counts as "now" (a bug hit by many)
_RECHECKED: dict[str, tuple[float, canary.TopicCheck]] = {}
_LOCK = threading.Lock()


@dataclass
class Blame:
    machine: bool  # True only with evidence
    evidence: Message  # what shows it
    checked: bool = True  # False: no reference here to check the machine with


def what_failed(exc: BaseException) -> str:
    """The error in one line, its bytes escaped: a name or text from the submission may be
    in it."""
    text = str(exc).splitlines()[0][:300] if str(exc).strip() else ""
    return names.clean(f"{type(exc).__name__}: {text}" if text else type(exc).__name__)


def machine_error(exc: BaseException) -> str | None:
    """The machine's own complaint in ``exc`` or the errors that led to it, else None."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, MemoryError):
            return "MemoryError"
        if isinstance(current, OSError) and current.errno in MACHINE_ERRNOS:
            return f"{errno.errorcode[current.errno]} ({current.strerror})"
        current = current.__cause__ or current.__context__
    return None


def _recheck(topic: manifest.Topic, ready: readiness.DataPlan,
             limits: Limits) -> canary.TopicCheck:
    """The reference of ``topic`` graded again on this machine (a recent pass reused)."""
    with _LOCK:
        recent = _RECHECKED.get(topic.name)
        if recent and recent[1].passed and time.monotonic() - recent[0] < RECHECK_FRESH_S:
            return recent[1]
    result = canary.check_topic(topic, ready, limits, use_cache=False)
    with _LOCK:
        _RECHECKED[topic.name] = (time.monotonic(), result)
    return result


def blame(exc: BaseException, topics: list[manifest.Topic], ready: readiness.DataPlan,
          limits: Limits) -> Blame:
    """The machine, with the evidence; else the submission (the evidence then says that the
    reference still passes, or that there is no reference here to check with)."""
    found = machine_error(exc)
    if found:
        return Blame(True, said("crash.evidence.machine_reported", error=found))
    if not paths.solutions_dir().is_dir():
        return Blame(False, said("crash.evidence.no_reference"), False)
    checked = []
    for topic in topics:
        if not ready.graded_exercises(topic):
            continue
        try:
            result = _recheck(topic, ready, limits)
        except Exception as err:  # noqa: BLE001 - the reference cannot be graded either
            return Blame(True, said("crash.evidence.reference_fails", topic=topic.name,
                                    error=type(err).__name__))
        if not result.passed:
            return Blame(True, said("crash.evidence.reference_scores", topic=topic.name,
                                    score=float(result.score),
                                    max_score=float(result.max_score)))
        checked.append(topic.name)
    if not checked:
        return Blame(False, said("crash.evidence.no_topic_reference"), False)
    return Blame(False, said("crash.evidence.reference_full_marks", topics=", ".join(checked)))


def reason(what: str, found: Blame) -> Message:
    """The message every unrun test and the notes carry."""
    if found.machine:
        return said("crash.machine", what=what, evidence=found.evidence)
    machine = said("crash.not_the_machine" if found.checked else "crash.no_sign_of_the_machine")
    return said("crash.submission", what=what, machine=machine, evidence=found.evidence)
