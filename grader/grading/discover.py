"""Step 1 of grading: find one submission per student (a folder or a .zip).

Folders are walked without following links: a symbolic link anywhere in a
submission (a topic folder pointing at ``solutions/``, say) is refused and named.
Student ids are ASCII and unique (``names.unique_ids``).
"""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass
from pathlib import Path

from grader.core import paths
from grader.core.errors import BadInput, NotFound
from grader.core import i18n
from grader.grading import names, safefiles

ZIP_MAX_BYTES = 64 * 1024 * 1024
ZIP_MAX_FILES = 2000
ZIP_MAX_NAME = 1024  # characters in one entry's path


@dataclass
class Submission:
    student: str
    source: Path  # the folder or zip as handed in
    root: Path | None  # the folder that holds NN_topic folders (None: nothing usable)
    problem: str = ""
    name: str = ""  # the name as handed in (cleaned of control characters), for display


def submission_name(path: Path) -> str:
    return path.name[:-4] if path.suffix.lower() == ".zip" else path.name


def student_id(path: Path) -> str:
    """The id of one submission on its own (``discover`` makes them unique together)."""
    return names.transliterate(submission_name(path))


def _subfolders(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if safefiles.is_plain_dir(p))


def find_topic_root(folder: Path) -> Path | None:
    """The folder with topic sub-folders, looking through a wrapper or an exercises/ level.

    Links are never followed: a linked topic folder does not count as one."""
    queue = [folder]
    for _ in range(3):
        nxt = []
        for cand in queue:
            if any(paths.TOPIC_PATTERN.match(p.name) for p in _subfolders(cand)):
                return cand
            nxt += [p for p in _subfolders(cand) if not p.name.startswith((".", "__"))]
        queue = nxt
    return None


def links_note(links: list[str]) -> str:
    shown = ", ".join(names.clean(x) for x in links[:5]) + (" ..." if len(links) > 5 else "")
    return i18n.keep({
        "en": f"symbolic links are refused and were not graded: {shown}",
        "vi": f"liên kết tượng trưng (symlink) bị từ chối và không được chấm: {shown}",
    })


def safe_extract(archive: Path, dest: Path) -> None:
    """Unzip, refusing absolute paths, ``..``, links, and archives too large to be homework."""
    with zipfile.ZipFile(archive) as zf:
        infos = zf.infolist()
        if len(infos) > ZIP_MAX_FILES:
            raise BadInput(i18n.keep({
                "en": f"the zip holds {len(infos)} entries (limit {ZIP_MAX_FILES})",
                "vi": f"tệp zip chứa {len(infos)} mục (giới hạn {ZIP_MAX_FILES})"}))
        if sum(i.file_size for i in infos) > ZIP_MAX_BYTES:
            raise BadInput(i18n.keep({
                "en": f"the zip unpacks to more than {ZIP_MAX_BYTES >> 20} MB",
                "vi": f"tệp zip giải nén ra hơn {ZIP_MAX_BYTES >> 20} MB"}))
        for info in infos:
            depth = len([p for p in info.filename.replace("\\", "/").split("/") if p])
            if depth > safefiles.MAX_DEPTH or len(info.filename) > ZIP_MAX_NAME:
                raise BadInput(str(safefiles.too_deep(safefiles.MAX_DEPTH))
                               if depth > safefiles.MAX_DEPTH else i18n.keep({
                                   "en": f"the zip holds a path of {len(info.filename)} "
                                         f"characters (limit {ZIP_MAX_NAME})",
                                   "vi": f"tệp zip chứa một đường dẫn dài {len(info.filename)} "
                                         f"ký tự (giới hạn {ZIP_MAX_NAME})"}))
            target = (dest / info.filename).resolve()
            if not target.is_relative_to(dest.resolve()) or (info.external_attr >> 28) == 0o12:
                raise BadInput(i18n.keep({
                    "en": f"the zip entry {info.filename!r} points outside the submission",
                    "vi": f"mục {info.filename!r} trong tệp zip trỏ ra ngoài bài nộp"}))
        zf.extractall(dest)


def _zip_problem(exc: Exception) -> dict[str, str]:
    if isinstance(exc, UnicodeDecodeError):  # flagged UTF-8, but a member name is not
        return {"en": f"unusable zip: it marks a member's name as UTF-8, but byte "
                      f"0x{exc.object[exc.start]:02x} of it is not; zip the folder again",
                "vi": f"không dùng được tệp zip: nó ghi tên một mục là UTF-8, nhưng byte "
                      f"0x{exc.object[exc.start]:02x} trong đó thì không; hãy nén lại thư mục"}
    return {"en": f"unusable zip: {names.clean(str(exc))}",
            "vi": f"không dùng được tệp zip: {names.clean(str(exc))}"}


def discover(folder: Path, workdir: Path) -> list[Submission]:
    """Every entry of ``folder`` is a student: a folder, or a .zip unpacked into ``workdir``."""
    folder = Path(folder)
    if not folder.is_dir():
        raise NotFound(f"no submissions folder at {folder}")
    found = []
    entries = [e for e in sorted(folder.iterdir()) if not e.name.startswith(".")]
    ids = names.unique_ids([e.name for e in entries], key=lambda n: student_id(Path(n)))
    for entry, sid in zip(entries, ids):
        shown = names.clean(submission_name(entry))
        try:
            links = safefiles.links_in(entry)
        except safefiles.TreeRefused as exc:  # too deep or too large: this student only
            found.append(Submission(sid, entry, None, str(exc), shown))
            continue
        if links == ["."]:
            found.append(Submission(sid, entry, None, links_note([entry.name]), shown))
        elif safefiles.is_plain_dir(entry):
            found.append(Submission(sid, entry, find_topic_root(entry),
                                    links_note(links) if links else "", shown))
        elif entry.suffix.lower() == ".zip" and safefiles.is_plain_file(entry):
            dest = workdir / "unzipped" / sid
            safefiles.remove_tree(dest)
            dest.mkdir(parents=True)
            try:
                safe_extract(entry, dest)
                found.append(Submission(sid, entry, find_topic_root(dest), name=shown))
            except Exception as exc:  # noqa: BLE001 - any broken zip costs its student only
                found.append(Submission(sid, entry, None, i18n.keep(_zip_problem(exc)), shown))
    for sub in found:
        if sub.root is None and not sub.problem:
            sub.problem = i18n.keep({
                "en": "no topic folder (01_cnn, 02_training, ...) found in the submission",
                "vi": "không tìm thấy thư mục chủ đề nào (01_cnn, 02_training, ...) trong bài "
                      "nộp"})
    return found


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
