"""Step 3 of grading: turn test results into points, using the manifest."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from grader.core import i18n, manifest, scoring
from grader.core.failure_kinds import SELF_REPORT, ZEROED_BY_RULE
from grader.core.i18n import pick
from grader.core.messages import Message, languages, render
from grader.core.results import Outcome, TestResult
from grader.core.testfiles import is_hidden
from grader.grading.run.test_list import gate_tests, reported_tests


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
    rule: bool = False  # a gate that failed: the grader's own rule on the submitted file
    reported: bool = False  # it judges what the code reports about itself (``reported``)
    translations: dict[str, str] | None = None  # ``output`` in every language, when kept
    review: dict[str, str] | None = None  # a note for a person, in every language (scoring)
    failure_id: str = ""  # what failed, in no language (grader.testkit.failure_ids)
    said: Message | None = None  # the grader's own message, as data (core.messages)

    @property
    def name(self) -> str:
        return f"{self.topic}/{self.exercise}: {self.test}"


def _test_name(nodeid: str) -> str:
    return nodeid.split("::", 1)[-1]


def score_topic(topic: manifest.Topic, results: dict[str, TestResult],
                reported: frozenset[str] | None = None,
                gates: frozenset[str] | None = None) -> list[TestScore]:
    """Points per test, by the kit's one rule (``grader.core.scoring``): ``reported`` and
    ``gate`` tests are read from the kit's one collection of its test files unless given."""
    if reported is None:
        reported = reported_tests(topic.name)
    if gates is None:
        gates = gate_tests(topic.name)
    by_exercise: dict[str, list[TestResult]] = {}
    for nodeid, result in results.items():
        exercise = topic.exercise_for_test_file(Path(nodeid.split("::", 1)[0]).name)
        if exercise is not None:
            by_exercise.setdefault(exercise.name, []).append(result)
    scores = []
    for exercise in topic.exercises:
        for share in scoring.exercise_shares(exercise.points, by_exercise.get(exercise.name, []),
                                             reported, gates):
            result = share.result
            failed_at, told = "", None
            if share.why is not None:
                output, both = render(share.why, i18n.current_lang()), languages(share.why)
                failed_at = SELF_REPORT if share.why == scoring.UNBACKED else ZEROED_BY_RULE
                told = share.why
            elif result.outcome.passed:
                output, both = "", None
            else:
                output, both = result.message, result.translations
                failed_at, told = result.failure_id, result.said
            scores.append(TestScore(
                topic=topic.name, exercise=exercise.name, test=_test_name(result.nodeid),
                status=Outcome.PASSED if share.earns else Outcome.FAILED,
                score=share.earned, max_score=share.points, output=output,
                hidden=is_hidden(result.file),
                rule=scoring.is_marked(result.nodeid, gates) and not result.outcome.passed,
                reported=scoring.is_marked(result.nodeid, reported),
                translations=both, review=_languages(share.review), failure_id=failed_at,
                said=told))
    return scores


def _languages(note: str) -> dict[str, str] | None:
    """A review note in every language (one text for all when it was kept in one only)."""
    if not note:
        return None
    return i18n.translations(note) or {lang: note for lang in i18n.LANGS}


def reviews(scores: list[TestScore]) -> dict[str, dict[str, str]]:
    """"topic/exercise" -> its note for a person, in every language (notes joined)."""
    out: dict[str, dict[str, str]] = {}
    for s in scores:
        if s.review:
            key = f"{s.topic}/{s.exercise}"
            have = out.setdefault(key, {})
            for lang, text in s.review.items():
                if text not in have.get(lang, ""):
                    have[lang] = f"{have[lang]}\n{text}" if lang in have else text
    return out


def exercise_totals(scores: list[TestScore]) -> dict[str, tuple[float, float]]:
    totals: dict[str, list[float]] = {}
    for s in scores:
        got, most = totals.setdefault(f"{s.topic}/{s.exercise}", [0.0, 0.0])
        totals[f"{s.topic}/{s.exercise}"] = [got + s.score, most + s.max_score]
    return {k: (round(v[0], 2), round(v[1], 2)) for k, v in totals.items()}
