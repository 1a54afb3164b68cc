"""Every entry of a submissions folder: whose it is, which one of a student's entries counts,
and why each other entry was skipped (DIR/intake.csv and the run's summary).

An entry is a folder, a readable archive (``archives``), an archive of a kind the grader
does not read (.rar, .7z: graded zero, with the reason), a link (refused) or a loose file.
Entries from Moodle's or Canvas's download (``lms_names``) belong to their participant;
other entries to their name without the archive suffix (case and Unicode form ignored).

The rule when one student has several entries: the entries the grader can read come
first (a folder or a .zip/.tar over a .rar or a link); among those, the newest by
modification time counts (for a folder, the newest file in it); equal times go by name.
The others are not graded, and both the summary and the record say so. Loose files of a
participant who handed in nothing else make a zero record that names them; other loose
files (notes.txt, a roster) are skipped and listed.
"""

from __future__ import annotations

import csv
import io
import os
import stat
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from grader.core import i18n
from grader.core.messages import Message, Note, note_text, said
from grader.core.files import atomic_write
from grader.core.i18n import pick
from grader.grading import names
from grader.grading.intake import archives
from grader.grading.intake import lms_names
from grader.grading.box import safefiles

FILE_NAME = "intake.csv"
COLUMNS = ("entry", "student", "status", "reason")


@dataclass
class Entry:
    path: Path
    kind: str  # "folder" | "archive" | "unsupported" | "link" | "file"
    lms: lms_names.LmsName | None = None
    mtime: float = 0.0

    @property
    def shown(self) -> str:
        return names.shown(self.path.name) + ("/" if self.kind == "folder" else "")

    @property
    def key(self) -> tuple[str, str]:
        """One key per student: the LMS's participant, else the name as handed in."""
        if self.lms is not None:
            return (self.lms.lms, self.lms.participant)
        return ("", unicodedata.normalize("NFC", archives.stem(self.path.name)).casefold())

    @property
    def person(self) -> str:
        """The student's name as handed in (the LMS's name for an LMS entry)."""
        return self.lms.person if self.lms else archives.stem(self.path.name)

    @property
    def candidate(self) -> bool:
        """Could be the student's submission (not a loose file, not online text)."""
        return self.kind != "file" and (self.lms is None or self.lms.files)

    @property
    def readable(self) -> bool:
        return self.kind in ("folder", "archive")


@dataclass
class Chosen:
    """The entry that counts for one student, the others of the same student, and the
    loose files a participant handed in beside it."""

    entry: Entry | None
    others: list[Entry] = field(default_factory=list)
    loose: list[Entry] = field(default_factory=list)

    @property
    def first(self) -> Entry:
        return self.entry or self.loose[0]


def newest_mtime(path: Path) -> float:
    """A file's modification time; for a folder, its newest file's (a bounded walk; the
    folders' own times only say when they were unpacked), or its own without files."""
    own = os.lstat(path).st_mtime
    if not safefiles.is_plain_dir(path):
        return own
    newest = None
    try:
        for sub in safefiles.walk(path):
            info = os.lstat(sub)
            if stat.S_ISREG(info.st_mode):
                newest = max(newest or info.st_mtime, info.st_mtime)
    except (safefiles.TreeRefused, OSError):
        pass
    return own if newest is None else newest


def classify(path: Path) -> Entry:
    parsed = lms_names.parse(path.name)
    mode = os.lstat(path).st_mode
    if stat.S_ISLNK(mode):
        kind = "link"
    elif stat.S_ISDIR(mode):
        kind = "folder"
    elif stat.S_ISREG(mode) and archives.readable(path.name):
        kind = "archive"
    elif stat.S_ISREG(mode) and archives.suffix(path.name):
        kind = "unsupported"
    else:
        kind = "file"
    return Entry(path, kind, parsed, newest_mtime(path) if kind != "link" else 0.0)


