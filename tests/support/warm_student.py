"""A student's warm box for the tests, and a worker forked there on a params.py of
their own: what tests/test_warm_box.py and tests/test_fresh_worker.py share."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from pathlib import Path

from grader.core.limits import Limits
from grader.grading.box import uids as box_uids
from grader.grading.worker.client import WorkerClient
from grader.grading.worker.session import stage_box
from grader.grading.worker.spec import WorkerSpec
from grader.grading.worker.warm_box import WarmBox


@contextlib.contextmanager
def warm_student(limits: Limits):
    """``(warm box, its host uid)`` on a stage folder of its own, closed afterwards."""
    stage = Path(tempfile.mkdtemp(prefix="cnnkit-student-"))
    try:
        with box_uids.leased_uid(limits) as uid:
            warm = WarmBox(stage, limits, uid)
            try:
                yield warm, uid
            finally:
                warm.close()
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def client_on(warm: WarmBox, uid: int, code: str, tmp_path: Path,
              limits: Limits) -> WorkerClient:
    """A worker of ``warm`` on a topic folder whose params.py is ``code``."""
    source = tmp_path / f"src{len(list(tmp_path.iterdir()))}"
    source.mkdir()
    (source / "params.py").write_text(code)
    folder = stage_box("01_cnn", source, parent=warm.stage)
    return WorkerClient(WorkerSpec(folder, "01_cnn", limits, uid, template=warm.link))
