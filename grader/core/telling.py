"""Which failing test of an exercise explains its failure best, and which hint to read next:
the hint by the failure's id where the exercise names one for it (``hint_for`` in
topic.toml), else on the English rendering; either way every language shows the same."""

from __future__ import annotations

import re

from grader.core import messages
from grader.core.failure_lines import rank


def test_output(test: dict, lang: str) -> str:
    """A test record's message (or a result's notes) in ``lang``: rendered from the data
    the record keeps (``said``, ``cnnkit.notes``: core.messages), else its text in ``lang``
    (``output_i18n``), else as stored."""
    told = messages.from_data(test["said"]) if isinstance(test.get("said"), dict) else None
    if told is not None:
        return messages.render(told, lang)
    kept = (test.get("cnnkit") or {}).get("notes") if isinstance(test.get("cnnkit"), dict) \
        else None
    if isinstance(kept, list) and kept:
        notes = [messages.note_from_data(n) for n in kept]
        if all(n is not None for n in notes):
            return "\n".join(" ".join(messages.note_text(n, lang).split()) for n in notes)
    both = test.get("output_i18n")
    return str((both.get(lang) if isinstance(both, dict) else None) or test.get("output") or "")


def most_telling(tests: list[dict]) -> dict:
    """The deepest real failure: a broken rule first (it zeroed the exercise), then a check
    of what the trusted side measured before one of what the code reports about itself
    (a ``reported`` test: its failure is a symptom, the measured one the cause), then the
    message that explains the most (``failure_lines.rank``); a test that only waits on
    others (a passed ``reported`` test, one zeroed by a rule) only when nothing else failed.
    Ties keep the record's order."""
    return max(tests, key=lambda x: ("rule" in x.get("tags", ()),
                                     "reported" not in x.get("tags", ()),
                                     rank(test_output(x, "en"))))


_WORD = re.compile(r"[a-z_][a-z0-9_]{2,}")
_COMMON = {"the", "and", "for", "not", "are", "its", "your", "that", "this", "with", "from",
           "expected", "returned", "concept", "should", "yours", "test", "tests", "have",
           "each", "then", "than", "into", "when", "must", "one", "runs", "run"}


def check_of(failure_id: str) -> str:
    """What ``hint_for`` names a failure by: its fixed kind, or its check's test function."""
    parts = failure_id.split("::")
    return parts[1] if len(parts) > 1 else parts[0]


def hint_number(hints_en: list[str], message_en: str, hint_for: dict | None = None,
                failure_id: str = "") -> int:
    """The index of the hint to read next: the one the exercise names for this failure's
    id (``hint_for``: a test function or a fixed kind, to a hint's 1-based number), else
    the English hint that shares the most telling words with the English failure (a word
    found in fewer hints counts more; the first hint on a tie)."""
    named = (hint_for or {}).get(check_of(failure_id)) if failure_id else None
    if isinstance(named, int) and 1 <= named <= len(hints_en):
        return named - 1
    words = set(_WORD.findall(message_en.lower())) - _COMMON
    found = [set(_WORD.findall(h.lower())) for h in hints_en]
    scores = [sum(1 / sum(w in f for f in found) for w in words & mine) for mine in found]
    return scores.index(max(scores)) if scores else 0


def matching_hint(hints: list[str], message: str) -> str:
    """The hint that shares the most words with the failure (both in one language)."""
    return hints[hint_number(hints, message)]
