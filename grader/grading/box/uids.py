"""The host uids boxes run as: one locked uid per box on a node, so process caps
count per box, whatever grader, job or Slurm task started it."""

from __future__ import annotations

import os
import queue
import tempfile
from pathlib import Path

from grader.core.i18n import msg
from grader.core.errors import CnnkitError
from grader.core.limits import Limits


class BoxUnavailable(CnnkitError):
    """bubblewrap is missing or cannot create its namespaces here."""

UID_SPAN = 512  # host uids a node's boxes may use: box_uid, box_uid - 1, ...

def _lock_dir() -> Path:
    """A node-wide folder for the uid locks (every grader and Slurm task on the node)."""
    for folder in (Path("/run/lock/cnnkit-uids"), Path(tempfile.gettempdir()) / "cnnkit-uids"):
        try:
            folder.mkdir(mode=0o755, parents=True, exist_ok=True)
            if os.access(folder, os.W_OK):
                return folder
        except OSError:
            continue
    raise BoxUnavailable(msg("no writable folder for the box uid locks",
                             "không có thư mục ghi được cho các khóa uid của hộp"))

def lease_uid(limits: Limits, wait_s: float = 600) -> tuple[int, int]:
    """An unprivileged host uid no other box on this node holds (its lock's fd comes with
    it): process caps count per uid, so two boxes must never share one, whatever grader,
    job or Slurm task started them."""
    import fcntl
    import time

    folder, end = _lock_dir(), time.monotonic() + wait_s
    while True:
        for uid in range(limits.box_uid, limits.box_uid - UID_SPAN, -1):
            fd = os.open(folder / str(uid), os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return uid, fd
            except BlockingIOError:
                os.close(fd)
        if time.monotonic() > end:
            raise BoxUnavailable(msg(f"all {UID_SPAN} box uids of this node are in use",
                                     f"cả {UID_SPAN} uid hộp của node này đều đang được dùng"))
        time.sleep(1)

class UidPool(queue.Queue):
    """One locked host uid per parallel job, so process counts are per box; the locks
    are held while the pool lives (until this process ends)."""

    def __init__(self, limits: Limits, jobs: int):
        super().__init__()
        self.fds = []
        for _ in range(max(1, jobs)):
            uid, fd = lease_uid(limits)
            self.fds.append(fd)
            self.put(uid)

    def close(self) -> None:
        for fd in self.fds:
            os.close(fd)
        self.fds = []

def host_uids(limits: Limits, jobs: int) -> UidPool:
    return UidPool(limits, jobs)

class leased_uid:  # noqa: N801 - used as ``with box.leased_uid(limits) as uid``
    """One locked host uid for the span of a ``with`` block."""

    def __init__(self, limits: Limits):
        self.limits = limits

    def __enter__(self) -> int:
        self.uid, self.fd = lease_uid(self.limits)
        return self.uid

    def __exit__(self, *exc) -> None:
        os.close(self.fd)
