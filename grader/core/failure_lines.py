"""The lines of a pytest failure that say the most, and which failure says the most."""

from __future__ import annotations

import re

from grader.core.messages import catalog

NOISE = ("+", "where", "assert ")
# pytest's own explanation of a failed comparison, in English whatever the language: the
# assertion's message above it already says what differs.
PYTEST_DIFF = ("- ", "? ", "At index ", "Use -v to get", "Full diff:", "Left contains ", "Right contains ",
               "Omitting ", "Differing items:", "Extra items in ", "Matching items",
               "...Full output truncated", "Drill down into ")
STOP = ("Failing test case", "Falsifying example")
MARK = ">>"  # the row an architecture table marks as the first difference
EXPLAINED = ("What this means:", "Ý nghĩa:")  # the kit's note on a raw error (testkit.explain)


def _notes(message: str) -> list[str]:
    """The kit's explanation of a raw PyTorch or Python error, added after pytest's lines."""
    return [line.strip() for line in message.splitlines()
            if not line.startswith("E ") and line.strip().startswith(EXPLAINED)]


# What pytest puts before a message that says nothing to a student: an exception's module
# path (``grader.testkit.harness.ExerciseImportError`` -> ``ExerciseImportError``) and the
# English ``Failed:`` of ``pytest.fail``.
_MODULE_PATH = re.compile(r"^(\s*)(?:[A-Za-z_]\w*\.)+([A-Z]\w*: )")
_FAILED = re.compile(r"^(\s*)Failed: ")


def plain(line: str) -> str:
    """One line of a failure without pytest's module path and ``Failed:`` prefix."""
    return _FAILED.sub(r"\1", _MODULE_PATH.sub(r"\1\2", line))


def _error_lines(message: str) -> list[str]:
    kept = []
    for line in message.splitlines():
        if not line.startswith("E "):
            continue
        # pytest writes "E   " before each line: drop exactly that, keep a table's columns
        text = plain((line[4:] if line.startswith("E   ") else line[1:].lstrip()).rstrip())
        if text.strip().startswith(STOP):
            break
        if text.strip() and not text.strip().startswith(NOISE + PYTEST_DIFF):
            kept.append(text)
    return kept


def key_lines(message: str, limit: int = 8) -> str:
    """The ``E`` lines of a failure (the assertion's own message), without pytest's
    re-evaluation noise; the last line when there is no ``E`` line. A table's marked row
    (``>>``) is always kept, with the header and the row before it, and so is the kit's
    explanation of a raw error."""
    kept = _error_lines(message)
    if not kept:
        lines = [ln for ln in message.strip().splitlines() if ln.strip()]
        return lines[-1] if lines else ""
    notes = [n for n in _notes(message) if n not in kept]
    marked = next((i for i, ln in enumerate(kept) if ln.startswith(MARK)), None)
    if marked is None or marked < limit:
        return "\n".join(kept[:max(limit, (marked or 0) + 1)] + notes)
    table = next((i for i, ln in enumerate(kept) if "|" in ln), marked)
    return "\n".join(kept[:limit - 3] + ["..."] + kept[table:table + 2]
                     + kept[max(table + 2, marked - 1):marked + 1] + notes)


# How much a failure explains, most first. An import failure is the root cause of every
# other failure of its file; a named layer or a stated concept beats a bare assertion.
_RANKS = (
    (("could not even read the file", "lỗi cú pháp", "importing ", "khi import ",
      "does not exist", "không có tệp"), 60),
    (("First difference", "Khác biệt đầu tiên", MARK), 50),
    (("concept:", "khái niệm:"), 40),
    (("What this means", "Ý nghĩa"), 30),
    (("NotImplementedError",), 10),
)


def waits_on_others(message: str) -> bool:
    """A test that passed but earns nothing until other tests pass (a ``reported`` test, or
    one zeroed by a broken rule): never the failure that explains the most."""
    lead = message.strip()
    return any(lead.startswith(text.split("{", 1)[0])
               for mid in ("score.unbacked", "score.zeroed_by_rule")
               for text in catalog()[mid].values())


def rank(message: str) -> int:
    """How much a failure message explains (higher is better); a test that only waits on
    others ranks below every real failure."""
    if waits_on_others(message):
        return -1
    text = "\n".join(_error_lines(message) + _notes(message)) or message
    for words, score in _RANKS:
        if any(w in text for w in words):
            return score
    return 20 if text.strip() else 0
