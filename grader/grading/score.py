"""Step 3 of grading: turn test results into points, using the manifest."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from grader.core import manifest
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

    @property
    def name(self) -> str:
        return f"{self.topic}/{self.exercise}: {self.test}"


def _test_name(nodeid: str) -> str:
    return nodeid.split("::", 1)[-1]


def score_topic(topic: manifest.Topic, results: dict[str, TestResult]) -> list[TestScore]:
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
        for (filename, result), each in zip(tests, shares):
            passed = result.outcome.passed
            scores.append(TestScore(
                topic=topic.name, exercise=exercise.name, test=_test_name(result.nodeid),
                status=Outcome.PASSED if passed else Outcome.FAILED, score=each if passed else 0.0,
                max_score=each, output="" if passed else result.message,
                hidden=is_hidden(filename)))
    return scores


def exercise_totals(scores: list[TestScore]) -> dict[str, tuple[float, float]]:
    totals: dict[str, list[float]] = {}
    for s in scores:
        got, most = totals.setdefault(f"{s.topic}/{s.exercise}", [0.0, 0.0])
        totals[f"{s.topic}/{s.exercise}"] = [got + s.score, most + s.max_score]
    return {k: (round(v[0], 2), round(v[1], 2)) for k, v in totals.items()}
