"""Grade a class: data check -> discover -> isolated_run (run boxed) -> score -> report.

Each student is written to disk as soon as they are graded, sealed with the grader's
key, so a killed run loses nothing already graded, and a re-run skips them unless their
files, the kit's tests, the points, the kit's version or the data at hand changed (or
``force``), or their results.json no longer carries a valid seal.
"""

from __future__ import annotations

import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from grader.core import i18n, manifest, paths
from grader.core.errors import NotFound
from grader.core.i18n import pick
from grader.core.results import Outcome, TestResult
from grader.core.files import atomic_write
from grader.core.limits import DEFAULTS, Limits
from grader.grading import (box, canary, crash_blame, discover, readiness, records, report,
                            safefiles, isolated_run, score, training_grade, warm_trusted)
from grader.grading.classview.report import after_grading
from grader.grading.worker.warm_box import WarmBoxes


class Progress:
    def __init__(self, total: int, stream=sys.stderr):
        self.total, self.done, self.stream = total, 0, stream
        self.lock = threading.Lock()
        self.start = time.monotonic()

    def step(self, line: str) -> None:
        with self.lock:
            self.done += 1
            elapsed = time.monotonic() - self.start
            eta = elapsed / self.done * (self.total - self.done)
            print(f"[{self.done}/{self.total}] {line}   " + pick({
                "en": f"(elapsed {elapsed:.0f} s, about {eta:.0f} s left)",
                "vi": f"(đã chạy {elapsed:.0f} giây, còn khoảng {eta:.0f} giây)"}),
                file=self.stream, flush=True)


@dataclass
class Graded:
    """What grading one student has finished so far: whole topics only (a crash keeps it)."""

    scores: list[score.TestScore] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    trainings: dict[str, dict] = field(default_factory=dict)
    curves: dict[str, bytes] = field(default_factory=dict)
    topics: list[str] = field(default_factory=list)  # topics graded to the end
    current: str | None = None  # the topic being graded


def grade_student(sub: discover.Submission, topics: list[manifest.Topic], out: Path,
                  limits: Limits, fingerprint: str, lang: str, key: bytes = b"",
                  uids=None, ready: readiness.DataPlan | None = None,
                  training: training_grade.TrainingPlan | None = None,
                  warm_boxes: WarmBoxes | None = None) -> dict:
    """One student, topic by topic, in a box that starts as a fresh one (a job's warm box
    from ``warm_boxes``, cleared after its last student), then (with ``training``) each
    graded training run; the sealed result is written. Whatever goes wrong while grading
    this student (a bug, a full disk, a file no check foresaw) costs this student only: a
    record that keeps the topics graded to the end, says what failed and whom it is
    blamed on (``crash_blame``), and is graded again on the next run."""
    graded = Graded()
    try:
        return _grade_student(sub, topics, out, limits, fingerprint, lang, key, uids, ready,
                              training, warm_boxes, graded)
    except Exception as exc:  # noqa: BLE001 - contained: the class run goes on
        return crashed_result(sub, topics, out, fingerprint, lang, key, ready, exc, graded,
                              limits)


def unrun_scores(topics: list[manifest.Topic], ready: readiness.DataPlan,
                 reason: dict[str, str]) -> list[score.TestScore]:
    """Every graded test of ``topics`` failed for the grader's ``reason`` (kept in every
    language): a record for a student the grader could not grade."""
    scores: list[score.TestScore] = []
    for topic in topics:
        graded = ready.graded_exercises(topic)
        try:
            expected = isolated_run.expected_tests(topic.name)
        except Exception:  # noqa: BLE001 - the record is written without them
            expected = ()
        results = {n: TestResult(n, Outcome.MISSING, pick(reason), translations=dict(reason))
                   for n in expected
                   if getattr(topic.exercise_for_test_file(n.split("::")[0]), "name", "")
                   in graded}
        scores += score.score_topic(topic, results)
    return scores


