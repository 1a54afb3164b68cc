"""Grade a class: data check -> discover -> run/topic_run (run boxed) -> score -> report.

Each student's topic is written to disk as soon as it is graded, sealed with the
grader's key (``term``: one record per student and topic, the record it replaces moved
to the history), so a killed run loses nothing already graded. A run grades only the
chosen topics, and of those only what has no record, a record that holds no grade, or a
record whose seal fails; a record graded from other files, tests, points, kit version,
data or training profile is kept until ``regrade`` (or ``force``: every record again)."""

from __future__ import annotations

import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from grader.core import manifest, paths
from grader.core.errors import CnnkitError, NotFound
from grader.core.i18n import pick
from grader.core.files import atomic_write
from grader.core.limits import DEFAULTS, Limits
from grader.grading import canary, discover, readiness, records, report, term
from grader.grading.run import test_list
from grader.grading.box import bubblewrap as box
from grader.grading.box import uids as box_uids
from grader.grading.intake import survey as intake
from grader.grading.box import safefiles
from grader.grading.training import graded_run
from grader.grading.classview.class_report import after_grading
from grader.grading.worker.warm_box import WarmBoxes
from grader.grading.run.student_run import grade_student, own_not_graded


class Progress:
    def __init__(self, total: int, stream=None):
        self.total, self.done, self.stream = total, 0, stream or sys.stderr
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

def crash_record(out: Path, student: str, topic: str, fingerprint: str,
                 key: bytes) -> dict | None:
    """The sealed zero record ``crashed_result`` wrote for this topic and fingerprint."""
    return already_graded(out, student, topic, f"crashed:{fingerprint}", key)

def already_graded(out: Path, student: str, topic: str, fingerprint: str,
                   key: bytes) -> dict | None:
    """The topic's saved record, if the grader sealed it and nothing changed since."""
    saved = term.load_topic(out, student, topic, key)
    return saved if saved and saved["cnnkit"].get("fingerprint") == fingerprint else None

@dataclass
class ClassPlan:
    """Who is graded in this run, for which topics, and what the folder already holds."""

    out: Path
    infos: list[manifest.Topic]
    subs: list[discover.Submission]
    results: dict[str, dict]  # every student's record in the folder, by id (the term so far)
    todo: list[tuple[discover.Submission, dict[str, str]]]  # (submission, {topic: fingerprint})
    ready: readiness.DataPlan  # which exercises this machine has the data to grade
    key: bytes  # the grader's sealing key, kept in the output folder (0600)
    training: graded_run.TrainingPlan | None = None  # `grade --train`, None when off
    machine: list[canary.TopicCheck] | None = None  # the reference's check on this machine
    run: dict = field(default_factory=term.new_run)  # this run's id and date
    tally: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # topic -> state -> ids

    @property
    def topic_names(self) -> list[str]:
        return [t.name for t in self.infos]

class Graded(dict):
    """The class's records by student id, with what this run did to each topic
    (``tally``: topic -> kept / stale / added / replaced -> student ids)."""

    tally: dict[str, dict[str, list[str]]] = {}

def topic_fingerprint(sub: discover.Submission, topic: manifest.Topic,
                      ready: readiness.DataPlan,
                      training: graded_run.TrainingPlan | None) -> str:
    """Changes when the topic's files in the submission, its tests and points, the kit's
    version, the data at hand for it or (for a topic with graded trainings) the training
    profile change."""
    own = ",".join(sorted(own_not_graded(ready, topic.name)))
    digest = test_list.kit_digest([topic.name]) + own
    if training is not None and topic.graded_trainings:
        digest += training.digest()
    return discover.fingerprint(sub, [f"{topic.name}/{f}" for f in topic.files], digest)

def plan_topics(plan: ClassPlan, force: bool, regrade: bool) -> None:
    """Sort each (student, topic) into kept, stale (kept: changed since), added or replaced
    (``force``: every record graded again; ``regrade``: the stale ones too)."""
    plan.tally = {t.name: {k: [] for k in (term.KEPT, term.STALE, term.ADDED, term.REPLACED)}
                  for t in plan.infos}
    for sub in plan.subs:
        term.migrate_legacy(plan.out, sub.student, plan.key)
        fps = {}
        for topic in plan.infos:
            fp = topic_fingerprint(sub, topic, plan.ready, plan.training)
            saved = term.load_topic(plan.out, sub.student, topic.name, plan.key)
            state = term.state_of(saved, fp, set(own_not_graded(plan.ready, topic.name)))
            if (force and state in (term.KEPT, term.STALE)) or (regrade and state == term.STALE):
                state = term.REPLACED
            plan.tally[topic.name][state].append(sub.student)
            if state in (term.ADDED, term.REPLACED):
                fps[topic.name] = fp
        if fps:
            plan.todo.append((sub, fps))

def class_records(out: Path, key: bytes, lang: str) -> dict[str, dict]:
    """Every student's results.json in the folder, summed again from the topic records
    (so a student graded from another submissions folder stays in the gradebook)."""
    found = {}
    root = Path(out) / "students"
    for folder in sorted(root.iterdir()) if root.is_dir() else ():
        if safefiles.is_plain_dir(folder):
            term.migrate_legacy(out, folder.name, key)
            result = term.refresh(out, folder.name, key, lang)
            if result is not None:
                found[folder.name] = result
    return found

