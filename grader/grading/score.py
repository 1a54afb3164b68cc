"""Step 3 of grading: turn test results into points, using the manifest."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from grader.core import manifest
from grader.core.i18n import pick
from grader.core.results import Outcome, TestResult
from grader.core.testfiles import is_hidden


@dataclass
class TestScore:
    topic: str
    exercise: str
    test: str
    status: Outcome  # PASSED or FAILED (a missing result counts as failed)
    score: float
    max_score: float
    output: str
    hidden: bool
    rule: bool = False  # a gate: the grader's own rule on the submitted file
    translations: dict[str, str] | None = None  # ``output`` in every language, when kept

    @property
    def name(self) -> str:
        return f"{self.topic}/{self.exercise}: {self.test}"


UNBACKED = {
    "en": "this test passed, but it rests on what your code reports about itself (a layer "
          "list, a logged name); it earns its points once the exercise's other tests, which "
          "check results on the grader's own inputs, pass too",
    "vi": "bài kiểm tra này đạt, nhưng nó dựa trên những gì code của bạn tự báo cáo (danh "
          "sách lớp, tên chỉ số đã log); nó chỉ được tính điểm khi các bài kiểm tra khác của "
          "bài tập, vốn kiểm tra kết quả trên đầu vào do bộ chấm tự chọn, cũng đạt"}


GATED = {
    "en": "this exercise scores zero: its rule checked by the grader on your file failed ({test})",
    "vi": "bài tập này được 0 điểm: quy tắc mà bộ chấm kiểm tra trên tệp của bạn không đạt "
          "({test})"}


def _is_reported(nodeid: str, reported: frozenset[str]) -> bool:
    """Node ids from a run and from collection may differ in their folder prefix."""
    tail = nodeid.split("/")[-1]
    return nodeid in reported or any(r.split("/")[-1] == tail for r in reported)


def _test_name(nodeid: str) -> str:
    return nodeid.split("::", 1)[-1]


def score_topic(topic: manifest.Topic, results: dict[str, TestResult],
                reported: frozenset[str] | None = None,
                gates: frozenset[str] | None = None) -> list[TestScore]:
    """Points per test. A ``reported`` test (its verdict is the student's process's own
    word) earns its share only when the exercise has checked tests and all of them pass.
    A failed ``gate`` test (a rule checked on the submitted source) zeroes its exercise."""
    if reported is None:
        from grader.grading.sandbox import reported_tests

        reported = reported_tests(topic.name)
    if gates is None:
        from grader.grading.sandbox import gate_tests

        gates = gate_tests(topic.name)
    by_exercise: dict[str, list[tuple[str, TestResult]]] = {}
    for nodeid, result in results.items():
        filename = Path(nodeid.split("::", 1)[0]).name
        exercise = topic.exercise_for_test_file(filename)
        if exercise is not None:
            by_exercise.setdefault(exercise.name, []).append((filename, result))
    scores = []
    for exercise in topic.exercises:
        tests = sorted(by_exercise.get(exercise.name, []), key=lambda t: t[1].nodeid)
        shares = manifest.split_points(exercise.points, len(tests))
        checked = [r for _, r in tests if not _is_reported(r.nodeid, reported)]
        backed = bool(checked) and all(r.outcome.passed for r in checked)
        shut = [r for _, r in tests if _is_reported(r.nodeid, gates) and not r.outcome.passed]
        for (filename, result), each in zip(tests, shares):
            passed = result.outcome.passed
            output, both = ("", None) if passed else (result.message, result.translations)
            earns = passed and (backed or not _is_reported(result.nodeid, reported))
            if passed and not earns:
                output, both = pick(UNBACKED), dict(UNBACKED)
            if passed and shut:
                test = _test_name(shut[0].nodeid)
                both = {lang: text.format(test=test) for lang, text in GATED.items()}
                earns, output = False, pick(both)
            scores.append(TestScore(
                topic=topic.name, exercise=exercise.name, test=_test_name(result.nodeid),
                status=Outcome.PASSED if earns else Outcome.FAILED,
                score=each if earns else 0.0, max_score=each, output=output,
                hidden=is_hidden(filename), rule=_is_reported(result.nodeid, gates),
                translations=both))
    return scores


def exercise_totals(scores: list[TestScore]) -> dict[str, tuple[float, float]]:
    totals: dict[str, list[float]] = {}
    for s in scores:
        got, most = totals.setdefault(f"{s.topic}/{s.exercise}", [0.0, 0.0])
        totals[f"{s.topic}/{s.exercise}"] = [got + s.score, most + s.max_score]
    return {k: (round(v[0], 2), round(v[1], 2)) for k, v in totals.items()}