def crashed_result(sub: discover.Submission, topics: list[manifest.Topic], out: Path,
                   fingerprint: str, lang: str, key: bytes, ready: readiness.DataPlan | None,
                   exc: BaseException, graded: Graded | None = None,
                   limits: Limits = DEFAULTS) -> dict:
    """The topics graded to the end keep their points; every other expected test fails
    with the reason, which blames the machine only with evidence (``crash_blame``). The
    fingerprint never matches, so a re-run grades this student again."""
    ready = ready or readiness.DataPlan()
    graded = graded or Graded()
    limits = limits or DEFAULTS
    what = crash_blame.what_failed(exc)
    left = [t for t in topics if t.name not in graded.topics]
    suspects = [t for t in left if t.name == graded.current] or left or topics
    found = crash_blame.blame(exc, suspects, ready, limits)
    reason = crash_blame.reason(what, found)
    print(f"cnnkit grade: {sub.student}: {what} ("
          + pick({"en": "the machine: " if found.machine else "the submission: ",
                  "vi": "do máy: " if found.machine else "do bài nộp: "}, lang)
          + pick(found.evidence, lang) + ")", file=sys.stderr)
    try:  # the topics graded to the end, with their notes
        return _write_crash(sub, out, fingerprint, lang, key, ready, what, reason,
                            graded.scores + unrun_scores(left, ready, reason), graded)
    except Exception:  # noqa: BLE001 - something they held broke the record: without them
        return _write_crash(sub, out, fingerprint, lang, key, ready, what, reason,
                            unrun_scores(topics, ready, reason), Graded())


def _write_crash(sub: discover.Submission, out: Path, fingerprint: str, lang: str,
                 key: bytes, ready: readiness.DataPlan, what: str, reason: dict[str, str],
                 scores: list[score.TestScore], graded: Graded) -> dict:
    result = report.results_json(sub.student, scores, [*graded.notes, i18n.keep(reason)],
                                 graded.seconds, f"crashed:{fingerprint}",
                                 not_graded=ready.not_graded, name=sub.name,
                                 training=graded.trainings or None)
    result["cnnkit"]["crashed"] = what
    if key:
        result = records.seal(result, key)
    report.write_student(out, sub.student, result, lang, graded.curves)
    return result


def _grade_student(sub: discover.Submission, topics: list[manifest.Topic], out: Path,
                   limits: Limits, fingerprint: str, lang: str, key: bytes = b"",
                   uids=None, ready: readiness.DataPlan | None = None,
                   training: training_grade.TrainingPlan | None = None,
                   warm_boxes: WarmBoxes | None = None, graded: Graded | None = None) -> dict:
    ready = ready or readiness.DataPlan()
    graded = graded if graded is not None else Graded()
    graded.notes += [sub.problem] if sub.problem else []
    if uids is None:  # on its own: a pool of one node-wide locked uid
        uids = box.host_uids(limits, 1)
    host_uid = uids.get()  # one box uid per parallel job
    own_boxes = warm_boxes is None  # on its own: a warm box for this student alone
    warm_boxes = WarmBoxes(limits) if own_boxes else warm_boxes
    warm = None  # the job's warm box: workers forked there; without it, each starts cold
    try:
        if not warm_trusted.cold_start():
            warm = warm_boxes.take(host_uid)
        for topic in topics:
            if ready.graded_exercises(topic):
                graded.current = topic.name
                _grade_topic(sub, topic, limits, ready, training, host_uid, warm, graded)
                graded.topics.append(topic.name)
        graded.current = None
    finally:
        if warm is not None:
            if own_boxes:
                warm.close()
            else:
                warm_boxes.give_back(warm)
        if uids:
            uids.put(host_uid)
    result = report.results_json(sub.student, graded.scores, graded.notes, graded.seconds,
                                 fingerprint, not_graded=ready.not_graded, name=sub.name,
                                 training=graded.trainings if training is not None else None)
    if key:
        result = records.seal(result, key)
    report.write_student(out, sub.student, result, lang, graded.curves)
    return result


