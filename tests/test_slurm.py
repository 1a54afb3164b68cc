"""Grading through a real single-node Slurm: the same gradebook and results as the local
backend; a killed array task fails alone, with Slurm's reason, and is graded again alone."""

import csv
import io
import json
import os
import shutil
import subprocess
import threading
import time

import pytest

from grader.core import paths
from grader.grading import slurm
from grader.grading import pipeline

from support import slurm_cluster

pytestmark = pytest.mark.slow
SAMPLES = paths.KIT_ROOT / "samples" / "submissions"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    root = tmp_path_factory.mktemp("slurm")
    try:
        env = slurm_cluster.start(root)
    except slurm_cluster.Unavailable as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but Slurm could not be started: {exc}")
        pytest.skip(f"no Slurm here: {exc}")
    old = os.environ.get("SLURM_CONF")
    os.environ.update(env)
    yield env
    slurm_cluster.stop(root)
    if old is None:
        os.environ.pop("SLURM_CONF", None)
    else:
        os.environ["SLURM_CONF"] = old


def _without_drawn_example(test):
    """Hypothesis draws fresh examples on every grading run (so none can be precomputed):
    the example a failing test names differs between two runs, its verdict does not."""
    def cut(output: str) -> str:
        cuts = [i for i in (output.find(m) for m in ("Failing test case", "Falsifying example"))
                if i >= 0]
        return output[:min(cuts)] if cuts else output

    both = test.get("output_i18n")
    return {**test, "output": cut(test.get("output", "")),
            **({"output_i18n": {k: cut(v) for k, v in both.items()}} if both else {})}


def _without_runs(gradebook) -> list[dict]:
    """The gradebook's rows less the columns that name each topic's run (ids differ)."""
    rows = csv.DictReader(io.StringIO(gradebook.read_text()))
    return [{k: v for k, v in row.items() if not k.endswith(" run")} for row in rows]


def _comparable(result):
    """All but the run time, the seal over it (a MAC that covers the time too), which run
    graded each topic (an id and date per run) and the examples hypothesis drew."""
    kit = {k: v for k, v in result["cnnkit"].items() if k != "mac"}
    kit["topics"] = {t: {k: v for k, v in entry.items() if k not in ("run", "date")}
                     for t, entry in (kit.get("topics") or {}).items()}
    tests = [_without_drawn_example(t) for t in result.get("tests", [])]
    return {**{k: v for k, v in result.items() if k != "execution_time"}, "cnnkit": kit,
            "tests": tests}


def test_slurm_and_local_backends_agree(cluster, tmp_path, data_mirror):
    subs = tmp_path / "subs"  # the complete sample and the broken one
    subs.mkdir()
    shutil.copy(SAMPLES / "alice.zip", subs / "alice.zip")
    shutil.copytree(SAMPLES / "chi", subs / "chi")
    local = pipeline.grade_class(subs, tmp_path / "local", jobs=2)
    remote = slurm.grade_class(subs, tmp_path / "slurm", poll_s=1)
    assert _without_runs(tmp_path / "slurm" / "gradebook.csv") == \
        _without_runs(tmp_path / "local" / "gradebook.csv")
    assert set(remote) == set(local) == {"alice", "chi"}
    for student in local:
        saved = json.loads((tmp_path / "slurm" / "students" / student / "results.json")
                           .read_text())
        assert _comparable(saved) == _comparable(local[student]), student
    assert local["alice"]["score"] == local["alice"]["max_score"]


def test_a_killed_task_fails_alone_and_is_graded_again_alone(cluster, tmp_path):
    subs = tmp_path / "subs"
    for name in ("ana", "binh", "cuong"):
        shutil.copytree(paths.solutions_dir() / "01_cnn", subs / name / "01_cnn",
                        ignore=shutil.ignore_patterns("test_*", "__pycache__"))
    out = tmp_path / "out"
    job = {}

    def cancel_task_1():  # the second student's task, while it waits its turn
        deadline = time.monotonic() + 600  # ends as soon as the job shows
        while time.monotonic() < deadline and "id" not in job:
            ids = subprocess.run(["squeue", "-h", "-o", "%F", "-n", "cnnkit-grade"],
                                 capture_output=True, text=True).stdout.split()
            if ids:
                job["id"] = ids[0]
                subprocess.run(["scancel", f"{ids[0]}_1"], check=True)
            time.sleep(0.3)

    killer = threading.Thread(target=cancel_task_1)
    killer.start()
    first = slurm.grade_class(subs, out, topics=["01_cnn"], array_parallelism=1, poll_s=1)
    killer.join()
    assert "id" in job, "the array job never showed in squeue"
    assert first["binh"]["score"] == 0 and "CANCELLED" in first["binh"]["output"]
    feedback = (out / "students" / "binh" / "feedback.md").read_text()
    assert "Grading did not finish: the task was cancelled (CANCELLED)" in feedback
    assert first["ana"]["score"] == first["cuong"]["score"] == first["ana"]["max_score"]

    again = slurm.grade_class(subs, out, topics=["01_cnn"], poll_s=1)
    plans = sorted((out / ".slurm").glob("plan-*.json"))
    assert len(plans) == 2
    second = json.loads(plans[-1].read_text())
    assert [s["student"] for s in second["students"]] == ["binh"], "only binh is graded again"
    assert again["binh"]["score"] == again["binh"]["max_score"]
    assert again["ana"] == first["ana"]
