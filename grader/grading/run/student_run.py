"""One student of a class: each topic run in the job's box, its graded trainings, each
topic's sealed record as soon as it is done; whatever goes wrong costs this student only
(a zero record per topic not written yet, blamed on the machine only with evidence)."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from grader.core import i18n, manifest
from grader.core.messages import Message, languages, render
from grader.core.failure_kinds import UNGRADED
from grader.core.i18n import pick
from grader.core.results import Outcome, TestResult
from grader.core.files import atomic_write
from grader.core.limits import DEFAULTS, Limits
from grader.grading import discover, readiness, report, score, term
from grader.grading.run import test_list
from grader.grading.run import topic_run
from grader.grading.box import uids as box_uids
from grader.grading.box import safefiles
from grader.grading.run import crash_blame
from grader.grading.run import warm_trusted
from grader.grading.training import graded_run
from grader.grading.worker.warm_box import WarmBoxes


def grade_student(sub: discover.Submission, topics: list[manifest.Topic], out: Path,
                  limits: Limits, fingerprint: str | dict[str, str], lang: str,
                  key: bytes = b"", uids=None, ready: readiness.DataPlan | None = None,
                  training: graded_run.TrainingPlan | None = None,
                  warm_boxes: WarmBoxes | None = None, run: dict | None = None) -> dict:
    """One student, topic by topic, in a box that starts as a fresh one (a job's warm box
    from ``warm_boxes``, cleared after its last student), then (with ``training``) each
    graded training run. Each topic's sealed record is written as soon as it is graded
    (``term``: the record it replaces goes to the history), then results.json sums them.
    ``fingerprint``: per topic (one string: the same for each). Whatever goes wrong while
    grading this student (a bug, a full disk, a file no check foresaw) costs this student
    only: a zero record for each topic not yet written, saying what failed and whom it
    is blamed on (``crash_blame``), graded again on the next run."""
    fps = fingerprint if isinstance(fingerprint, dict) else {t.name: fingerprint
                                                             for t in topics}
    run = run or term.new_run()
    try:
        return _grade_student(sub, topics, out, limits, fps, lang, key, uids, ready,
                              training, warm_boxes, run)
    except Exception as exc:  # noqa: BLE001 - contained: the class run goes on
        return crashed_result(sub, topics, out, fps, lang, key, ready, exc, run, limits)

def unrun_scores(topics: list[manifest.Topic], ready: readiness.DataPlan,
                 reason: Message) -> list[score.TestScore]:
    """Every graded test of ``topics`` failed for the grader's ``reason``: a record for a
    student the grader could not grade."""
    scores: list[score.TestScore] = []
    for topic in topics:
        graded = ready.graded_exercises(topic)
        try:
            expected = test_list.expected_tests(topic.name)
        except Exception:  # noqa: BLE001 - the record is written without them
            expected = ()
        results = {n: TestResult(n, Outcome.MISSING, render(reason, i18n.current_lang()),
                                 translations=languages(reason), failure_id=UNGRADED,
                                 said=reason)
                   for n in expected
                   if getattr(topic.exercise_for_test_file(n.split("::")[0]), "name", "")
                   in graded}
        scores += score.score_topic(topic, results)
    return scores

def own_not_graded(ready: readiness.DataPlan, topic: str) -> dict[str, list[str]]:
    """The exercises (and graded trainings) of ``topic`` this machine cannot grade."""
    return {k: v for k, v in ready.not_graded.items() if k.startswith(topic + "/")}

def crashed_result(sub: discover.Submission, topics: list[manifest.Topic], out: Path,
                   fingerprint: str | dict[str, str], lang: str, key: bytes,
                   ready: readiness.DataPlan | None, exc: BaseException,
                   run: dict | None = None, limits: Limits = DEFAULTS) -> dict:
    """Zero points, every expected test failed with the reason, for each topic this run has
    not written yet (the topics graded to the end keep their records); the reason blames
    the machine only with evidence (``crash_blame``). Such a record holds no grade, so a
    re-run grades that topic again."""
    ready = ready or readiness.DataPlan()
    run = run or term.new_run()
    fps = fingerprint if isinstance(fingerprint, dict) else {t.name: fingerprint
                                                             for t in topics}
    what = crash_blame.what_failed(exc)
    left = [t for t in topics if not _written_by(out, sub.student, t.name, key, run)]
    found = crash_blame.blame(exc, left or topics, ready, limits or DEFAULTS)
    reason = crash_blame.reason(what, found)
    print(f"cnnkit grade: {sub.student}: {what} ("
          + pick({"en": "the machine: " if found.machine else "the submission: ",
                  "vi": "do máy: " if found.machine else "do bài nộp: "}, lang)
          + render(found.evidence, i18n.current_lang(lang)) + ")", file=sys.stderr)

    def zero(chosen, fp):
        result = report.results_json(sub.student, unrun_scores(chosen, ready, reason),
                                     [reason], 0.0, f"crashed:{fp}",
                                     not_graded={k: v for t in chosen
                                                 for k, v in own_not_graded(ready, t.name).items()},
                                     name=sub.name)
        result["cnnkit"]["crashed"] = what
        result["cnnkit"].update(sub.record)  # entry, lms, participant (intake.py)
        return result

    written = False
    for topic in left:
        term.store_topic(out, sub.student, term.topic_record(
            zero([topic], fps.get(topic.name, "")), topic.name, run), key)
        written = True
    merged = term.refresh(out, sub.student, key, lang) if written or topics else None
    return merged if merged is not None else zero([], "")

def _written_by(out: Path, student: str, topic: str, key: bytes, run: dict) -> bool:
    """Whether this run graded ``topic`` of ``student`` to the end before a failure."""
    saved = term.load_topic(out, student, topic, key)
    return saved is not None and (saved["cnnkit"].get("run") or {}).get("id") == run["id"]

def _grade_student(sub: discover.Submission, topics: list[manifest.Topic], out: Path,
                   limits: Limits, fps: dict[str, str], lang: str, key: bytes = b"",
                   uids=None, ready: readiness.DataPlan | None = None,
                   training: graded_run.TrainingPlan | None = None,
                   warm_boxes: WarmBoxes | None = None, run: dict | None = None) -> dict:
    ready = ready or readiness.DataPlan()
    run = run or term.new_run()
    if uids is None:  # on its own: a pool of one node-wide locked uid
        uids = box_uids.host_uids(limits, 1)
    host_uid = uids.get()  # one box uid per parallel job
    own_boxes = warm_boxes is None  # on its own: a warm box for this student alone
    warm_boxes = WarmBoxes(limits) if own_boxes else warm_boxes
    warm = None  # the job's warm box: workers forked there; without it, each starts cold
    try:
        if not warm_trusted.cold_start():
            warm = warm_boxes.take(host_uid)
        for topic in topics:
            record = _grade_topic(sub, topic, out, limits, fps.get(topic.name, ""), ready,
                                  training, host_uid, warm)
            term.store_topic(out, sub.student, term.topic_record(record, topic.name, run), key)
    finally:
        if warm is not None:
            if own_boxes:
                warm.close()
            else:
                warm_boxes.give_back(warm)
        if uids:
            uids.put(host_uid)
    return term.refresh(out, sub.student, key, lang)

def _grade_topic(sub: discover.Submission, topic: manifest.Topic, out: Path, limits: Limits,
                 fingerprint: str, ready: readiness.DataPlan,
                 training: graded_run.TrainingPlan | None, host_uid, warm) -> dict:
    """One topic's record (unsealed): its tests in the box, then its graded trainings."""
    scores: list[score.TestScore] = []
    notes = ([sub.problem] if sub.problem else []) + list(sub.notes)
    seconds = 0.0
    trainings: dict[str, dict] = {}
    graded = ready.graded_exercises(topic)
    topic_dir = sub.root / topic.name if sub.root else None
    if topic_dir is not None and not safefiles.is_plain_dir(topic_dir):
        topic_dir = None
    if graded:
        with tempfile.TemporaryDirectory(prefix="cnnkit-box-") as folder:
            ran = topic_run.run_topic(topic.name, topic_dir, Path(folder),
                                         timeout=limits.topic_timeout_s or topic.timeout_s,
                                         limits=limits, host_uid=host_uid,
                                         exercises=None if len(graded) == len(topic.exercises)
                                         else graded, warm=warm)
        seconds += ran.seconds
        notes += ran.notes
        scores += score.score_topic(topic, ran.results)
    if graded and training is not None and "train" in graded:
        for spec in topic.graded_trainings:
            name = graded_run.column(topic.name, spec)
            if name in ready.not_graded:
                continue
            done = graded_run.run_one(topic.name, spec, topic_dir, training, limits,
                                          host_uid)
            scores.append(done.score)
            notes += done.notes  # e.g. weights not trained in this run
            trainings[name] = done.record
            if done.curves_png:
                atomic_write(term.student_dir(out, sub.student) / report.curves_file(name),
                             done.curves_png)
                done.record["curves"] = report.curves_file(name)
    result = report.results_json(sub.student, scores, notes, seconds, fingerprint,
                                 not_graded=own_not_graded(ready, topic.name), name=sub.name,
                                 training=trainings if training is not None else None)
    result["cnnkit"].update(sub.record)  # entry, lms, participant (intake.py)
    return result
