"""A warm box per job, with a worker template inside (``template.py``).

``WarmBox``: bwrap with the same limits as any worker's box, binding only its stage
folder, where each topic's trusted run lays out the files its worker may read. The topic
runs' workers are forked from the template instead of each starting Python and PyTorch
in a box of its own; after each run the box is swept (``sweep``) and checked clean. The
trusted runs reach the template through ``TemplateLink`` on a socket they inherit.

``WarmBoxes``: a class run keeps one warm box per box uid (per parallel job) and hands it
from one student to the next only after a sweep found it clean and the stage folder was
emptied, so each student starts as in a fresh box without paying the imports again.

Whatever goes wrong with the template (it cannot start, it died, it answers nonsense, a
sweep was not clean), the box is not used again: the next worker starts cold in a fresh
box, as before, and the next student gets a new warm box.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import threading
from pathlib import Path

from grader.core.limits import Limits
from grader.grading.box import bubblewrap as boxes
from grader.grading.box import safefiles
from grader.grading.worker import fork_server
from grader.grading.worker.spec import worker_env



class TemplateLink(fork_server.Link):
    """The link to a warm box's template (``fork_server.Link``) with its ``fork``."""

    def fork(self, topic_dir: str, request_fd: int, reply_fd: int, output_fd: int):
        """A new worker for ``topic_dir`` on these pipes: a ``ForkedChild``, or None."""
        return super().fork({"topic_dir": topic_dir}, [request_fd, reply_fd, output_fd])


class WarmBox:
    """A box and its template; ``stage`` is the folder it sees (read-only, at the same
    path): a new one of its own, removed on ``close``, when none is given."""

    def __init__(self, stage: Path | None, limits: Limits, host_uid: int):
        self.owns_stage = stage is None
        stage = Path(tempfile.mkdtemp(prefix="cnnkit-student-")) if stage is None else stage
        self.stage, self.host_uid = stage, host_uid
        boxes.prepare_folder(stage)
        argv = [boxes.python(), "-I", "-m", "grader.grading.worker.template"]
        try:
            # the socket's fd number is known only once it exists: bwrap's argv ends with it
            cmd, staged = boxes.command(stage, argv, limits, inside=str(stage),
                                        caps=("CAP_SYS_ADMIN", "CAP_SETPCAP"))
            self.proc, link = fork_server.spawn(
                cmd, env=worker_env(), preexec_fn=boxes.preexec(limits, host_uid, staged))
        except BaseException:
            if self.owns_stage:
                shutil.rmtree(stage, ignore_errors=True)
            raise
        self.sock = link.sock
        self.link = TemplateLink(link.sock)

    @property
    def fd(self) -> int:
        """The socket a trusted run inherits to ask for workers."""
        return self.sock.fileno()

    def usable(self) -> bool:
        return not self.link.broken and self.proc.poll() is None

    def sweep(self) -> bool:
        """After a run: no process of it is left, scratch is empty, no IPC object or key
        is left. A box that cannot be swept clean is not used again."""
        if not self.usable():
            return False
        answer = self.link.request({"op": "sweep"}, timeout=60)
        if not (answer and answer.get("clean") is True):
            self.link.broken = True
        return not self.link.broken

    def clear_for_next_student(self) -> bool:
        """Swept, and the stage folder holds nothing a run laid there: only then may the
        next student of this job use the box."""
        if not self.sweep():
            return False
        keep = {".passwd", ".group"}  # the box's /etc/passwd and /etc/group
        for entry in self.stage.iterdir():
            if entry.name not in keep:
                safefiles.remove_tree(entry)
        return {e.name for e in self.stage.iterdir()} <= keep

    def close(self) -> None:
        self.link.broken = True
        boxes.kill(self.proc)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:  # pragma: no cover
            pass
        self.sock.close()
        if self.owns_stage:
            safefiles.remove_tree(self.stage)


class WarmBoxes:
    """A class run's warm boxes, one per box uid; each serves one student at a time."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.idle: dict[int, WarmBox] = {}
        self.lock = threading.Lock()

    def take(self, host_uid: int) -> WarmBox | None:
        """The uid's box, cleared after its last student, or a new one (None when it
        cannot start: the workers start cold)."""
        with self.lock:
            warm = self.idle.pop(host_uid, None)
        if warm is not None and warm.usable():
            return warm
        if warm is not None:
            warm.close()
        try:
            return WarmBox(None, self.limits, host_uid)
        except OSError:  # the machine's problem: the workers start cold instead
            return None

    def give_back(self, warm: WarmBox) -> None:
        """After a student: kept for the next one only when cleared."""
        try:
            cleared = warm.clear_for_next_student()
        except OSError:
            cleared = False
        if not cleared:
            warm.close()
            return
        with self.lock:
            self.idle[warm.host_uid] = warm

    def close(self) -> None:
        with self.lock:
            boxes_left, self.idle = list(self.idle.values()), {}
        for warm in boxes_left:
            warm.close()


def link_from_fd(fd: int | None) -> TemplateLink | None:
    """The link a trusted run inherited (``--cnnkit-template-fd``), if any."""
    if fd is None:
        return None
    try:
        return TemplateLink(socket.socket(fileno=fd))
    except OSError:
        return None
