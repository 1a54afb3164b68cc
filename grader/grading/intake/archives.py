"""Unpack a handed-in archive safely (.zip, .tar, .tar.gz/.tgz, .tar.bz2, .tar.xz), and
name the archive formats the grader does not read (.rar, .7z, ...).

Each member is written by this module, never by ``extractall``: an absolute path, a ``..``
step, a link, a device or a FIFO is refused; so are archives past the caps on members,
bytes (counted while writing, whatever the header declares), path length and depth. A
zip member's name not flagged as UTF-8 is read as UTF-8 when it decodes (what most tools
write), else as the zip standard's code page 437; a tar member's undecodable bytes are
kept as they are. The caps are shared by nested archives through one ``Budget``.
"""

from __future__ import annotations

import os
import stat
import tarfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from grader.core import i18n
from grader.core.messages import Message, Note, note_text, said
from grader.core.errors import BadInput
from grader.grading import names
from grader.grading.box import safefiles

MAX_BYTES = 64 * 1024 * 1024  # unpacked, in one submission, nested archives included
MAX_MEMBERS = 2000
MAX_NAME = 1024  # characters in one member's path
MAX_NESTING = 3  # an archive in an archive in an archive
# A whole class's download handed to `grade` as one archive (Moodle's, Canvas's .zip).
CLASS_BYTES = 4 * 1024 * 1024 * 1024
CLASS_MEMBERS = 200_000

ZIP = (".zip",)
TAR = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tbz", ".tar.xz", ".txz")
# Formats students hand in that Python's standard library does not read.
UNSUPPORTED = (".rar", ".7z", ".zipx", ".gz", ".bz2", ".xz", ".zst", ".tar.zst", ".lz",
               ".lzma", ".z", ".arj", ".cab", ".ace", ".iso", ".dmg", ".sit", ".sitx")


@dataclass
class Budget:
    """What is left of one submission's caps (shared by its nested archives)."""

    bytes_left: int = MAX_BYTES
    members_left: int = MAX_MEMBERS


def suffix(name: str) -> str:
    """The archive suffix of ``name`` (".tar.gz", ".zip", ".rar"), or "" for none."""
    low = name.lower()
    for known in sorted(ZIP + TAR + UNSUPPORTED, key=len, reverse=True):
        if low.endswith(known) and len(low) > len(known):
            return known
    return ""


def readable(name: str) -> bool:
    return suffix(name) in ZIP + TAR


def stem(name: str) -> str:
    """``name`` without its archive suffix: "an.tar.gz" -> "an"."""
    found = suffix(name)
    return name[:-len(found)] if found else name


def unsupported_reason(name: str) -> Message:
    """Why an archive of this kind is not read."""
    return said("intake.unsupported", kind=suffix(name) or Path(name).suffix.lower())


def _refuse(en: str, vi: str) -> BadInput:
    return _refused({"en": en, "vi": vi})


def _refused(note: Note) -> BadInput:
    """The error an operator reads (the run's language), carrying its note as data."""
    exc = BadInput(note_text(note, i18n.current_lang()))
    exc.note = note
    return exc


def refusal(exc: BadInput) -> Note:
    """What a refused archive tells its student: the note it carries, else its text."""
    return getattr(exc, "note", None) or str(exc)


def member_parts(name: str) -> list[str]:
    """The path components of one member, or ``BadInput`` for a path that leaves the
    submission (absolute, a drive letter, ``..``), a NUL, or past the length and depth caps."""
    shown = names.shown(name)
    text = name.replace("\\", "/")
    parts = [p for p in text.split("/") if p not in ("", ".")]
    if text.startswith("/") or (len(text) > 1 and text[1] == ":") or ".." in parts \
            or "\x00" in text:
        raise _refuse(f"the archive entry {shown!r} points outside the submission",
                      f"mục {shown!r} trong tệp nén trỏ ra ngoài bài nộp")
    if len(parts) > safefiles.MAX_DEPTH:
        raise _refused(safefiles.too_deep(safefiles.MAX_DEPTH).note)
    if len(name) > MAX_NAME:
        raise _refuse(f"the archive holds a path of {len(name)} characters (limit {MAX_NAME})",
                      f"tệp nén chứa một đường dẫn dài {len(name)} ký tự (giới hạn {MAX_NAME})")
    if any(len(os.fsencode(p)) > 255 for p in parts):
        raise _refuse(f"the archive entry {shown!r} has a name too long for a disk",
                      f"mục {shown!r} trong tệp nén có tên quá dài cho ổ đĩa")
    return parts


def _zip_name(info: zipfile.ZipInfo) -> str:
    if info.flag_bits & 0x800:
        return info.filename
    raw = info.filename.encode("cp437")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return info.filename


def _count(budget: Budget, size: int = 0) -> None:
    budget.members_left -= 1
    if budget.members_left < 0:
        raise _refuse(f"the archive holds more than {MAX_MEMBERS} entries",
                      f"tệp nén chứa hơn {MAX_MEMBERS} mục")
    if size > budget.bytes_left:
        raise _too_big()


def _too_big() -> BadInput:
    return _refuse(f"the archive unpacks to more than {MAX_BYTES >> 20} MB",
                   f"tệp nén giải nén ra hơn {MAX_BYTES >> 20} MB")


def _write(src, target: Path, budget: Budget) -> None:
    """Copy a member's stream into a new file, counting bytes as they come."""
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    except OSError as exc:
        raise _refuse(f"the archive entry {names.shown(target.name)!r} cannot be written "
                      f"({exc.strerror}; a duplicate name?)",
                      f"không ghi được mục {names.shown(target.name)!r} của tệp nén "
                      f"({exc.strerror}; tên bị trùng?)") from None
    with os.fdopen(fd, "wb") as dst:
        while chunk := src.read(1 << 16):
            budget.bytes_left -= len(chunk)
            if budget.bytes_left < 0:
                raise _too_big()
            dst.write(chunk)