def choose(entries: list[Entry]) -> tuple[list[Chosen], list[Entry]]:
    """One ``Chosen`` per student, in entry order, and the entries of nobody (plain loose
    files)."""
    groups: dict[tuple[str, str], list[Entry]] = {}
    nobody = []
    for entry in entries:
        if entry.candidate or entry.lms is not None:
            groups.setdefault(entry.key, []).append(entry)
        else:
            nobody.append(entry)
    chosen = []
    for group in groups.values():
        cands = sorted((e for e in group if e.candidate),
                       key=lambda e: (not e.readable, -e.mtime, e.path.name))
        loose = [e for e in group if not e.candidate]
        chosen.append(Chosen(cands[0] if cands else None, cands[1:], loose))
    return chosen, nobody


def counted_note(chosen: Chosen) -> Message:
    """The note of a student with several entries: which one counts."""
    others = ", ".join(repr(e.shown) for e in chosen.others)
    this = chosen.entry.shown if chosen.entry else ""
    return said("intake.several_entries", count=len(chosen.others) + 1, graded=repr(this),
                others=others)


def loose_note(chosen: Chosen) -> Message:
    shown = ", ".join(repr(e.lms.rest if e.lms and e.lms.rest else e.shown)
                      for e in chosen.loose[:5])
    if chosen.entry is None:
        return said("intake.only_loose", files=shown)
    return said("intake.also_handed_in", files=shown)


@dataclass
class Row:
    entry: str
    student: str
    status: str  # "graded" | "graded-zero" | "not-graded" | "skipped"
    reason: Note  # why, as data (core.messages)


def rows_for(chosen: Chosen, student: str, graded: bool, problem: Note) -> list[Row]:
    """The summary rows of one student's entries; ``graded``: a topic folder was found."""
    rows = []
    if chosen.entry is not None:
        rows.append(Row(chosen.entry.shown, student, "graded" if graded else "graded-zero",
                        problem))
    counts = said("intake.other_entry_counts", entry=repr(chosen.first.shown))
    for other in chosen.others:
        rows.append(Row(other.shown, student, "not-graded", counts))
    for loose in chosen.loose:
        rows.append(Row(loose.shown, student, "graded-zero", loose_note(chosen))
                    if chosen.entry is None else Row(loose.shown, student, "not-graded", counts))
    return rows


def skipped_row(entry: Entry) -> Row:
    return Row(entry.shown, "", "skipped", said("intake.loose_file"))


_STATUS = {"graded": ("graded", "đã chấm"), "graded-zero": ("graded 0", "chấm 0 điểm"),
           "not-graded": ("not graded", "không chấm"), "skipped": ("skipped", "bỏ qua")}


def status_word(status: str, lang: str | None = None) -> str:
    en, vi = _STATUS.get(status, (status, status))
    return pick({"en": en, "vi": vi}, lang)


def summary_lines(rows: list[Row], lang: str | None = None) -> list[str]:
    """One line per entry that was not simply graded (the run's language)."""
    lines = []
    for row in rows:
        if row.status == "graded" and not row.reason:
            continue
        who = f" -> {row.student}" if row.student else ""
        lines.append(f"{row.entry}{who}: {status_word(row.status, lang)}: "
                     f"{note_text(row.reason, i18n.current_lang(lang))}")
    return lines


def write(out: Path, rows: list[Row], lang: str | None = None, stream=None) -> None:
    """DIR/intake.csv (every entry, reasons in the run's language) and the summary lines."""
    stream = stream or sys.stderr  # the stderr of the call, not of the import
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([names.csv_cell(row.entry), row.student, row.status,
                         names.csv_cell(note_text(row.reason, i18n.current_lang(lang)))])
    atomic_write(Path(out) / FILE_NAME, buf.getvalue().encode("utf-8"))
    for line in summary_lines(rows, lang):
        print(f"cnnkit grade: {line}", file=stream)


def read_back(out: Path) -> list[dict[str, str]]:
    """The rows of DIR/intake.csv that were not simply graded (for the final summary)."""
    path = Path(out) / FILE_NAME
    if not safefiles.is_plain_file(path):
        return []
    text = safefiles.read_bytes(path).decode("utf-8", "replace")
    return [r for r in csv.DictReader(io.StringIO(text))
            if r.get("status") != "graded" or r.get("reason")]
