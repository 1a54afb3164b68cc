"""Solution markers, as in nbgrader: the code a student writes sits between
``### BEGIN SOLUTION`` and ``### END SOLUTION``. The one parser of the kit."""

from __future__ import annotations

import re
from dataclasses import dataclass

from grader.core.errors import BadInput
from grader.core.i18n import msg

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"


class MarkerError(BadInput):
    """Unbalanced or nested markers."""


@dataclass
class Region:
    """A run of lines: ``solution`` ones sit between the markers (markers excluded)."""

    lines: list[str]
    solution: bool
    indent: str = ""
    start: int = 0  # 1-based line number of the first line


def regions(source: str, filename: str = "<file>") -> list[Region]:
    """Split ``source`` into public and solution regions, checking the markers."""
    out: list[Region] = [Region([], False, start=1)]
    inside = False
    for number, line in enumerate(source.splitlines(keepends=True), 1):
        stripped = line.strip()
        if stripped == BEGIN:
            if inside:
                raise MarkerError(f"{filename}:{number}: nested {BEGIN}")
            inside = True
            out.append(Region([], True, line[: len(line) - len(line.lstrip())], number + 1))
        elif stripped == END:
            if not inside:
                raise MarkerError(f"{filename}:{number}: {END} without {BEGIN}")
            inside = False
            out.append(Region([], False, start=number + 1))
        else:
            out[-1].lines.append(line)
    if inside:
        raise MarkerError(f"{filename}: {BEGIN} is never closed")
    return [r for r in out if r.lines or r.solution]


def without_markers(source: str) -> str:
    """The solution as a student reads it: every line but the two markers."""
    return "".join(line for r in regions(source) for line in r.lines)


def solution_lines(source: str) -> list[str]:
    """Stripped lines inside the solution regions."""
    return [ln.strip() for r in regions(source) if r.solution for ln in r.lines]


def public_lines(source: str) -> list[str]:
    """Stripped lines outside the solution regions."""
    return [ln.strip() for r in regions(source) if not r.solution for ln in r.lines]


DEFAULT_TODO = "write this part"


def stub(source: str, filename: str = "<file>") -> str:
    """The student's stub: each solution region becomes ``raise NotImplementedError(<TODO>)``.

    The TODO is the run of ``# TODO:`` lines just above the region, joined. The message is written with
    ``repr``, so any TODO text gives a stub that compiles.
    """
    out: list[str] = []
    for region in regions(source, filename):
        if not region.solution:
            out += region.lines
            continue
        todo = " ".join(todo_lines(out)) or DEFAULT_TODO
        vi = " ".join(todo_lines(out, TODO_VI))
        text = "TODO: " + todo + (VI_TODO + vi if vi else "")
        out.append(f"{region.indent}raise NotImplementedError({text!r})\n")
    return "".join(out)


TODO_EN, TODO_VI = "# TODO:", "# TODO (vi):"
# A stub's message holds both languages, "TODO: <en> | vi: <vi>"; the kit's reports show
# the reader's (``localise_todos``), plain pytest shows both.
VI_TODO = " | vi: "
# Each part ends at a line's end, the stub's closing quote, or a mark of a message already
# kept in every language (``i18n.BOTH``), where a rule's message quotes the stub's.
_BILINGUAL_TODO = re.compile(
    r"TODO: ([^\n|\ue000-\ue002]*?) \| vi: ([^\n\ue000-\ue002]*?)(?=['\"]\)|[\ue000-\ue002]|$)",
    re.MULTILINE)


def todo_lines(lines: list[str], prefix: str = TODO_EN) -> list[str]:
    """The texts of the ``prefix`` comments (``# TODO:``, or ``# TODO (vi):``) in the run of
    TODO comments right above a solution region, in order."""
    texts: list[str] = []
    for line in reversed(lines):
        stripped = line.strip()
        if not stripped.startswith((TODO_EN, TODO_VI)):
            break
        if stripped.startswith(prefix):
            texts.insert(0, stripped[len(prefix):].strip())
    return [t for t in texts if t]


def localise_todos(text: str) -> str:
    """Each stub message "TODO: <en> | vi: <vi>" in ``text`` as one message in every
    language (``i18n.msg``): the run's language, or both when grading."""
    return _BILINGUAL_TODO.sub(lambda m: "TODO: " + msg(m[1], m[2].rstrip()), text)
