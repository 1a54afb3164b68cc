"""What the cells of an exported nbgrader notebook call.

Solution cells write the exercise files next to the notebook (``%%writefile``);
each graded cell checks one kit test. The first graded cell runs the topic's
tests once, in a child process, and later cells read that run's results.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from grader.core import i18n, manifest, messages, paths, runner, scoring
from grader.core.i18n import pick, render
from grader.core.failure_lines import key_lines
from grader.core.results import TestResult
from grader.core.testfiles import is_hidden, topic_test_files

_cache: dict[tuple[str, str], dict[str, TestResult]] = {}


def _state(topic: str, folder: Path) -> str:
    h = hashlib.sha256()
    for f in sorted((folder / topic).glob("*.py")):
        h.update(f.name.encode() + f.read_bytes())
    return h.hexdigest()


def run_test(topic: str, test_file: str, test_name: str, folder: str = ".") -> None:
    """Raise AssertionError with the kit's message unless that test passes."""
    __tracebackhide__ = True
    where = Path(folder).resolve()
    key = (topic, _state(topic, where))
    if key not in _cache:
        files = [f for f in topic_test_files(topic)]
        out = runner.run_tests(files, target=str(where), timeout=900, cwd=paths.KIT_ROOT)
        _cache[key] = {r.file + "::" + r.name: r for r in out.results.values()}
    result = _cache[key].get(f"{test_file}::{test_name}")
    if result is None and is_hidden(test_file) and not any(
            f.name == test_file for f in topic_test_files(topic)):
        print(pick({"en": f"{test_name} is a hidden test: it runs when your work is graded.",
                    "vi": f"{test_name} là bài kiểm tra ẩn: nó được chạy khi chấm bài."}))
        return
    if result is None:
        raise AssertionError(pick({
            "en": f"{test_file}::{test_name} reported no result: the run stopped before it "
                  "(see the cells above), so it counts as failed",
            "vi": f"{test_file}::{test_name} không báo kết quả: lần chạy đã dừng trước nó (xem "
                  "các ô phía trên), nên bị tính là chưa đạt"}))
    if not result.outcome.passed:
        raise AssertionError(key_lines(result.message, 12))
    why = _why_no_points(topic, result, _cache[key])
    if why:  # passed, yet the kit's one scoring rule gives it nothing (a broken rule)
        raise AssertionError(why)
    print(pick({"en": f"passed: {test_name}", "vi": f"đạt: {test_name}"}))
    if result.review:  # the points stand; a person will read the code when it is graded
        print(render(result.review))


def _why_no_points(topic: str, result: TestResult, results: dict[str, TestResult]) -> str:
    """Why a passed test earns nothing by ``grader.core.scoring`` (as in check and grade)."""
    exercise = manifest.load_topic(topic).exercise_for_test_file(result.file)
    if exercise is None:
        return ""
    mine = [r for r in results.values() if exercise.owns_test_file(r.file)]
    share = next((s for s in scoring.exercise_shares(exercise.points, mine)
                  if s.result is result), None)
    return messages.render(share.why, i18n.current_lang()) if share is not None and share.why \
        else ""
