"""Each exercise's state and points, from the kit's own tests run on the student's files.

The tests always come from the kit (``grader.core.testfiles``), never from the folder
under test; in a student bundle an edited test is refused (``grader.core.pristine``). An
exercise whose tests did not report is failing, never passing. Results are cached per
content of the exercise file and of its tests, so ``list`` re-runs only what changed and
never shows a verdict computed on other files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from grader.core import manifest, markers, paths, pristine, runner, scoring
from grader.core.failure_lines import key_lines, rank
from grader.core.results import Outcome, TestResult
from grader.lab.data import fetch_command
from grader.core.testfiles import visible_test_files
from grader.student.state import file_hash, load_state, save_state
from grader.testkit import targets

DONE, FAILING, NOT_STARTED, NO_DATA = "done", "failing", "not started", "waiting for data"
EDITED = "tests edited"  # a bundle's visible test is not the kit's: no verdict


def is_data_skip(result: TestResult) -> bool:
    """Skipped because its data is missing here (the plugin's reason names the fetch)."""
    return result.outcome is Outcome.SKIPPED and fetch_command("") in result.message


@dataclass
class ExerciseStatus:
    exercise: manifest.Exercise
    state: str
    got: float = 0.0
    first_failure: str = ""
    failed_test: str = ""

    @property
    def most(self) -> float:
        return self.exercise.points


def target_root(target: str | None) -> Path:
    return targets.target_topic_dir(target, "x").parent


def _pristine_stub(topic: str, file: str) -> str | None:
    """The stub as the kit ships it, when the kit has its solutions."""
    source = paths.solutions_dir() / topic / file
    if not source.is_file():
        return None
    return markers.stub(source.read_text(encoding="utf-8"), str(source))


def untouched(path: Path, topic: str | None = None) -> bool:
    """Still the stub: byte-equal to the shipped stub where the kit can tell, else every
    ``# TODO:`` group is still followed by its ``raise NotImplementedError``."""
    if not path.is_file():
        return True
    shipped = pristine.stub_hash(topic or path.parent.name, path.name)
    if shipped is not None:  # a bundle: the release recorded its stubs
        return pristine.sha256(path) == shipped
    text = path.read_text(encoding="utf-8")
    stub = _pristine_stub(topic or path.parent.name, path.name)
    if stub is not None:
        return text == stub
    lines = [ln.strip() for ln in text.splitlines()]
    groups = followed = 0
    todo = (markers.TODO_EN, markers.TODO_VI)
    for i, line in enumerate(lines):
        if line.startswith(todo) and (i + 1 < len(lines)) and not lines[i + 1].startswith(todo):
            groups += 1
            followed += lines[i + 1].startswith("raise NotImplementedError(")
    return groups > 0 and groups == followed


def run_topic_tests(topic: str, target: str | None, exercises=None, lang: str = "en",
                    full: bool = False, run=runner.run_tests) -> tuple[dict[str, TestResult], str]:
    """The kit's visible tests of ``topic`` (of ``exercises`` only, if given) on ``target``.
    ``run``: how to run pytest (a fresh process, or ``watch``'s child of a warm one)."""
    files = visible_test_files(topic)
    if exercises is not None:
        files = [f for f in files if any(ex.owns_test_file(f.name) for ex in exercises)]
    if not files:
        return {}, ""
    pristine.require(files)  # a bundle's edited test: refused, never trusted
    extra = ["--tb=short", f"--lang={lang}"] + ([] if full else ["-rN"])
    out = run(files, target=str(target_root(target)), extra=extra)
    return out.results, out.output


def score_exercise(ex: manifest.Exercise, results: dict[str, TestResult]) -> dict:
    """Points of one exercise from its visible tests; no result at all means failing."""
    mine = [r for r in results.values() if ex.owns_test_file(r.file)]  # in run order
    shares = scoring.exercise_shares(ex.points, mine)
    got = round(sum(s.earned for s in shares), 2)
    no_data = [r for r in mine if is_data_skip(r)]
    failed = [r for r in mine if not r.outcome.passed and r not in no_data]
    # A broken rule first (it zeroes the exercise), then the failure that explains the most;
    # ties keep the run order.
    failed.sort(key=lambda r: (not r.gate, -rank(r.message)))
    return {"passed": len(mine) - len(failed) - len(no_data), "total": len(mine), "got": got,
            "no_data": len(no_data), "data_line": no_data[0].message if no_data else "",
            "first_failure": key_lines(failed[0].message) if failed else "",
            "failed_test": failed[0].name if failed else "",
            "review": "\n".join(scoring.review_notes(shares))}


def record(topic: manifest.Topic, target: str | None, results: dict, only=None) -> None:
    state = load_state()
    cache = state.setdefault("results", {})
    folder = target_root(target) / topic.name
    for ex in only or topic.exercises:
        cache[f"{folder}/{ex.file}"] = {"hash": file_hash(folder / ex.file),
                                        "tests": tests_digest(topic.name, ex),
                                        **score_exercise(ex, results)}
    save_state(state)


def own_tests(topic: str, ex: manifest.Exercise) -> list[Path]:
    return [f for f in visible_test_files(topic) if ex.owns_test_file(f.name)]


def tests_digest(topic: str, ex: manifest.Exercise) -> str:
    """The exercise's tests as a verdict was computed on them."""
    return pristine.digest(own_tests(topic, ex))


def statuses(topic: manifest.Topic, target: str | None, lang: str = "en",
             run_changed: bool = True) -> list[ExerciseStatus]:
    """Each exercise's state, re-running only the tests of files changed since last time."""
    folder = target_root(target) / topic.name
    cache = load_state().get("results", {})

    edited = {ex.name for ex in topic.exercises if pristine.edited(own_tests(topic.name, ex))}

    def fresh(ex):
        entry = cache.get(f"{folder}/{ex.file}", {})
        return entry.get("hash") == file_hash(folder / ex.file) and \
            entry.get("tests") == tests_digest(topic.name, ex)

    stale = [ex for ex in topic.exercises if ex.name not in edited
             and not fresh(ex) and not untouched(folder / ex.file, topic.name)]
    if stale and run_changed:
        results, _ = run_topic_tests(topic.name, target, stale, lang)
        record(topic, target, results, only=stale)
        cache = load_state().get("results", {})
    out = []
    for ex in topic.exercises:
        if ex.name in edited:
            out.append(ExerciseStatus(ex, EDITED))
            continue
        entry = cache.get(f"{folder}/{ex.file}", {}) if fresh(ex) else {}
        exact = (_pristine_stub(topic.name, ex.file) is not None
                 or pristine.stub_hash(topic.name, ex.file) is not None)
        if untouched(folder / ex.file, topic.name) and (exact or not _started(entry)):
            out.append(ExerciseStatus(ex, NOT_STARTED))
        elif entry.get("total"):
            done = entry["passed"] == entry["total"]
            waiting = not done and entry["passed"] + entry.get("no_data", 0) == entry["total"]
            state = DONE if done else NO_DATA if waiting else FAILING
            out.append(ExerciseStatus(ex, state, entry.get("got", 0.0),
                                      entry.get("first_failure", ""),
                                      entry.get("failed_test", "")))
        else:
            out.append(ExerciseStatus(ex, FAILING))
    return out


def _started(entry: dict) -> bool:
    """Where the stub is not known exactly (a student bundle): results that show work beyond
    the stub, a test passed or one failed for another reason than the stub's TODO."""
    if not entry.get("total"):
        return False
    first = entry.get("first_failure", "")
    return entry["passed"] > 0 or not ("NotImplementedError" in first or "TODO" in first)
