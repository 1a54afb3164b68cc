"""Step 2 of grading: run one student's topic, the tests trusted, the code boxed.

The run folder holds the kit's tests (visible and hidden) and the whitelisted
exercise files of the submission, copied without following links. A trusted pytest
runs the tests there; it never imports the submission. The tests reach the student's
code only through a worker process that the plugin starts inside a bubblewrap box
(``box/bubblewrap.py``, ``grader/grading/worker``): an unprivileged uid, no network, its own pid
namespace, a read-only view of the student's files alone. Results come back on a
pipe (``channel.py``); a watchdog here stops a run whose test overruns its limit. A
run that dies is restarted on the tests it did not finish.

Warm starts: the trusted pytest is forked from the job's template (``warm_trusted.py``),
and with a student's warm box (``worker/warm_box.py``) the workers are forked there;
the box is swept after each run. Without either, both start cold, as before."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from grader.core import i18n, manifest
from grader.core.messages import Message, Note, languages, render, said
from grader.core.failure_kinds import STOPPED
from grader.core.limits import DEFAULTS, Limits
from grader.core.results import Outcome, TestResult
from grader.grading.box import bubblewrap as boxes
from grader.grading.box import uids as box_uids
from grader.grading.run.deaths import death_reason
from grader.grading.run.run_folder import build
from grader.grading.run.test_list import expected_tests
from grader.grading.run.trusted_start import run_once


@dataclass
class TopicRun:
    results: dict[str, TestResult] = field(default_factory=dict)
    notes: list[Note] = field(default_factory=list)
    seconds: float = 0.0
    output: str = ""

def run_topic(topic: str, submission_topic_dir: Path | None, box: Path, timeout: float,
              limits: Limits = DEFAULTS, host_uid: int | None = None,
              exercises: set[str] | None = None, warm=None) -> TopicRun:
    """Grade one topic of one student in a box (only ``exercises``, when given); every
    expected test ends with a result.

    ``host_uid``: the unprivileged uid this box runs as (one per parallel job).
    ``warm``: the student's warm box (``worker.warm_box.WarmBox``), where the workers
    are forked; it is swept after each run.
    """
    if host_uid is None:  # a box of its own: lease a uid no other box on this node holds
        with box_uids.leased_uid(limits) as uid:
            return run_topic(topic, submission_topic_dir, box, timeout, limits, uid, exercises,
                             warm)
    start = time.monotonic()
    boxes.prepare_folder(box)
    run = TopicRun(notes=build(topic, submission_topic_dir, box))
    expected, first = _selection(topic, exercises)
    deadline = start + timeout
    pending = list(expected)
    outputs = []
    for attempt in range(limits.max_restarts + 1):
        if not pending or time.monotonic() >= deadline:
            break
        try:
            out, state = run_once(box, topic, pending if attempt else first, deadline, limits,
                                   host_uid, warm)
        finally:
            if warm is not None:
                warm.sweep()
        outputs.append(out.output)
        if state.get("bytes", 0) > 1_000_000:
            run.notes.append(said("run.output_cut", topic=topic, mb=state["bytes"] / 1e6))
        run.results.update({k: v for k, v in out.results.items() if k in expected})
        pending = [t for t in expected if t not in run.results]
        if not pending:
            break
        reason = death_reason(out, state, limits, timeout)
        _after_death(run, topic, out, reason, pending, attempt)
    for nodeid in pending:
        run.results[nodeid] = stopped(nodeid, Outcome.MISSING, said("run.no_result"))
    run.seconds = time.monotonic() - start
    run.output = "\n".join(outputs)[-20000:]
    return run


def _selection(topic: str, exercises: set[str] | None) -> tuple[list[str], list[str]]:
    """The tests expected of this run (only ``exercises``' when given), and what the first
    run selects (the whole topic folder, or those tests' files)."""
    expected = list(expected_tests(topic))
    if exercises is None:
        return expected, []
    info = manifest.load_topic(topic)
    owner = {t: info.exercise_for_test_file(Path(t.split("::")[0]).name) for t in expected}
    expected = [t for t in expected if owner[t] is not None and owner[t].name in exercises]
    return expected, sorted({t.split("::")[0] for t in expected})


def _after_death(run: TopicRun, topic: str, out, reason: Message, pending: list[str],
                 attempt: int) -> None:
    """A run that died: the test it was in fails with the reason, and so does the rest of
    that test file (it would most likely die the same way); ``pending`` loses them."""
    culprit = out.unfinished
    if culprit in pending:
        run.results[culprit] = stopped(culprit, Outcome.FAILED, reason)
        pending.remove(culprit)
        same_file = [t for t in pending if t.split("::")[0] == culprit.split("::")[0]]
        for nodeid in same_file:
            run.results[nodeid] = stopped(nodeid, Outcome.FAILED, said(
                "run.same_file_stopped", test=culprit.split("::")[-1], reason=reason))
            pending.remove(nodeid)
    elif attempt == 0 and not out.started:
        run.notes.append(said("run.died_before_tests", topic=topic, reason=reason))
    run.notes.append(said("run.attempt_died", topic=topic, attempt=attempt + 1, reason=reason))


def stopped(nodeid: str, outcome: Outcome, message: Message) -> TestResult:
    """A test the grader ends itself (a death, a test never reached): its message kept as
    data, rendered in the run's language for the run's own output."""
    return TestResult(nodeid, outcome, render(message, i18n.current_lang()),
                      translations=languages(message), failure_id=STOPPED, said=message)
