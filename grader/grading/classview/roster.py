"""Match graded submissions to a school roster, the strongest claim first.

The roster is read by ``roster_file`` (many header names, comma, semicolon or tab). A
submission claims a roster row, strongest first: by the LMS's participant id (from
Moodle's or Canvas's download, kept in results.json); by a student id, email or login
that is the folder's exact name; by the exact name; by the name without accents and case
(``grader.grading.names.transliterate``). A submission stops at the first strength with a
hit. A row claimed by several submissions goes to the strongest claim; claims of the same
strength are ambiguous and none is exported. So a look-alike folder (the name without
accents) can never take a row, or hide it, from the folder that names it exactly. A
submission whose name fits two rows at its strength is ambiguous: a match is never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from grader.core.i18n import pick
from grader.grading import names
from grader.grading.classview import roster_file
from grader.grading.classview.roster_file import Member

STRENGTHS = ("participant", "id", "exact", "normalised")  # strongest first


@dataclass
class Matching:
    matched: dict[str, Member] = field(default_factory=dict)  # submission id -> member
    how: dict[str, str] = field(default_factory=dict)  # submission id -> one of STRENGTHS
    unmatched: list[str] = field(default_factory=list)  # submission ids
    ambiguous: dict[str, list[Member]] = field(default_factory=dict)
    absent: list[Member] = field(default_factory=list)  # roster rows with no submission
    outranked: dict[str, tuple[Member, str]] = field(default_factory=dict)  # sid -> (row, winner)

    @property
    def left_out(self) -> list[str]:
        """Submissions not exported: unmatched, ambiguous or outranked."""
        return sorted(set(self.unmatched) | set(self.ambiguous) | set(self.outranked))


def read_roster(path: Path) -> list[Member]:
    return roster_file.read(path).members


def _normal(text: str) -> str:
    return names.transliterate(text).lower()


def _tables(roster: list[Member]) -> dict[str, dict[str, list[Member]]]:
    tables: dict[str, dict[str, list[Member]]] = {s: {} for s in STRENGTHS}
    for m in roster:
        keys = {"participant": {m.participant}, "id": {m.student_id, m.email, m.login},
                "exact": {names.shown(m.name).strip()},
                "normalised": {_normal(m.student_id), _normal(m.name)} - {"student"}}
        for strength, found in keys.items():
            for key in found - {""}:
                tables[strength].setdefault(key, []).append(m)
    return tables


def _claim(tables, sid: str, shown: str, participant: str) -> tuple[str, set[Member]] | None:
    """The strongest strength at which the submission fits a row, and the rows it fits."""
    asked = {"participant": [participant], "id": [shown.strip(), sid],
             "exact": [shown.strip()], "normalised": [_normal(shown), _normal(sid)]}
    for strength in STRENGTHS:
        hits = {m for k in asked[strength] if k for m in tables[strength].get(k, [])}
        if hits:
            return strength, hits
    return None


def match(submissions: dict[str, str], roster: list[Member],
          participants: dict[str, str] | None = None) -> Matching:
    """``submissions``: submission id -> the name as handed in; ``participants``:
    submission id -> the LMS's participant id, where the download gave one."""
    result = Matching()
    tables = _tables(roster)
    claims: dict[Member, list[tuple[int, str]]] = {}
    for sid, shown in sorted(submissions.items()):
        found = _claim(tables, sid, shown, (participants or {}).get(sid, ""))
        if found is None:
            result.unmatched.append(sid)
        elif len(found[1]) > 1:
            result.ambiguous[sid] = sorted(found[1], key=lambda m: (m.student_id, m.name))
        else:
            member = found[1].pop()
            claims.setdefault(member, []).append((STRENGTHS.index(found[0]), sid))
    for member, claimed in claims.items():
        best = min(rank for rank, _ in claimed)
        top = sorted(sid for rank, sid in claimed if rank == best)
        if len(top) == 1:
            result.matched[top[0]] = member
            result.how[top[0]] = STRENGTHS[best]
        else:  # same strength: neither is guessed
            for sid in top:
                result.ambiguous[sid] = [member]
        for rank, sid in claimed:
            if rank > best:
                result.outranked[sid] = (member, top[0] if len(top) == 1 else "")
    taken = set(result.matched.values())
    result.absent = [m for m in roster if m not in taken
                     and not any(m in ms for ms in result.ambiguous.values())]
    return result


def who(m: Member) -> str:
    """A roster row as the operator knows it: its id (or email, participant) and name."""
    key = m.student_id or m.email or (f"participant {m.participant}" if m.participant else "")
    return names.clean(f"{key} {m.name}".strip())


def describe(matching: Matching, shown: dict[str, str], lang: str,
             entries: dict[str, str] | None = None) -> list[str]:
    """Lines for the operator: what was not matched, and why. ``entries``: submission id ->
    the entry of the submissions folder it came from, so two look-alikes can be told apart."""
    t = lambda en, vi: pick({"en": en, "vi": vi}, lang)  # noqa: E731

    def sub(sid: str) -> str:
        name = names.clean(shown.get(sid, sid))
        entry = names.clean((entries or {}).get(sid, ""))
        return f"{name!r}" + (f" ({sid}, from {entry!r})" if entry and entry != name else
                              f" ({sid})" if sid != name else "")
    lines = []
    for sid in matching.unmatched:
        lines.append(t(f"unmatched: the submission {sub(sid)} has no row in the roster "
                       "(not exported)",
                       f"không khớp: bài nộp {sub(sid)} không có dòng nào trong danh sách lớp "
                       "(không được xuất)"))
    for sid, members in sorted(matching.ambiguous.items()):
        ids = ", ".join(who(m) for m in members)
        lines.append(t(f"ambiguous: the submission {sub(sid)} could be {ids}, as could another "
                       "submission as strongly (not exported; rename the folder to the student "
                       "id)" if len(members) == 1 else
                       f"ambiguous: the submission {sub(sid)} could be {ids} (not exported; "
                       "rename the folder to the student id)",
                       f"không rõ: bài nộp {sub(sid)} có thể là {ids}, một bài nộp khác cũng khớp "
                       "như vậy (không được xuất; hãy đổi tên thư mục thành mã sinh viên)"
                       if len(members) == 1 else
                       f"không rõ: bài nộp {sub(sid)} có thể là {ids} (không được xuất; hãy đổi "
                       "tên thư mục thành mã sinh viên)"))
    for sid, (member, winner) in sorted(matching.outranked.items()):
        lines.append(t(f"not exported: the submission {sub(sid)} fits {who(member)} less "
                       f"closely than {sub(winner) if winner else 'other submissions'}",
                       f"không được xuất: bài nộp {sub(sid)} khớp với {who(member)} kém hơn "
                       f"{sub(winner) if winner else 'các bài nộp khác'}"))
    for m in matching.absent:
        lines.append(t(f"no submission: {who(m)}", f"không có bài nộp: {who(m)}"))
    return lines
