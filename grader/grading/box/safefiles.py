"""Reading a submission without following links or blocking on special files.

Submissions are walked with ``lstat`` and read with ``O_NOFOLLOW``: a symbolic
link (to ``solutions/``, say) is never followed, and a FIFO or device file is
never opened for reading. Walks and removals are iterative and bounded (depth and
entry count), so a folder nested a thousand levels deep is refused, never a
``RecursionError`` that stops the class.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from grader.core import i18n
from grader.core.messages import Message, render, said

MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_DEPTH = 32  # folders inside a submission; homework needs four or five
MAX_ENTRIES = 50_000  # files and folders in one submission (a stray .venv fits)


class UnsafeFile(OSError):
    """Not a plain file (a link, a FIFO, a device, too large)."""


class TreeRefused(ValueError):
    """A submission's folder tree too deep, too large or unreadable: ``note`` says why and
    names the limit (core.messages); its text is that, in the run's language."""

    def __init__(self, note: Message):
        super().__init__(render(note, i18n.current_lang()))
        self.note = note


def too_deep(depth: int) -> TreeRefused:
    return TreeRefused(said("box.too_deep", depth=depth, limit=MAX_DEPTH))


def walk(folder: Path, max_depth: int = MAX_DEPTH, max_entries: int = MAX_ENTRIES):
    """Every path under ``folder`` (not itself), parents before children, without following
    a link; ``TreeRefused`` past ``max_depth`` levels or ``max_entries`` entries."""
    stack = [(Path(folder), 1)]
    seen = 0
    while stack:
        current, depth = stack.pop()
        try:
            with os.scandir(current) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            raise TreeRefused(said("box.unreadable_folder", error=str(exc.strerror))) from None
        for entry in entries:
            seen += 1
            if seen > max_entries:
                raise TreeRefused(said("box.too_many_entries", limit=max_entries))
            path = Path(entry.path)
            yield path
            if entry.is_dir(follow_symlinks=False):
                if depth >= max_depth:
                    raise too_deep(max_depth)
                stack.append((path, depth + 1))


def remove_tree(folder: Path) -> None:
    """Remove ``folder`` and everything in it, however deep, never following a link."""
    folder = Path(folder)
    try:
        if not stat.S_ISDIR(os.lstat(folder).st_mode):
            folder.unlink()
            return
    except FileNotFoundError:
        return
    stack, folders = [folder], []
    while stack:
        current = stack.pop()
        folders.append(current)
        with os.scandir(current) as it:
            for entry in list(it):
                if entry.is_dir(follow_symlinks=False):
                    stack.append(Path(entry.path))
                else:
                    os.unlink(entry.path)
    for current in reversed(folders):
        os.rmdir(current)


def links_in(folder: Path) -> list[str]:
    """Every symbolic link under ``folder`` (itself included), relative, without following
    any. ``TreeRefused`` for a tree past the limits of ``walk``."""
    folder = Path(folder)
    if stat.S_ISLNK(os.lstat(folder).st_mode):
        return ["."]
    found = []
    if not stat.S_ISDIR(os.lstat(folder).st_mode):
        return found
    for path in walk(folder):
        if stat.S_ISLNK(os.lstat(path).st_mode):
            found.append(path.relative_to(folder).as_posix())
    return sorted(found)


def is_plain_dir(path: Path) -> bool:
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def is_plain_file(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def read_bytes(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file; ``UnsafeFile`` for a link, FIFO, device or huge file."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise UnsafeFile(f"{path}: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UnsafeFile(f"{path}: not a regular file")
        if info.st_size > limit:
            raise UnsafeFile(f"{path}: larger than {limit >> 20} MB")
        return fh.read(limit + 1)[:limit]


def copy_file(src: Path, dest: Path) -> None:
    """Copy a regular file's bytes (no link followed, no metadata) to a new file."""
    data = read_bytes(src)
    fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
