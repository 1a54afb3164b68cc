"""Solution markers, as in nbgrader: the code a student writes sits between
``### BEGIN SOLUTION`` and ``### END SOLUTION``. The one parser of the kit."""

from __future__ import annotations

from dataclasses import dataclass

from grader.core.errors import BadInput

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
        out.append(f"{region.indent}raise NotImplementedError({'TODO: ' + todo!r})\n")
    return "".join(out)


def todo_lines(lines: list[str]) -> list[str]:
    """The texts of the ``# TODO:`` comments right above a solution region, in order."""
    texts: list[str] = []
    for line in reversed(lines):
        if not line.strip().startswith("# TODO:"):
            break
        texts.insert(0, line.strip()[len("# TODO:"):].strip())
    return [t for t in texts if t]