def _grade_topic(sub: discover.Submission, topic: manifest.Topic, limits: Limits,
                 ready: readiness.DataPlan, training: training_grade.TrainingPlan | None,
                 host_uid: int, warm, graded: Graded) -> None:
    """One topic in its box, then its graded training runs; added to ``graded`` only once
    the whole topic is done (a crash midway leaves no half of it)."""
    exercises = ready.graded_exercises(topic)
    topic_dir = sub.root / topic.name if sub.root else None
    if topic_dir is not None and not safefiles.is_plain_dir(topic_dir):
        topic_dir = None
    with tempfile.TemporaryDirectory(prefix="cnnkit-box-") as folder:
        run = isolated_run.run_topic(topic.name, topic_dir, Path(folder),
                                     timeout=limits.topic_timeout_s or topic.timeout_s,
                                     limits=limits, host_uid=host_uid,
                                     exercises=None if len(exercises) == len(topic.exercises)
                                     else exercises, warm=warm)
    scores = score.score_topic(topic, run.results)
    trainings: dict[str, dict] = {}
    curves: dict[str, bytes] = {}
    if training is not None and "train" in exercises:
        for spec in topic.graded_trainings:
            name = training_grade.column(topic.name, spec)
            if name in ready.not_graded:
                continue
            done = training_grade.run_one(topic.name, spec, topic_dir, training, limits,
                                          host_uid)
            scores.append(done.score)
            trainings[name] = done.record
            if done.curves_png:
                curves[name] = done.curves_png
                done.record["curves"] = report.curves_file(name)
    graded.seconds += run.seconds
    graded.notes += run.notes
    graded.scores += scores
    graded.trainings.update(trainings)
    graded.curves.update(curves)


def crash_record(out: Path, student: str, fingerprint: str, key: bytes) -> dict | None:
    """The sealed zero record ``crashed_result`` wrote for this fingerprint, if any."""
    return already_graded(out, student, f"crashed:{fingerprint}", key)


def already_graded(out: Path, student: str, fingerprint: str, key: bytes) -> dict | None:
    """The saved result, if the grader sealed it with its key and nothing changed since."""
    saved = records.load_trusted(out / "students" / student / "results.json", key)
    return saved if saved and saved["cnnkit"].get("fingerprint") == fingerprint else None


@dataclass
class ClassPlan:
    """Who is graded in this run, and what was already graded before (a resumed run)."""

    out: Path
    infos: list[manifest.Topic]
    subs: list[discover.Submission]
    results: dict[str, dict]  # students already graded, by id
    todo: list[tuple[discover.Submission, str]]  # (submission, fingerprint)
    ready: readiness.DataPlan  # which exercises this machine has the data to grade
    key: bytes  # the grader's sealing key, kept in the output folder (0600)
    training: training_grade.TrainingPlan | None = None  # `grade --train`, None when off
    machine: list[canary.TopicCheck] | None = None  # the reference's check on this machine

    @property
    def topic_names(self) -> list[str]:
        return [t.name for t in self.infos]


def plan_class(submissions: Path, out: Path, topics: list[str] | None = None,
               force: bool = False, skip_missing_data: bool = False, lang: str = "en",
               limits: Limits = DEFAULTS, train: str = "off") -> ClassPlan:
    """Check the box and the data, discover the submissions, find those whose results
    are missing or stale. A missing data set stops everything here, before anyone is
    graded, unless ``skip_missing_data``: then the exercises that need it are 'not graded'
    (never zero)."""
    box.require(limits)  # never grade outside a box
    names = [paths.resolve_topic(t) for t in topics] if topics else paths.topics()
    infos = [manifest.load_topic(t) for t in names]
    ready = readiness.plan(infos)  # never blame a student for the machine
    if ready.missing and not skip_missing_data:
        raise readiness.DataNotReady(ready, lang)
    for line in readiness.describe(ready.not_graded, lang):
        print(f"cnnkit grade: {line}", file=sys.stderr)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    key = records.grader_key(out)
    training = training_grade.plan(train, cache_root=out / ".cache" / "features", key=key)
    if training is not None:  # e.g. the full profile's ResNet18 weights
        lacking = training_grade.missing_data(infos, training.profile)
        ready.not_graded.update(lacking)
        for column, needs in lacking.items():
            print(pick({"en": f"cnnkit grade: {column}: not graded - missing {', '.join(needs)} "
                              f"(./kit data fetch {needs[0]})",
                        "vi": f"cnnkit grade: {column}: chưa chấm - thiếu {', '.join(needs)} "
                              f"(./kit data fetch {needs[0]})"}, lang), file=sys.stderr)
    machine = canary.check(infos, ready, limits, lang)  # the reference first, or nobody
    files = [f"{t.name}/{f}" for t in infos for f in t.files]
    digest = isolated_run.kit_digest(names) + ready.digest() + (training.digest() if training else "")
    for t in infos:  # collect the expected test ids once, before any student runs
        if ready.graded_exercises(t):
            isolated_run.expected_tests(t.name)
    subs = discover.discover(Path(submissions), out / ".work")
    if not subs:
        raise NotFound(f"no submissions (folders or .zip files) in {submissions}")
    results: dict[str, dict] = {}
    todo = []
    for sub in subs:
        fp = discover.fingerprint(sub, files, digest)
        saved = None if force else already_graded(out, sub.student, fp, key)
        if saved:
            results[sub.student] = saved
        else:
            todo.append((sub, fp))
    return ClassPlan(out, infos, subs, results, todo, ready, key, training, machine)


