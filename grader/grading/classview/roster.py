"""Match submission folders to a school roster: exactly, then by name without accents.

A roster is a CSV with a student id, a name and an email (header names are matched
loosely: "student id"/"id"/"sis user id", "name"/"full name", "email"/"email address").
A folder is matched to a roster row by its exact name (or id), then by the NFKD-normalised
name (``grader.grading.names.transliterate``, case-insensitive). Anything else, and any
key two rows share, is reported as unmatched: a match is never guessed.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from grader.core.errors import BadInput
from grader.core.i18n import pick
from grader.grading import names

_ID = ("student id", "student_id", "studentid", "id", "sis user id", "id number", "mssv")
_NAME = ("name", "full name", "student name", "student", "họ tên", "ho ten")
_EMAIL = ("email", "email address", "e-mail", "mail")


@dataclass(frozen=True)
class Member:
    student_id: str
    name: str
    email: str


@dataclass
class Matching:
    matched: dict[str, Member] = field(default_factory=dict)  # submission id -> member
    how: dict[str, str] = field(default_factory=dict)  # submission id -> "exact" | "normalised"
    unmatched: list[str] = field(default_factory=list)  # submission ids
    ambiguous: dict[str, list[Member]] = field(default_factory=dict)
    absent: list[Member] = field(default_factory=list)  # roster rows with no submission


def _column(header: list[str], wanted: tuple[str, ...]) -> int | None:
    low = [h.strip().lower().lstrip("\ufeff") for h in header]
    return next((low.index(w) for w in wanted if w in low), None)


def read_roster(path: Path) -> list[Member]:
    text = Path(path).read_text(encoding="utf-8-sig")
    rows = [r for r in csv.reader(io.StringIO(text)) if any(c.strip() for c in r)]
    if not rows:
        raise BadInput(pick({"en": f"the roster {path} is empty",
                             "vi": f"danh sách lớp {path} trống"}))
    header = rows[0]
    cid, cname, cemail = (_column(header, w) for w in (_ID, _NAME, _EMAIL))
    if cid is None or cname is None:
        raise BadInput(pick({
            "en": f"the roster {path} needs a header row with a student id column and a name "
                  f"column (found: {', '.join(header)})",
            "vi": f"danh sách lớp {path} cần một dòng tiêu đề có cột mã sinh viên và cột họ tên "
                  f"(đang có: {', '.join(header)})"}))
    cell = lambda r, i: r[i].strip() if i is not None and i < len(r) else ""  # noqa: E731
    return [Member(cell(r, cid), cell(r, cname), cell(r, cemail)) for r in rows[1:]]


def _normal(text: str) -> str:
    return names.transliterate(text).lower()


def match(submissions: dict[str, str], roster: list[Member]) -> Matching:
    """``submissions``: submission id -> the folder name as handed in."""
    result = Matching()
    exact: dict[str, list[Member]] = {}
    normal: dict[str, list[Member]] = {}
    for m in roster:
        for key in {m.student_id, m.name} - {""}:
            exact.setdefault(key, []).append(m)
        for key in {_normal(m.student_id), _normal(m.name)} - {"", "student"}:
            normal.setdefault(key, []).append(m)
    taken: dict[Member, str] = {}
    for sid, shown in sorted(submissions.items()):
        found = None
        for how, table, keys in (("exact", exact, [shown.strip(), sid]),
                                 ("normalised", normal, [_normal(shown), _normal(sid)])):
            hits = {m for k in keys for m in table.get(k, [])}
            if len(hits) > 1:
                result.ambiguous[sid] = sorted(hits, key=lambda m: m.student_id)
                break
            if hits:
                found = (how, hits.pop())
                break
        if found is None:
            if sid not in result.ambiguous:
                result.unmatched.append(sid)
            continue
        how, member = found
        if member in taken:  # two folders claim one student: neither is guessed
            other = taken[member]
            result.matched.pop(other, None)
            result.how.pop(other, None)
            result.ambiguous[other] = result.ambiguous[sid] = [member]
            continue
        taken[member] = sid
        result.matched[sid] = member
        result.how[sid] = how
    result.absent = [m for m in roster if m not in taken]
    return result


def describe(matching: Matching, shown: dict[str, str], lang: str) -> list[str]:
    """Lines for the operator: what was not matched, and why."""
    t = lambda en, vi: pick({"en": en, "vi": vi}, lang)  # noqa: E731
    lines = []
    for sid in matching.unmatched:
        lines.append(t(f"unmatched: the submission {names.clean(shown.get(sid, sid))!r} has no "
                       "row in the roster (not exported)",
                       f"không khớp: bài nộp {names.clean(shown.get(sid, sid))!r} không có dòng "
                       "nào trong danh sách lớp (không được xuất)"))
    for sid, members in sorted(matching.ambiguous.items()):
        ids = ", ".join(names.clean(m.student_id) for m in members)
        lines.append(t(f"ambiguous: the submission {names.clean(shown.get(sid, sid))!r} could be "
                       f"{ids} (not exported; rename the folder to the student id)",
                       f"không rõ: bài nộp {names.clean(shown.get(sid, sid))!r} có thể là {ids} "
                       "(không được xuất; hãy đổi tên thư mục thành mã sinh viên)"))
    for m in matching.absent:
        lines.append(t(f"no submission: {names.clean(m.student_id)} {names.clean(m.name)}",
                       f"không có bài nộp: {names.clean(m.student_id)} {names.clean(m.name)}"))
    return lines
