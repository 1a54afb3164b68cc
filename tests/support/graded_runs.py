"""One graded training run of a sample submission whose train.py a test replaces, as
`cnnkit grade --train quick` would run it: in the box, on the held-out images."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from grader.core import manifest, paths
from grader.core.limits import DEFAULTS
from grader.grading.box import bubblewrap as box
from grader.grading.box import uids as box_uids
from grader.grading.training import graded_run
from support.data_needs import skip_unless_available

SAMPLES = paths.KIT_ROOT / "samples" / "submissions"
TOPIC = "02_training"


def sample_topic(tmp_path: Path, sample: str = "alice", topic: str = TOPIC) -> Path:
    """``sample``'s folder of ``topic``, unpacked under ``tmp_path``."""
    with zipfile.ZipFile(SAMPLES / f"{sample}.zip") as zf:
        zf.extractall(tmp_path / sample)
    return tmp_path / sample / "exercises" / topic


def mnist_spec() -> manifest.GradedTraining:
    return manifest.load_topic(TOPIC).training("mnist")


def graded_with(tmp_path: Path, train_source: str, spec=None, plan=None):
    """alice's topic 02 with ``train_source`` as its train.py, graded by one run (skipped
    where MNIST or the box is missing)."""
    skip_unless_available("mnist")
    reason = box.available(DEFAULTS)
    if reason:
        pytest.skip(reason)
    topic_dir = sample_topic(tmp_path)
    (topic_dir / "train.py").write_text(train_source)
    with box_uids.leased_uid(DEFAULTS) as uid:  # never a uid another test's box holds
        return graded_run.run_one(TOPIC, spec or mnist_spec(), topic_dir,
                                      plan or graded_run.plan("quick"), DEFAULTS, uid)
