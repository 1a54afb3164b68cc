"""Reading a submission without following links or blocking on special files.

Submissions are walked with ``lstat`` and read with ``O_NOFOLLOW``: a symbolic
link (to ``solutions/``, say) is never followed, and a FIFO or device file is
never opened for reading.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

MAX_FILE_BYTES = 16 * 1024 * 1024


class UnsafeFile(OSError):
    """Not a plain file (a link, a FIFO, a device, too large)."""


def links_in(folder: Path) -> list[str]:
    """Every symbolic link under ``folder`` (itself included), relative, without following any."""
    folder = Path(folder)
    if stat.S_ISLNK(os.lstat(folder).st_mode):
        return ["."]
    found = []
    for root, dirs, files in os.walk(folder, followlinks=False):
        for name in dirs + files:
            path = Path(root) / name
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
