"""Gradebooks the school's LMS imports: Moodle's and Canvas's CSV grade import, or plain CSV.

Moodle (Grades > Import > CSV file): a header row, one row per student; the instructor maps
one identifying column ("Email address" to useremail, or "ID number" to useridnumber) and
each grade column to a grade item (or a new one). Cells a student has no grade for are
left empty. Canvas (Grades > Import): the columns of its own export, ``Student, ID, SIS
User ID, SIS Login ID, Section``, then one column per assignment; a second row starting
``Points Possible`` gives each assignment's maximum. Canvas matches students by ID, SIS
User ID or SIS Login ID; we fill SIS User ID from the roster, and Canvas's internal ID
where the roster has it (Canvas's own gradebook export as the roster) or else leave it empty.

Every item of the course is a column (``course_items``), graded or not: an item this
machine did not grade is a column of empty cells, so the total's maximum is always the
course's. Submissions the roster does not match are listed and left out (``Exported``),
and ``cnnkit export`` then ends with a non-zero status.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from grader.core import manifest, paths
from grader.grading.classview import roster as roster_mod
from grader.grading.classview import roster_file
from grader.grading.classview.load import Student
from grader.core.errors import BadInput
from grader.core.i18n import msg, pick
from grader.grading import names

FORMATS = ("moodle", "canvas", "csv")
ITEM_PREFIX = "cnnkit"


def course_items() -> dict[str, float]:
    """Every gradebook item of the kit's topics ("topic/exercise", and each graded training
    "topic/training_<name>") with its points: what the course is worth, graded or not."""
    items: dict[str, float] = {}
    for topic in paths.topics():
        info = manifest.load_topic(topic)
        for ex in info.exercises:
            items[f"{topic}/{ex.name}"] = ex.points
        for spec in info.graded_trainings:
            items[f"{topic}/training_{spec.name}"] = spec.points
    return items


def columns(students: list[Student]) -> list[tuple[str, float]]:
    """Every item of the course and every graded item of the records, with its maximum, in
    order. An item nobody was graded on stays a column (empty cells), so the total's
    maximum is the course's, never only what this machine graded."""
    found: dict[str, float] = {}
    for st in students:
        for name, v in st.exercises.items():
            if isinstance(v, dict):
                found[name] = max(found.get(name, 0.0), float(v.get("max_score") or 0))
    for name, points in course_items().items():
        found.setdefault(name, points)
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
        rows.append([member.name, member.participant, member.student_id,
                     member.login or member.email, section,
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


@dataclass
class Exported:
    text: str
    lines: list[str]  # for the operator: columns read, unmatched, ambiguous, absent
    left_out: list[str] = field(default_factory=list)  # submissions not in the file


def _roster_lines(fmt: str, roster: roster_file.Roster, path: Path, lang: str) -> list[str]:
    """The columns read, and what the format needs that the roster lacks."""
    lines = [roster_file.columns_line(roster, path, lang)]
    if fmt == "moodle" and "email" not in roster.columns:
        if "student id" not in roster.columns:
            raise BadInput(pick({
                "en": f"--format moodle: the roster {path} has neither an email column nor a "
                      "student id column, so Moodle's import cannot find the students: export "
                      "Moodle's participants (with Email address) or add an Email column",
                "vi": f"--format moodle: danh sách lớp {path} không có cột email lẫn cột mã "
                      "sinh viên, nên Moodle không nhận ra sinh viên: hãy tải danh sách thành "
                      "viên từ Moodle (có Email address) hoặc thêm cột Email"}, lang))
        lines.append(pick({
            "en": "warning: the roster has no email column, so the Moodle file's 'Email "
                  "address' column is empty: in Moodle's import map 'ID number' to "
                  "'useridnumber' (the roster's ids must be Moodle's ID numbers), or add an "
                  "Email column to the roster",
            "vi": "cảnh báo: danh sách lớp không có cột email nên cột 'Email address' của tệp "
                  "Moodle để trống: khi nhập vào Moodle hãy ánh xạ 'ID number' sang "
                  "'useridnumber' (mã trong danh sách phải là ID number của Moodle), hoặc "
                  "thêm cột Email vào danh sách lớp"}, lang))
    return lines


def run(students: list[Student], fmt: str, roster_path: Path | None,
        lang: str = "en") -> Exported:
    """The file's text, the operator's lines, and the submissions left out of the file."""
    if fmt not in FORMATS:
        raise BadInput(msg(f"unknown format {fmt!r} ({', '.join(FORMATS)})",
                           f"định dạng không biết {fmt!r} ({', '.join(FORMATS)})"))
    if fmt != "csv" and roster_path is None:
        raise BadInput(pick({
            "en": f"--format {fmt} needs --roster roster.csv (student id, name, email): the LMS "
                  "identifies students by their school id or email, which submissions lack",
            "vi": f"--format {fmt} cần --roster roster.csv (mã sinh viên, họ tên, email): hệ "
                  "thống LMS nhận diện sinh viên bằng mã trường hoặc email, mà bài nộp không "
                  "có"}, lang))
    matching, lines = None, []
    if roster_path is not None:
        roster = roster_file.read(roster_path)
        lines = _roster_lines(fmt, roster, roster_path, lang)
        shown = {st.sid: st.name for st in students}
        matching = roster_mod.match(shown, roster.members,
                                    {st.sid: st.participant for st in students})
        lines += roster_mod.describe(matching, shown, lang,
                                     {st.sid: st.entry for st in students})
    if fmt == "moodle":
        text = moodle_csv(students, matching)
    elif fmt == "canvas":
        text = canvas_csv(students, matching)
    else:
        text = plain_csv(students, matching)
    left_out = matching.left_out if matching is not None and fmt != "csv" else []
    return Exported(text, lines, left_out)


def export(students: list[Student], fmt: str, roster_path: Path | None,
           lang: str = "en") -> tuple[str, list[str]]:
    """The file's text, and lines for the operator (see ``run``)."""
    done = run(students, fmt, roster_path, lang)
    return done.text, done.lines
