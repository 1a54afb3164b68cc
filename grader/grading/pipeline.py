"""Grade a class: discover -> sandbox (run isolated) -> score -> report, per student.

Each student is written to disk as soon as they are graded, so a killed run
loses nothing already graded, and a re-run skips them unless their files or
the kit's tests changed (or ``force``).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from grader.core import manifest, paths
from grader.core.files import atomic_write
from grader.grading import box, discover, records, report, safefiles, sandbox, score
from grader.core.errors import NotFound
from grader.core.limits import DEFAULTS, Limits


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
            print(f"[{self.done}/{self.total}] {line}   (elapsed {elapsed:.0f} s, "
                  f"about {eta:.0f} s left)", file=self.stream, flush=True)


def grade_student(sub: discover.Submission, topics: list[manifest.Topic], out: Path,
                  limits: Limits, fingerprint: str, lang: str, key: bytes = b"",
                  uids=None) -> dict:
    all_scores: list[score.TestScore] = []
    notes = [sub.problem] if sub.problem else []
    seconds = 0.0
    host_uid = uids.get() if uids else limits.box_uid  # one box uid per parallel job
    try:
        for topic in topics:
            topic_dir = sub.root / topic.name if sub.root else None
            if topic_dir is not None and not safefiles.is_plain_dir(topic_dir):
                topic_dir = None
            with tempfile.TemporaryDirectory(prefix="cnnkit-box-") as folder:
                run = sandbox.run_topic(topic.name, topic_dir, Path(folder),
                                        timeout=limits.topic_timeout_s or topic.timeout_s,
                                        limits=limits, host_uid=host_uid)
            seconds += run.seconds
            notes += run.notes
            all_scores += score.score_topic(topic, run.results)
    finally:
        if uids:
            uids.put(host_uid)
    result = report.results_json(sub.student, all_scores, notes, seconds, fingerprint,
                                 name=sub.name)
    if key:
        result = records.seal(result, key)
    report.write_student(out, sub.student, result, lang)
    return result


def already_graded(out: Path, student: str, fingerprint: str, key: bytes) -> dict | None:
    """The saved result, if the grader sealed it with its key and nothing changed since."""
    saved = records.load_trusted(out / "students" / student / "results.json", key)
    return saved if saved and saved["cnnkit"].get("fingerprint") == fingerprint else None


def grade_class(submissions: Path, out: Path, jobs: int = 1, topics: list[str] | None = None,
                force: bool = False, limits: Limits = DEFAULTS,
                lang: str = "en") -> dict[str, dict]:
    out = Path(out)
    box.require(limits)  # never grade outside a box
    out.mkdir(parents=True, exist_ok=True)
    key = records.grader_key(out)
    names = [paths.resolve_topic(t) for t in topics] if topics else paths.topics()
    infos = [manifest.load_topic(t) for t in names]
    files = [f"{t.name}/{f}" for t in infos for f in t.files]
    digest = sandbox.kit_digest(names)
    for t in names:  # collect the expected test ids once, before any student runs
        sandbox.expected_tests(t)
    work = out / ".work"
    subs = discover.discover(Path(submissions), work)
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
    print(f"cnnkit grade: {len(subs)} submissions, topics {', '.join(names)}; "
          f"{len(results)} already graded, {len(todo)} to grade with {jobs} job(s)",
          file=sys.stderr)
    progress = Progress(len(todo))
    uids = box.host_uids(limits, jobs)
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {pool.submit(grade_student, sub, infos, out, limits, fp, lang, key, uids): sub
                   for sub, fp in todo}
        for future in as_completed(futures):
            sub = futures[future]
            res = future.result()
            results[sub.student] = res
            progress.step(f"{sub.student}: {res['score']:g} / {res['max_score']:g}")
    atomic_write(out / "gradebook.csv", report.gradebook_csv(results, infos))
    shutil.rmtree(work, ignore_errors=True)
    return results
