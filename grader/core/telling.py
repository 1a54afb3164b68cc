"""Which failing test of an exercise explains its failure best, and which hint to read next:
both chosen on the English rendering, so every language shows the same test and hint."""

from __future__ import annotations

import re

from grader.core.failure_lines import rank


def test_output(test: dict, lang: str) -> str:
    """A test record's message (or a result's notes) in ``lang``, kept bilingual by the
    grader, else as stored."""
    both = test.get("output_i18n")
    return str((both.get(lang) if isinstance(both, dict) else None) or test.get("output") or "")


def most_telling(tests: list[dict]) -> dict:
    """The deepest real failure: a broken rule first (it zeroed the exercise), then the
    message that explains the most (``failure_lines.rank``); a test that only waits on
    others (a passed ``reported`` test, one zeroed by a rule) only when nothing else failed.
    Ties keep the record's order."""
    return max(tests, key=lambda x: ("rule" in x.get("tags", ()), rank(test_output(x, "en"))))


_WORD = re.compile(r"[a-z_][a-z0-9_]{2,}")
_COMMON = {"the", "and", "for", "not", "are", "its", "your", "that", "this", "with", "from",
           "expected", "returned", "concept", "should", "yours", "test", "tests", "have",
           "each", "then", "than", "into", "when", "must", "one", "runs", "run"}


def hint_number(hints_en: list[str], message_en: str) -> int:
    """The index of the English hint that shares the most telling words with the English
    failure: a word found in fewer hints counts more (the first hint on a tie)."""
    words = set(_WORD.findall(message_en.lower())) - _COMMON
    found = [set(_WORD.findall(h.lower())) for h in hints_en]
    scores = [sum(1 / sum(w in f for f in found) for w in words & mine) for mine in found]
    return scores.index(max(scores)) if scores else 0


def matching_hint(hints: list[str], message: str) -> str:
    """The hint that shares the most words with the failure (both in one language)."""
    return hints[hint_number(hints, message)]
