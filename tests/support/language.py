"""Finding English sentences in text meant to be Vietnamese.

Code, identifiers, numbers and anything in backticks or quotes are allowed: a line is
English when, outside those, it has at least three common English words.
"""

from __future__ import annotations

import re

ENGLISH = {
    "the", "is", "are", "was", "were", "be", "should", "must", "your", "you", "yours", "of",
    "and", "to", "in", "for", "with", "expected", "returned", "got", "not", "it", "its",
    "this", "that", "these", "each", "every", "has", "have", "no", "into", "from", "than",
    "then", "when", "which", "what", "why", "there", "here", "use", "uses", "did", "does",
    "layer", "layers", "output", "input", "model", "missing", "wrong", "instead", "first",
    "after", "before", "only", "one", "two", "three", "but", "or", "a", "an", "as", "by",
    "on", "at", "so", "check", "file", "test", "tests", "failed", "passed", "passes", "fails",
}
_CODE = re.compile(r"`[^`]*`|'[^']*'|\"[^\"]*\"|\b[\w.]+\([^)]*\)|[\w.]*[_.][\w.]+|\d[\w.]*")
_WORD = re.compile(r"[A-Za-z]+")


def english_lines(text: str, threshold: int = 3) -> list[str]:
    """Lines with ``threshold`` or more common English words outside code."""
    found = []
    for line in text.splitlines():
        prose = _CODE.sub(" ", line)
        words = [w.lower() for w in _WORD.findall(prose)]
        if sum(w in ENGLISH for w in words) >= threshold:
            found.append(line.strip())
    return found
