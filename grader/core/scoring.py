"""How an exercise's points follow from its tests' results: one rule for ``check``,
``grade``, the nbgrader notebooks and the gradebook.

The exercise's points are split over its tests in node-id order (``split_points``); a test
earns its share when it passed, with two exceptions that only ``grade`` can see:

- a ``reported`` test (its verdict is the student's process's own word) earns only when the
  exercise has checked tests and all of them pass;
- a failed ``gate`` test (a rule checked on the submitted source) zeroes its exercise.

A passed gate test may carry a ``review`` note: its rule could not decide, so the points
stand and the exercise is flagged for a person (``Share.review``, ``review_notes``); a zeroed
exercise needs no review.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from grader.core import manifest
from grader.core.messages import Message, said
from grader.core.results import TestResult

# Why a passed test earns nothing (core.messages): it only reports about the code itself
# and the exercise's checks failed, or a rule on the file zeroed the exercise.
UNBACKED = said("score.unbacked")


POINT_STEP = 1 / 64  # a binary fraction: sums of shares are exact in floating point


def split_points(points: float, n: int) -> list[float]:
    """``points`` over ``n`` tests in steps of 1/64, summing exactly to ``points`` (so no
    total ever reads 100.00000000000003)."""
    if n <= 0:
        return []
    each = round(points / n / POINT_STEP) * POINT_STEP
    return [each] * (n - 1) + [points - each * (n - 1)]


@dataclass(frozen=True)
class Share:
    result: TestResult
    points: float  # the test's share of the exercise's points
    earned: float  # all of it, or nothing
    why: Message | None = None  # why a passed test earned nothing
    review: str = ""  # what a person should look at (the points stand): see the docstring

    @property
    def earns(self) -> bool:
        return self.result.outcome.passed and self.why is None


def is_marked(nodeid: str, marked: frozenset[str] | set[str]) -> bool:
    """Node ids from a run and from collection may differ in their folder prefix."""
    tail = nodeid.split("/")[-1]
    return nodeid in marked or any(m.split("/")[-1] == tail for m in marked)


def exercise_shares(points: float, results: list[TestResult],
                    reported: frozenset[str] = frozenset(),
                    gates: frozenset[str] = frozenset()) -> list[Share]:
    """Each of one exercise's test results with its share and what it earned."""
    tests = sorted(results, key=lambda r: r.nodeid)
    checked = [r for r in tests if not is_marked(r.nodeid, reported)]
    backed = bool(checked) and all(r.outcome.passed for r in checked)
    shut = [r for r in tests if (r.gate or is_marked(r.nodeid, gates)) and not r.outcome.passed]
    shares = []
    for result, each in zip(tests, split_points(points, len(tests))):
        passed, why = result.outcome.passed, None
        earns = passed and (backed or not is_marked(result.nodeid, reported))
        if passed and not earns:
            why = UNBACKED
        if passed and shut:
            earns = False
            test = shut[0].nodeid.split("::", 1)[-1]
            why = said("score.zeroed_by_rule", test=test)
        shares.append(Share(result, each, each if earns else 0.0, why,
                            "" if shut else result.review))
    return shares


def review_notes(shares: list[Share]) -> list[str]:
    """The exercise's notes for a person, once each, in test order (none once it is zeroed)."""
    return list(dict.fromkeys(s.review for s in shares if s.review))


def training_points(accuracy, spec: manifest.GradedTraining, profile: str, device_class: str
                    ) -> tuple[float, float, dict[str, str]]:
    """``(points, max_points, reason)`` for a graded run that reached ``accuracy``.

    Full points at or above the threshold of ``profile`` on ``device_class``, none at or
    below the floor, linear in between, rounded down to a multiple of 1/64 (so totals stay
    exact and partial credit never reaches full points). ``reason`` is ``{"en", "vi"}``.
    """
    top = spec.points
    threshold = spec.threshold_for(profile, device_class)
    floor = spec.floor_for(profile, device_class)
    where = f"{profile}, {device_class}"
    if accuracy is None or not isinstance(accuracy, (int, float)) or math.isnan(accuracy):
        return 0.0, top, {"en": f"no accuracy was measured ({where}): 0/{top:g}",
                          "vi": f"không đo được độ chính xác ({where}): 0/{top:g}"}
    acc = float(accuracy)
    if acc >= threshold:
        return top, top, {
            "en": f"accuracy {acc:.4f} reaches the threshold {threshold:g} ({where}): "
                  f"{top:g}/{top:g}",
            "vi": f"độ chính xác {acc:.4f} đạt ngưỡng {threshold:g} ({where}): {top:g}/{top:g}"}
    if acc <= floor:
        return 0.0, top, {
            "en": f"accuracy {acc:.4f} is at or below the floor {floor:g} ({where}; full points "
                  f"from {threshold:g}): 0/{top:g}",
            "vi": f"độ chính xác {acc:.4f} không vượt mức sàn {floor:g} ({where}; đủ điểm từ "
                  f"{threshold:g}): 0/{top:g}"}
    share = (acc - floor) / (threshold - floor)
    points = min(math.floor(top * share / POINT_STEP) * POINT_STEP,
                 top - POINT_STEP)
    points = max(points, 0.0)
    return points, top, {
        "en": f"accuracy {acc:.4f} lies between the floor {floor:g} and the threshold "
              f"{threshold:g} ({where}): {points:g}/{top:g}, linear from the floor",
        "vi": f"độ chính xác {acc:.4f} nằm giữa mức sàn {floor:g} và ngưỡng {threshold:g} "
              f"({where}): {points:g}/{top:g}, tăng tuyến tính từ mức sàn"}