def finish_class(plan: ClassPlan) -> dict[str, dict]:
    """Write the gradebook from every student's results and drop the unpacked zips."""
    atomic_write(plan.out / "gradebook.csv", report.gradebook_csv(plan.results, plan.infos))

    after_grading(plan.out, plan.subs)  # before .work, which holds the unzipped submissions, goes

    try:
        safefiles.remove_tree(plan.out / ".work")
    except OSError:
        pass
    return plan.results


def grade_class(submissions: Path, out: Path, jobs: int = 1, topics: list[str] | None = None,
                force: bool = False, limits: Limits = DEFAULTS, lang: str = "en",
                skip_missing_data: bool = False, train: str = "off") -> dict[str, dict]:
    """The local backend: a thread pool of ``jobs`` students at a time on this machine.
    ``train``: ``off|quick|full|auto``, the graded training runs (``training_grade.py``)."""
    plan = plan_class(submissions, out, topics, force, skip_missing_data, lang, limits, train)
    print(pick({"en": f"cnnkit grade: {len(plan.subs)} submissions, topics "
                      f"{', '.join(plan.topic_names)}; {len(plan.results)} already graded, "
                      f"{len(plan.todo)} to grade with {jobs} job(s)",
                "vi": f"cnnkit grade: {len(plan.subs)} bài nộp, chủ đề "
                      f"{', '.join(plan.topic_names)}; {len(plan.results)} bài đã chấm, "
                      f"{len(plan.todo)} bài cần chấm với {jobs} tiến trình"}, lang),
          file=sys.stderr)
    if plan.training is not None:
        print(pick({"en": f"cnnkit grade: graded training, {plan.training.profile} profile; ",
                    "vi": f"cnnkit grade: huấn luyện có chấm điểm, cấu hình "
                          f"{plan.training.profile}; "}, lang)
              + plan.training.queue.describe(lang), file=sys.stderr)
    progress = Progress(len(plan.todo))
    uids = box.host_uids(limits, jobs)
    warm_boxes = WarmBoxes(limits)  # one per job, cleared between its students
    try:
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            futures = {pool.submit(grade_student, sub, plan.infos, plan.out, limits, fp, lang,
                                   plan.key, uids, plan.ready, plan.training, warm_boxes): sub
                       for sub, fp in plan.todo}
            for future in as_completed(futures):
                sub = futures[future]
                try:
                    res = future.result()
                except Exception as exc:  # noqa: BLE001 - even the zero record failed to write
                    res = {"score": 0.0, "max_score": 0.0, "tests": [], "output": str(exc),
                           "cnnkit": {"student": sub.student, "name": sub.name, "exercises": {},
                                      "crashed": f"{type(exc).__name__}: {exc}"}}
                plan.results[sub.student] = res
                progress.step(f"{sub.student}: {res['score']:g} / {res['max_score']:g}")
    finally:
        warm_boxes.close()
    return finish_class(plan)
