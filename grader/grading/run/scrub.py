"""Keep kit sources, hidden tests and solution text out of what a student reads.

The plugin sends only assertion messages, never traceback source. Student code
can still put any text into a message (it can read the box's test files), so
the trusted side drops every message line that is a line of the kit's tests,
hidden tests, solutions or the ``grader`` package.
"""

from __future__ import annotations

from functools import lru_cache

from grader.core import paths
from grader.core.i18n import pick

MIN_LINE = 16  # shorter lines ("return x") are too common to tell anything
REMOVED = "[a line of the kit's source was removed]"
_REMOVED = {"en": REMOVED, "vi": "[đã xoá một dòng mã nguồn của kit]"}


@lru_cache(maxsize=1)
def kit_lines() -> frozenset[str]:
    roots = [paths.solutions_dir(), paths.hidden_tests_dir(), paths.KIT_ROOT / "grader",
             paths.exercises_dir()]
    lines = set()
    for root in roots:
        for f in sorted(root.rglob("*.py")) if root.is_dir() else []:
            if root == paths.exercises_dir() and not f.name.startswith("test_"):
                continue  # the stubs are the student's own starting point
            for line in f.read_text(encoding="utf-8", errors="replace").splitlines():
                line = line.strip()
                if len(line) >= MIN_LINE:
                    lines.add(line)
    return frozenset(lines)


def scrub(message: str, lang: str | None = None) -> str:
    known = kit_lines()
    out, dropped = [], False
    for line in message.splitlines():
        text = line.strip()
        if text.startswith("E "):
            text = text[1:].strip()
        if len(text) >= MIN_LINE and text in known:
            if not dropped:
                out.append(pick(_REMOVED, lang))
            dropped = True
            continue
        dropped = False
        out.append(line)
    return "\n".join(out)