def _zip_time(info: zipfile.ZipInfo) -> float | None:
    try:
        return time.mktime((*info.date_time, 0, 0, -1))
    except (OverflowError, ValueError):
        return None


def _stamp(target: Path, mtime: float | None) -> None:
    """The member's own modification time (the rule for several entries of one student
    reads it, also in an LMS download the grader unpacked)."""
    if mtime is not None and 0 < mtime < 2**32:
        os.utime(target, (mtime, mtime), follow_symlinks=False)


def _place(dest: Path, parts: list[str], is_dir: bool) -> Path | None:
    """Create the member's folders under ``dest`` (never through a link); its file path."""
    folder = dest
    for part in parts[:-1] if not is_dir else parts:
        folder = folder / part
        if not safefiles.is_plain_dir(folder):
            try:
                folder.mkdir()
            except OSError as exc:
                raise _refuse(f"the archive's folder {names.shown(part)!r} cannot be made "
                              f"({exc.strerror})", f"không tạo được thư mục "
                              f"{names.shown(part)!r} của tệp nén ({exc.strerror})") from None
    return None if is_dir else folder / parts[-1]


def _link_refused(shown: str) -> BadInput:
    return _refuse(f"the archive entry {shown!r} is a link or special file, refused",
                   f"mục {shown!r} trong tệp nén là liên kết hoặc tệp đặc biệt, bị từ chối")


def _extract_zip(archive: Path, dest: Path, budget: Budget) -> None:
    with zipfile.ZipFile(archive) as zf:
        infos = zf.infolist()
        if len(infos) > budget.members_left:
            raise _refuse(f"the archive holds {len(infos)} entries (limit {MAX_MEMBERS})",
                          f"tệp nén chứa {len(infos)} mục (giới hạn {MAX_MEMBERS})")
        if sum(i.file_size for i in infos) > budget.bytes_left:
            raise _too_big()
        for info in infos:
            name = _zip_name(info)
            parts = member_parts(name)
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode) or (mode and stat.S_IFMT(mode) not in (0, stat.S_IFREG,
                                                                          stat.S_IFDIR)):
                raise _link_refused(names.shown(name))
            _count(budget)
            if not parts:
                continue
            target = _place(dest, parts, info.is_dir())
            if target is not None:
                with zf.open(info) as src:
                    _write(src, target, budget)
                _stamp(target, _zip_time(info))


def _extract_tar(archive: Path, dest: Path, budget: Budget) -> None:
    with tarfile.open(archive, mode="r:*", encoding="utf-8",
                      errors="surrogateescape") as tf:
        for member in tf:
            parts = member_parts(member.name)
            if not (member.isfile() or member.isdir()):
                raise _link_refused(names.shown(member.name))
            _count(budget, member.size if member.isfile() else 0)
            if not parts:
                continue
            target = _place(dest, parts, member.isdir())
            if target is not None:
                src = tf.extractfile(member)
                if src is not None:
                    with src:
                        _write(src, target, budget)
                    _stamp(target, member.mtime)


def extract(archive: Path, dest: Path, budget: Budget | None = None) -> None:
    """Unpack ``archive`` into the empty folder ``dest``; ``BadInput`` (kept bilingual) for
    anything refused or unreadable. A refused archive leaves ``dest`` empty."""
    budget = budget or Budget()
    kind = suffix(archive.name)
    try:
        if kind in ZIP:
            _extract_zip(archive, dest, budget)
        elif kind in TAR:
            _extract_tar(archive, dest, budget)
        else:
            raise _refused(unsupported_reason(archive.name))
    except BadInput:
        _empty(dest)
        raise
    except UnicodeDecodeError as exc:  # flagged UTF-8, but a member name is not
        _empty(dest)
        byte = f"0x{exc.object[exc.start]:02x}"
        raise _refuse(f"unusable {kind or 'archive'}: it marks a member's name as UTF-8, but "
                      f"byte {byte} of it is not; zip the folder again",
                      f"không dùng được tệp {kind or 'nén'}: nó ghi tên một mục là UTF-8, nhưng "
                      f"byte {byte} trong đó thì không; hãy nén lại thư mục") from None
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError, ValueError,
            NotImplementedError, RuntimeError) as exc:  # a broken or odd archive
        _empty(dest)
        raise _refuse(f"unusable {kind or 'archive'}: {names.clean(str(exc))}",
                      f"không dùng được tệp {kind or 'nén'}: {names.clean(str(exc))}") from None


def _empty(dest: Path) -> None:
    for child in list(dest.iterdir()) if safefiles.is_plain_dir(dest) else []:
        if safefiles.is_plain_dir(child):
            safefiles.remove_tree(child)
        else:
            child.unlink()


def inner_archives(folder: Path, depth: int = 3, limit: int = 8) -> list[Path]:
    """Readable archives under ``folder`` (``depth`` levels, hidden and ``__`` folders
    skipped, no link followed), newest first, at most ``limit``."""
    found, queue = [], [folder]
    for _ in range(depth):
        nxt = []
        for cand in queue:
            try:
                entries = sorted(cand.iterdir())
            except OSError:
                continue
            for p in entries:
                if p.name.startswith((".", "__")):
                    continue
                if safefiles.is_plain_dir(p):
                    nxt.append(p)
                elif readable(p.name) and safefiles.is_plain_file(p):
                    found.append(p)
        queue = nxt
    found.sort(key=lambda p: (-os.lstat(p).st_mtime, p.name))
    return found[:limit]
