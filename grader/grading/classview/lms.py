"""Gradebooks the school's LMS imports: Moodle's and Canvas's CSV grade import, or plain CSV.

Moodle (Grades > Import > CSV file): a header row, one row per student; the instructor maps
one identifying column ("Email address" to useremail, or "ID number" to useridnumber) and
each grade column to a grade item (or a new one). Cells a student has no grade for are
left empty. Canvas (Grades > Import): the columns of its own export, ``Student, ID, SIS
User ID, SIS Login ID, Section``, then one column per assignment; a second row starting
``Points Possible`` gives each assignment's maximum. Canvas matches students by ID, SIS
User ID or SIS Login ID; we fill SIS User ID from the roster and leave Canvas's internal
ID empty.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from grader.grading.classview import roster as roster_mod
from grader.grading.classview.load import Student
from grader.core.errors import BadInput
from grader.core.i18n import pick
from grader.grading import names

FORMATS = ("moodle", "canvas", "csv")
ITEM_PREFIX = "cnnkit"


def columns(students: list[Student]) -> list[tuple[str, float]]:
    """Every graded item ("topic/exercise" and graded trainings) with its maximum, in order."""
    found: dict[str, float] = {}
    for st in students:
        for name, v in st.exercises.items():
            if isinstance(v, dict):
                found[name] = max(found.get(name, 0.0), float(v.get("max_score") or 0))
    return sorted(found.items())


def _points(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _cells(st: Student, items: list[tuple[str, float]]) -> list[str]:
    """One cell per item: its points, empty when not graded for this student."""
    out = []
    for name, _ in items:
        v = st.exercises.get(name)
        out.append("" if name in st.not_graded or not isinstance(v, dict)
                   else _points(float(v.get("score") or 0)))
    return out


def _write(rows: list[list[str]]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(
        [[names.csv_cell(c) for c in r] for r in rows])
    return buf.getvalue()


def moodle_csv(students: list[Student], matching: roster_mod.Matching) -> str:
    items = columns(students)
    header = ["ID number", "Full name", "Email address",
              *[f"{ITEM_PREFIX} {n}" for n, _ in items], f"{ITEM_PREFIX} total"]
    rows = [header]
    for st in students:
        member = matching.matched.get(st.sid)
        if member is None:
            continue
        rows.append([member.student_id, member.name, member.email, *_cells(st, items),
                     _points(st.score)])
    return _write(rows)


def canvas_csv(students: list[Student], matching: roster_mod.Matching,
               section: str = "") -> str:
    items = columns(students)
    top = sum(m for _, m in items)
    header = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
              *[f"{ITEM_PREFIX} {n}" for n, _ in items], f"{ITEM_PREFIX} total"]
    rows = [header, ["Points Possible", "", "", "", "", *[_points(m) for _, m in items],
                     _points(top)]]
    for st in students:
        member = matching.matched.get(st.sid)
        if member is None:
            continue
        rows.append([member.name, "", member.student_id, member.email, section,
                     *_cells(st, items), _points(st.score)])
    return _write(rows)


def plain_csv(students: list[Student], matching: roster_mod.Matching | None) -> str:
    items = columns(students)
    header = ["submission", "student id", "name", "email", *[n for n, _ in items], "total",
              "max_score"]
    rows = [header]
    for st in students:
        member = matching.matched.get(st.sid) if matching else None
        rows.append([st.sid, member.student_id if member else "",
                     member.name if member else st.name, member.email if member else "",
                     *_cells(st, items), _points(st.score), _points(st.max_score)])
    return _write(rows)


def export(students: list[Student], fmt: str, roster_path: Path | None,
           lang: str = "en") -> tuple[str, list[str]]:
    """The file's text, and lines for the operator (unmatched, ambiguous, absent)."""
    if fmt not in FORMATS:
        raise BadInput(f"unknown format {fmt!r} ({', '.join(FORMATS)})")
    if fmt != "csv" and roster_path is None:
        raise BadInput(pick({
            "en": f"--format {fmt} needs --roster roster.csv (student id, name, email): the LMS "
                  "identifies students by their school id or email, which submissions lack",
            "vi": f"--format {fmt} cần --roster roster.csv (mã sinh viên, họ tên, email): hệ "
                  "thống LMS nhận diện sinh viên bằng mã trường hoặc email, mà bài nộp không "
                  "có"}, lang))
    matching, lines = None, []
    if roster_path is not None:
        shown = {st.sid: st.name for st in students}
        matching = roster_mod.match(shown, roster_mod.read_roster(roster_path))
        lines = roster_mod.describe(matching, shown, lang)
    if fmt == "moodle":
        return moodle_csv(students, matching), lines
    if fmt == "canvas":
        return canvas_csv(students, matching), lines
    return plain_csv(students, matching), lines
