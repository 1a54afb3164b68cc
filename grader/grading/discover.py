"""Step 1 of grading: find one submission per student (a folder or an archive), in any
layout ``intake`` reads: plain folders and archives, Moodle's and Canvas's downloads.

Folders are walked without following links: a symbolic link anywhere in a
submission (a topic folder pointing at ``solutions/``, say) is refused and named.
Archives are unpacked by ``archives`` (safe, capped); an archive inside a folder or inside
another archive (Moodle's folder around the student's zip) is unpacked when no topic
folder is found without it. Student ids are ASCII and unique (``names.unique_ids``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from grader.core import paths
from grader.core.errors import BadInput, NotFound
from grader.core import i18n
from grader.core.messages import Message, Note, note_text, said
from grader.grading import names
from grader.grading.intake import survey as intake
from grader.grading.intake import archives
from grader.grading.box import safefiles

ZIP_MAX_BYTES = archives.MAX_BYTES
ZIP_MAX_FILES = archives.MAX_MEMBERS
ZIP_MAX_NAME = archives.MAX_NAME


@dataclass
class Submission:
    student: str
    source: Path  # the folder or archive as handed in
    root: Path | None  # the folder that holds NN_topic folders (None: nothing usable)
    problem: Note = ""  # why nothing was graded (core.messages), "" when graded
    name: str = ""  # the name as handed in (cleaned of control characters), for display
    notes: list[Note] = field(default_factory=list)  # for the feedback (core.messages)
    record: dict = field(default_factory=dict)  # into results.json's "cnnkit": entry, lms ...


@dataclass
class Intake:
    subs: list[Submission]
    rows: list[intake.Row]  # every entry of the folder: graded, not graded or skipped


def submission_name(path: Path) -> str:
    return archives.stem(path.name)


def student_id(path: Path) -> str:
    """The id of one submission on its own (``discover`` makes them unique together)."""
    return names.transliterate(submission_name(path))


def _subfolders(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if safefiles.is_plain_dir(p))


def find_topic_root(folder: Path, depth: int = 3) -> Path | None:
    """The folder with topic sub-folders, looking through a wrapper or an exercises/ level.

    Links are never followed: a linked topic folder does not count as one."""
    queue = [folder]
    for _ in range(depth):
        nxt = []
        for cand in queue:
            if any(paths.TOPIC_PATTERN.match(p.name) for p in _subfolders(cand)):
                return cand
            nxt += [p for p in _subfolders(cand) if not p.name.startswith((".", "__"))]
        queue = nxt
    return None


def links_note(links: list[str]) -> Message:
    shown = ", ".join(names.clean(x) for x in links[:5]) + (" ..." if len(links) > 5 else "")
    return said("intake.links_refused", links=shown)


def safe_extract(archive: Path, dest: Path) -> None:
    """Unpack safely (``archives.extract``): no absolute paths, ``..``, links, or archives
    too large to be homework."""
    archives.extract(Path(archive), Path(dest))


def _fresh(folder: Path) -> Path:
    safefiles.remove_tree(folder)
    folder.mkdir(parents=True)
    return folder


def root_of(tree: Path, scratch: Path, budget: archives.Budget, level: int = 0) -> Path | None:
    """The topic root in ``tree``, unpacking the archives inside it (newest first, into
    ``scratch``) when there is none without them, up to ``archives.MAX_NESTING`` deep."""
    root = find_topic_root(tree)
    if root is not None or level >= archives.MAX_NESTING:
        return root
    for i, inner in enumerate(archives.inner_archives(tree)):
        dest = _fresh(scratch / f"{level}-{i}")
        try:
            archives.extract(inner, dest, budget)
        except BadInput:
            continue  # another inner archive may hold the work; none: "no topic folder"
        root = root_of(dest, scratch / f"{level}-{i}.in", budget, level + 1)
        if root is not None:
            return root
    return None


def _open_entry(entry: intake.Entry, sid: str, workdir: Path) -> tuple[Path | None, Note]:
    """The topic root of one chosen entry and the problem if any."""
    scratch = workdir / "nested" / sid
    budget = archives.Budget()
    if entry.kind == "link":
        return None, links_note([entry.path.name])
    if entry.kind == "unsupported":
        return None, archives.unsupported_reason(entry.path.name)
    if entry.kind == "folder":
        try:
            links = safefiles.links_in(entry.path)
        except safefiles.TreeRefused as exc:  # too deep or too large: this student only
            return None, exc.note
        return root_of(entry.path, scratch, budget), links_note(links) if links else ""
    dest = _fresh(workdir / "unzipped" / sid)
    try:
        archives.extract(entry.path, dest, budget)
    except BadInput as exc:  # any broken or refused archive costs its student only
        return None, archives.refusal(exc)
    return root_of(dest, scratch, budget), ""


def _record(chosen: intake.Chosen) -> dict:
    first = chosen.first
    record: dict = {"entry": first.shown}
    if first.lms is not None:
        record.update(lms=first.lms.lms, participant=first.lms.participant)
        if first.lms.late:
            record["late"] = True
    if chosen.others:
        record["not_graded_entries"] = [e.shown for e in chosen.others]
    return record


def _no_topic() -> Message:
    return said("intake.no_topic")


def unpack_download(archive: Path, workdir: Path) -> Path:
    """A class's download handed in as one archive (Moodle's or Canvas's .zip), unpacked
    safely into ``workdir`` with a class-sized budget; its folder."""
    dest = _fresh(workdir / "download")
    try:
        archives.extract(archive, dest, archives.Budget(archives.CLASS_BYTES,
                                                        archives.CLASS_MEMBERS))
    except BadInput as exc:
        why = archives.refusal(exc)
        raise BadInput(i18n.pick({"en": f"the submissions archive {archive}: "
                                        f"{note_text(why, 'en')}",
                                  "vi": f"tệp nén bài nộp {archive}: "
                                        f"{note_text(why, 'vi')}"})) from None
    return dest


def survey(folder: Path, workdir: Path) -> Intake:
    """Every entry of ``folder`` (or of a class's download archive) classified
    (``intake``); one submission per student, its archives unpacked into ``workdir``."""
    folder = Path(folder)
    if safefiles.is_plain_file(folder) and archives.readable(folder.name):
        folder = unpack_download(folder, workdir)
    if not folder.is_dir():
        raise NotFound(i18n.pick({"en": f"no submissions folder at {folder}",
                                  "vi": f"không có thư mục bài nộp ở {folder}"}))
    entries = [intake.classify(e) for e in sorted(folder.iterdir())
               if not e.name.startswith(".")]
    chosen, nobody = intake.choose(entries)
    person = {c.first.path.name: c.first.person for c in chosen}
    ids = names.unique_ids(list(person), key=lambda n: names.transliterate(person[n]))
    subs, rows = [], []
    for pick_, sid in zip(chosen, ids):
        root, problem = (None, intake.loose_note(pick_)) if pick_.entry is None \
            else _open_entry(pick_.entry, sid, workdir)
        if root is None and not problem:
            problem = _no_topic()
        notes = ([intake.counted_note(pick_)] if pick_.others else []) \
            + ([intake.loose_note(pick_)] if pick_.loose and pick_.entry else [])
        subs.append(Submission(sid, pick_.first.path, root, problem,
                               names.shown(pick_.first.person), notes, _record(pick_)))
        rows += intake.rows_for(pick_, sid, root is not None,
                                problem or (notes[0] if notes else ""))
    rows += [intake.skipped_row(e) for e in nobody]
    return Intake(subs, rows)


def discover(folder: Path, workdir: Path) -> list[Submission]:
    """One submission per student of ``folder`` (see ``survey``)."""
    return survey(folder, workdir).subs


def fingerprint(sub: Submission, files: list[str], kit_digest: str) -> str:
    """Changes when the graded files or the kit's tests change: then grade again."""
    digest = hashlib.sha256(kit_digest.encode())
    for rel in sorted(files):
        digest.update(rel.encode())
        try:
            digest.update(safefiles.read_bytes(sub.root / rel) if sub.root else b"<missing>")
        except safefiles.UnsafeFile:
            digest.update(b"<missing>")
    return digest.hexdigest()[:16]