def plan_class(submissions: Path, out: Path, topics: list[str] | None = None,
               force: bool = False, skip_missing_data: bool = False, lang: str = "en",
               limits: Limits = DEFAULTS, train: str = "off",
               regrade: bool = False) -> ClassPlan:
    """Check the box and the data, discover the submissions, sort each student's topics
    into kept and to grade. A missing data set stops everything here, before anyone is
    graded, unless ``skip_missing_data``: then the exercises that need it are 'not graded'
    (never zero)."""
    if not (Path(submissions).is_dir() or Path(submissions).suffix.lower() == ".zip"
            and Path(submissions).is_file()):  # before any slow step (an LMS download: a .zip)
        raise NotFound(pick({"en": f"no submissions folder at {submissions}",
                             "vi": f"không có thư mục bài nộp ở {submissions}"}, lang))
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
    found = discover.survey(Path(submissions), out / ".work")
    intake.write(out, found.rows, lang)  # DIR/intake.csv: every entry, graded or why not
    subs = found.subs
    if not subs:
        raise NotFound(pick({"en": f"no submissions (folders or .zip files) in {submissions}",
                             "vi": f"không có bài nộp nào (thư mục hoặc tệp .zip) trong "
                                   f"{submissions}"}, lang))
    training = graded_run.plan(train, cache_root=out / ".cache" / "features", key=key)
    if training is not None:  # e.g. the full profile's ResNet18 weights
        lacking = graded_run.missing_data(infos, training.profile)
        ready.not_graded.update(lacking)
        for column, needs in lacking.items():
            print(pick({"en": f"cnnkit grade: {column}: not graded - missing {', '.join(needs)} "
                              f"(./kit data fetch {needs[0]})",
                        "vi": f"cnnkit grade: {column}: chưa chấm - thiếu {', '.join(needs)} "
                              f"(./kit data fetch {needs[0]})"}, lang), file=sys.stderr)
    machine = canary.check(infos, ready, limits, lang)  # the reference first, or nobody
    for t in infos:  # collect the expected test ids once, before any student runs
        if ready.graded_exercises(t):
            test_list.expected_tests(t.name)
    plan = ClassPlan(out, infos, subs, {}, [], ready, key, training, machine)
    plan_topics(plan, force, regrade)
    plan.results = class_records(out, key, lang)
    return plan

def gradebook_topics(plan: ClassPlan) -> list[manifest.Topic]:
    """The topics of this run and of every record in the folder, in the kit's order."""
    names = set(plan.topic_names)
    for result in plan.results.values():
        kit = result.get("cnnkit") or {}
        names |= set(kit.get("topics") or {})
        names |= {k.split("/", 1)[0] for k in (kit.get("exercises") or {})}
    known = {t.name: t for t in plan.infos}
    found = []
    for name in sorted(names):
        try:
            found.append(known.get(name) or manifest.load_topic(name))
        except (KeyError, FileNotFoundError, CnnkitError):  # a topic the kit no longer has
            continue
    return found

def finish_class(plan: ClassPlan) -> Graded:
    """Write the term's gradebook from every student's records and drop the unpacked zips."""
    atomic_write(plan.out / "gradebook.csv",
                 report.gradebook_csv(plan.results, gradebook_topics(plan)))

    after_grading(plan.out, plan.subs)  # before .work, which holds the unzipped submissions, goes

    try:
        safefiles.remove_tree(plan.out / ".work")
    except OSError:
        pass
    graded = Graded(plan.results)
    graded.tally = plan.tally
    return graded

def describe_plan(plan: ClassPlan, lang: str, jobs: str) -> str:
    """Before grading: per topic, how many are already graded and how many to grade."""
    parts = []
    for topic, states in plan.tally.items():
        kept = len(states[term.KEPT]) + len(states[term.STALE])
        todo = len(states[term.ADDED]) + len(states[term.REPLACED])
        parts.append(pick({"en": f"{topic}: {kept} already graded, {todo} to grade",
                           "vi": f"{topic}: {kept} bài đã chấm, {todo} bài cần chấm"}, lang))
    return pick({"en": f"cnnkit grade: {len(plan.subs)} submissions; {'; '.join(parts)}; "
                       f"{len(plan.todo)} student(s) to grade {jobs}",
                 "vi": f"cnnkit grade: {len(plan.subs)} bài nộp; {'; '.join(parts)}; "
                       f"{len(plan.todo)} sinh viên cần chấm {jobs}"}, lang)

def grade_class(submissions: Path, out: Path, jobs: int = 1, topics: list[str] | None = None,
                force: bool = False, limits: Limits = DEFAULTS, lang: str = "en",
                skip_missing_data: bool = False, train: str = "off",
                regrade: bool = False) -> Graded:
    """The local backend: a thread pool of ``jobs`` students at a time on this machine.
    ``train``: ``off|quick|full|auto``, the graded training runs (``training/graded_run.py``).
    Only the chosen topics are graded; every other topic's record stays as it is."""
    plan = plan_class(submissions, out, topics, force, skip_missing_data, lang, limits, train,
                      regrade)
    print(describe_plan(plan, lang, pick({"en": f"with {jobs} job(s)",
                                          "vi": f"với {jobs} tiến trình"}, lang)),
          file=sys.stderr)
    if plan.training is not None:
        print(pick({"en": f"cnnkit grade: graded training, {plan.training.profile} profile; ",
                    "vi": f"cnnkit grade: huấn luyện có chấm điểm, cấu hình "
                          f"{plan.training.profile}; "}, lang)
              + plan.training.queue.describe(lang), file=sys.stderr)
    progress = Progress(len(plan.todo))
    uids = box_uids.host_uids(limits, jobs)
    warm_boxes = WarmBoxes(limits)  # one per job, cleared between its students
    chosen = {t.name: t for t in plan.infos}
    try:
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            futures = {pool.submit(grade_student, sub, [chosen[t] for t in fps], plan.out,
                                   limits, fps, lang, plan.key, uids, plan.ready,
                                   plan.training, warm_boxes, plan.run): sub
                       for sub, fps in plan.todo}
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
