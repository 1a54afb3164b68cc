"""What a worker is built from: one frozen ``WorkerSpec``, and the environment it starts in.

A worker's box folder, topic, limits, host uid, extra environment, GPU, covers, log and
the warm box it may be forked in are fixed when it is described; ``WorkerClient`` is built
whole from that description, and nothing outside sets them later.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from grader.core import i18n, paths
from grader.core.limits import Limits


@dataclass(frozen=True)
class WorkerSpec:
    box: Path  # the box folder; the worker sees it read-only at the same path
    topic: str
    limits: Limits
    host_uid: int
    boxed: bool = True  # False: the kit's own tests of the protocol, without a box
    env: tuple[tuple[str, str], ...] = ()  # beside ``worker_env``: a GPU lease's devices
    gpu: bool = False  # bind the GPU device nodes into the box (a GPU training lease)
    cover: tuple[tuple[str, str], ...] = ()  # binds laid over the data (hidden test images)
    log: str | None = None  # a file for the worker's output (default: inherited)
    template: object = None  # the student's warm box (``warm_box.TemplateLink``), if any

    @property
    def topic_dir_inside(self) -> str:
        return str(self.box / "submission" / self.topic)

    @property
    def forkable(self) -> bool:
        """A plain worker may be forked in the warm box; one with its own environment,
        GPU or covers needs a box of its own."""
        return self.template is not None and self.boxed and not (
            self.env or self.gpu or self.cover)


def worker_env() -> dict[str, str]:
    """The whole environment of a worker (and of a trusted run): nothing of the grader's
    but the language, the time zone, CUDA's libraries and the data folders."""
    keep = ("LANG", "LC_ALL", "TZ", "LD_LIBRARY_PATH")  # CUDA's libraries
    env = {k: os.environ[k] for k in keep if k in os.environ}
    # What a worker says (a file that does not import, ...) reaches a trusted run, which
    # keeps every message in every language: the worker keeps them too.
    env["CNNKIT_LANG"] = i18n.BOTH
    env.update(CNNKIT_DATA=str(paths.data_root().resolve()),
               CNNKIT_MIRROR=str(paths.shared_mirror().resolve()))
    torch_home = "/tmp/torch"
    for root in (paths.data_root(), paths.shared_mirror()):  # pretrained weights, read-only
        if (root / "torch" / "hub" / "checkpoints").is_dir():
            torch_home = str((root / "torch").resolve())
            break
    env.update(PATH="/usr/local/bin:/usr/bin:/bin", HOME="/tmp", TMPDIR="/tmp", USER="nobody",
               MPLBACKEND="Agg", CNNKIT_OFFLINE="1", PYTHONDONTWRITEBYTECODE="1",
               PYTHONHASHSEED="0", OMP_NUM_THREADS="1", MPLCONFIGDIR="/tmp/matplotlib",
               TORCH_HOME=torch_home, HYPOTHESIS_STORAGE_DIRECTORY="/tmp/hypothesis")
    return env
