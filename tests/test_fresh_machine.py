"""A newcomer's machine: no data, no mirror, offline. The README's commands still work.

The demo grades what can be graded (alice: full marks on it), names the topics and
exercises it skipped and how to fetch their data; the data-needing tests are skipped
with one line each; plain grading stops before anyone is graded; CI still fails.
"""

import json
import os
import subprocess
import sys

import pytest

from grader.core import manifest, paths

pytestmark = pytest.mark.slow


@pytest.fixture
def bare_env(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "mirror").mkdir()
    env = {**os.environ, "CNNKIT_DATA": str(tmp_path / "data"),
           "CNNKIT_MIRROR": str(tmp_path / "mirror"), "CNNKIT_OFFLINE": "1",
           "MPLBACKEND": "Agg", "CNNKIT_LANG": "en"}
    env.pop("CI", None)
    return env


def run(cmd, env, timeout=900):
    proc = subprocess.run(cmd, cwd=paths.KIT_ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)
    return proc.returncode, proc.stdout + proc.stderr


def test_demo_grades_what_it_can_and_names_what_it_skipped(bare_env, tmp_path):
    out = tmp_path / "gradebook"
    code, text = run(["./kit", "demo", "--out", str(out)], bare_env)
    assert code == 0, text[-3000:]
    assert "03_transfer: whole topic skipped - missing cifar10-jpg (./kit data fetch " \
           "cifar10-jpg), mobilenet_v2-weights" in text, text[-3000:]
    assert "02_training: not graded: datamodule, lightning_model, train, overfitting - " \
           "missing mnist (./kit data fetch mnist)" in text, text[-3000:]
    topics = manifest.load_all()
    without_data = sum(e.points for t in topics for e in t.exercises if not e.data)
    alice = json.loads((out / "students" / "alice" / "results.json").read_text())
    assert alice["score"] == alice["max_score"] == without_data, alice["output"]
    trainings = {f"{t.name}/training_{s.name}" for t in topics for s in t.graded_trainings}
    assert set(alice["cnnkit"]["not_graded"]) == {  # the demo grades training too
        f"{t.name}/{e.name}" for t in topics for e in t.exercises if e.data} | trainings
    assert all(not name.startswith("03_transfer") for name in alice["cnnkit"]["exercises"])
    gradebook = (out / "gradebook.csv").read_text()
    assert gradebook.count("not graded") >= 3 * len(alice["cnnkit"]["not_graded"])
    assert "this is not a zero" in (out / "students" / "bao" / "feedback.md").read_text()


def test_grading_without_the_flag_stops_before_anyone(bare_env, tmp_path):
    code, text = run([sys.executable, "-m", "grader", "grade", "samples/submissions",
                      "--out", str(tmp_path / "out"), "--topics", "02_training"], bare_env)
    assert code == 2, text[-2000:]
    assert "nobody was graded" in text and "./kit data fetch mnist" in text
    assert not (tmp_path / "out" / "students").exists()


DATA_TESTS = ["solutions/02_training/test_datamodule.py",
              "solutions/02_training/test_lightning_model.py",
              "solutions/02_training/test_train.py",
              "solutions/03_transfer/test_datamodule.py", "solutions/03_transfer/test_train.py",
              "solutions/03_transfer/test_transfer.py"]


def test_data_tests_skip_with_one_line_each_and_the_rest_pass(bare_env):
    code, text = run([sys.executable, "-m", "pytest", *DATA_TESTS, "--target=solutions",
                      "-p", "no:cacheprovider"], bare_env)
    assert code == 0, text[-3000:]
    assert " passed" in text and " skipped" in text and "failed" not in text, text[-3000:]
    for name in ("mnist", "cifar10-jpg", "mobilenet_v2-weights"):
        lines = [ln for ln in text.splitlines() if ln.endswith(f"./kit data fetch {name}")]
        assert len(lines) == 1 and "skipped - not on this machine" in lines[0], text[-3000:]


def test_the_kits_own_data_tests_skip_cleanly(bare_env):
    # (02_training's mutants are left out: most need no data, so they would all run again)
    code, text = run([sys.executable, "-m", "pytest", "tests/test_mutants_03_transfer.py",
                      "tests/test_graded_training.py", "tests/test_graded_grading.py",
                      "tests/test_data.py", "--all", "-q", "-rs"], bare_env)
    assert code == 0 and "failed" not in text, text[-3000:]
    assert "./kit data fetch mnist" in text and "./kit data fetch cifar10-jpg" in text


def test_on_ci_missing_data_still_fails(bare_env):
    code, text = run([sys.executable, "-m", "pytest", "solutions/02_training/test_train.py",
                      "--target=solutions", "-p", "no:cacheprovider", "-q"],
                     {**bare_env, "CI": "true"})
    # every test that needs MNIST fails (none is skipped), each naming the missing data
    assert code == 1 and " failed" in text and "skipped" not in text, text[-3000:]
    assert "DataMissing" in text, text[-3000:]
