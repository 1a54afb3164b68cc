"""Graded training in `cnnkit grade`: the student's run trains in a boxed worker and hands
back its weights; the grader evaluates them in the lecture's network on its own held-out
images; what the run reports earns nothing."""

import json
import shutil
import threading

import pytest

from grader.core import manifest
from grader.core.scoring import training_points
from grader.core.limits import DEFAULTS
from grader.core.results import Outcome
from grader.grading import report
from grader.grading.box import bubblewrap as box
from grader.grading.box import uids as box_uids
from grader.grading.training import graded_run
from grader.grading import score as scoring
from support.data_needs import skip_unless_available
from support.graded_runs import TOPIC, graded_with, mnist_spec, sample_topic


FORGER = '''
"""Reports a perfect run without training, and hands back untrained weights."""
import torch

from .cnn import PyTorchCNN


def train_mnist(out_dir=None, **kwargs):
    return {"test_acc": 1.0, "val_acc": 1.0, "profile": kwargs.get("profile"),
            "weights": PyTorchCNN(10).state_dict()}
'''


LOOKUP = '''
"""Trains nothing: reports how many public test images the box can read."""
from torchvision import datasets

from grader.lab.data import locate


def train_mnist(out_dir=None, **kwargs):
    test = datasets.MNIST(str(locate("mnist")), train=False, download=False)
    return {"test_acc": float(len(test.data))}
'''


@pytest.fixture
def boxed():
    reason = box.available(DEFAULTS)
    if reason:
        pytest.skip(reason)


def test_reported_perfect_accuracy_without_training_earns_nothing(tmp_path):
    done = graded_with(tmp_path, FORGER)
    assert done.record["reported"]["test_acc"] == 1.0  # shown ...
    assert done.score.score == 0.0 and done.record["points"] == 0.0  # ... never scored
    assert done.record["accuracy"] < 0.2, done.record
    assert "floor" in done.record["reason"]["en"] and "mức sàn" in done.record["reason"]["vi"]


def test_the_box_reads_only_the_public_rest_of_the_test_set(tmp_path):
    """The held-out images are not in the box: the test set it reads is the rest."""
    plan = graded_run.plan("quick")
    done = graded_with(tmp_path, LOOKUP, plan=plan)
    held = plan.heldout("mnist")
    assert done.record["reported"]["test_acc"] == 10000 - len(held)  # it saw the rest only
    assert done.record["accuracy"] is None and done.score.score == 0.0  # no weights
    assert "NoneType, not a state dict" in done.record["reason"]["en"], done.record["reason"]


FORGED_FACTS = '''
"""Replaces the kit's probe in its own process: the grader must not trust what comes back."""
import torch

from grader.testkit import probes


def train_mnist(**kwargs):
    return {}


def _forged(module, function, kwargs):
    return {"result": {"test_acc": torch.ones(3), "device": "x" * 10_000, "weights": [1, 2],
                       "curves_png_bytes": b"not a png"}}


probes.training_run = _forged
'''


def test_a_forged_probe_answer_is_scored_zero_and_saved_as_plain_data(tmp_path):
    done = graded_with(tmp_path, FORGED_FACTS)
    assert done.score.score == 0.0 and done.record["accuracy"] is None
    assert done.curves_png == b""
    assert done.record["reported"] == {"device": "x" * 80}
    assert "not a state dict" in done.record["reason"]["en"], done.record["reason"]
    json.dumps(done.record)  # results.json can hold it


def test_weights_that_do_not_fit_the_lecture_network_earn_nothing_with_the_reason(
        tmp_path):
    done = graded_with(tmp_path, FORGER.replace("PyTorchCNN(10).state_dict()",
                                                "{'w': torch.zeros(3)}"))
    assert done.score.score == 0.0 and done.record["accuracy"] is None
    assert "lecture's network" in done.record["reason"]["en"], done.record["reason"]
    assert "mạng của bài giảng" in done.record["reason"]["vi"]


def test_the_import_and_the_run_share_one_time_budget(tmp_path):
    """4 s at import and 4 s in the call: each fits a budget of 6 s, both together do not."""
    import dataclasses

    spec = dataclasses.replace(mnist_spec(), budget_s={"quick": 6, "full": 6})
    done = graded_with(tmp_path, "import time\ntime.sleep(4)\n" + FORGER.replace(
        "    return {", "    time.sleep(4)\n    return {"), spec=spec)
    assert done.score.score == 0.0
    assert "time budget of 6 s" in done.record["reason"]["en"], done.record["reason"]
    assert "6 giây" in done.record["reason"]["vi"]


def test_two_fake_gpus_take_two_runs_at_once_judged_by_gpu_thresholds(tmp_path, boxed,
                                                                        monkeypatch):
    skip_unless_available("mnist")
    monkeypatch.setenv("CNNKIT_FAKE_GPUS", "2")
    plan = graded_run.plan("auto")
    assert (plan.profile, plan.kind) == ("full", "gpu")
    dirs = []
    for name in ("a", "b"):
        topic_dir = sample_topic(tmp_path / name, "alice")
        (topic_dir / "train.py").write_text(FORGER.replace(
            "import torch\n", "import time\nimport torch\n").replace(
            "    return {", "    time.sleep(4)\n    return {"))
        dirs.append(topic_dir)
    done = []
    def grade(folder):
        with box_uids.leased_uid(DEFAULTS) as uid:
            done.append(graded_run.run_one(TOPIC, mnist_spec(), folder, plan, DEFAULTS, uid))

    threads = [threading.Thread(target=grade, args=(d,)) for d in dirs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(d.record["device"] for d in done) == ["GPU 0", "GPU 1"]
    assert plan.queue.peak["gpu"] == 2  # both held at once
    assert all(d.record["threshold"] == mnist_spec().threshold_for("full", "gpu") for d in done)


@pytest.mark.slow
def test_alice_keeps_the_training_points_and_dung_loses_them(tmp_path, boxed):
    """The sample dung trains with a learning rate of 1e-5; alice is the reference. Both
    quick runs share the machine's CPU slots, as in `grade -j 2 --train quick`."""
    skip_unless_available("mnist")
    plan = graded_run.plan("quick")
    done = {}

    def grade(name):
        with box_uids.leased_uid(DEFAULTS) as uid:
            done[name] = graded_run.run_one(TOPIC, mnist_spec(), sample_topic(tmp_path, name),
                                                plan, DEFAULTS, uid)

    threads = [threading.Thread(target=grade, args=(n,)) for n in ("alice", "dung")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    alice, dung = done["alice"].record, done["dung"].record
    print(f"\nquick MNIST through the grader: alice {alice['accuracy']} in "
          f"{alice['train_seconds']} s, dung {dung['accuracy']} in {dung['train_seconds']} s")
    assert alice["points"] == alice["max_points"] == mnist_spec().points, alice
    assert alice["accuracy"] >= alice["threshold"]
    assert dung["points"] == 0.0 and dung["accuracy"] <= dung["floor"], dung
    # both trained on this run's secret labels; neither is taken for weights fitted before
    assert alice["secret_labels"] and not alice["not_trained_here"], alice
    assert alice["public_label_accuracy"] < 0.1 and not dung["not_trained_here"], dung
    assert done["alice"].curves_png.startswith(b"\x89PNG")


def test_feedback_and_gradebook_show_the_measured_run(tmp_path):
    topic = manifest.load_topic(TOPIC)
    spec = topic.training("mnist")
    column = graded_run.column(TOPIC, spec)
    points, top, reason = training_points(0.9, spec, "quick", "cpu")
    record = {"profile": "quick", "device": "CPU (slot 0)", "device_class": "cpu",
              "accuracy": 0.9, "threshold": 0.93, "floor": 0.85, "points": points,
              "max_points": top, "reason": reason, "reported": {"test_acc": 0.99},
              "curves": report.curves_file(column)}
    score = scoring.TestScore(TOPIC, f"training_{spec.name}", "graded training (quick, cpu)",
                      Outcome.FAILED, points, top, reason["en"], False)
    result = report.results_json("an", [score], [], 1.0, "fp", training={column: record})
    report.write_student(tmp_path, "an", result, "vi", {column: b"\x89PNG\r\n\x1a\nfake"})
    folder = tmp_path / "students" / "an"
    feedback = (folder / "feedback.md").read_text()
    assert "Huấn luyện có chấm điểm" in feedback and "0.9000" in feedback and "0.99" in feedback
    assert f"]({report.curves_file(column)})" in feedback
    assert (folder / report.curves_file(column)).read_bytes().startswith(b"\x89PNG")
    assert json.loads((folder / "results.json").read_text())["cnnkit"]["training"][column][
        "profile"] == "quick"
    rows = report.gradebook_csv({"an": result}, [topic]).splitlines()
    assert column in rows[0] and f"{column} profile" in rows[0]
    assert f"{points}" in rows[1] and "quick (cpu)" in rows[1]
    off = report.results_json("bo", [], [], 1.0, "fp")
    assert column not in report.gradebook_csv({"bo": off}, [topic])  # --train off: no column
    shutil.rmtree(folder)


class _KeyClient:
    """Stands in for a worker: answers the feature_key probe with a fixed key."""

    def __init__(self, key):
        self.key, self.calls = key, []

    def probe(self, name, args, kwargs):
        self.calls.append((name, args))
        return self.key


def test_class_features_are_offered_only_to_a_matching_key(tmp_path):
    from grader.lab import feature_cache
    from grader.grading.training import exchange as training_exchange

    import torch

    key = "ab" * 32
    cache = feature_cache.FeatureCache(tmp_path / "cache")
    split = (torch.zeros(4, 3), torch.zeros(4, dtype=torch.long))
    folder = cache.store(key, {"train": split, "valid": split, "test": split})
    for theirs, expected in ((key, "class cache"), ("cd" * 32, "own extraction"),
                             (None, "own extraction")):
        box = tmp_path / f"box-{expected.replace(' ', '-')}-{theirs is None}"
        box.mkdir()
        kwargs, record = {"variant": 1, "profile": "quick"}, {}
        client = _KeyClient(theirs)
        training_exchange._offer_features(client, box, (key, folder), kwargs, record, "train")
        assert record["features"] == expected
        assert client.calls[0][1][1] == {"profile": "quick"}  # no variant in the key's call
        if expected == "class cache":
            given = feature_cache.load(kwargs["features"])
            assert torch.equal(given["train"][0], split[0])
            assert kwargs["features"].startswith(str(box))
        else:
            assert "features" not in kwargs


def test_missing_backbone_weights_leave_the_column_not_graded(monkeypatch):
    """The full profile's ResNet18 weights are the machine's problem, never a student's."""
    from grader.lab import data

    topics = [manifest.load_topic("03_transfer")]
    monkeypatch.setattr(data, "missing", lambda names: {n: None for n in names
                                                        if n == "resnet18-weights"})
    assert graded_run.missing_data(topics, "full") == {
        "03_transfer/training_transfer_v1": ["resnet18-weights"]}
    monkeypatch.setattr(data, "missing", lambda names: {n: None for n in names
                                                        if n == "mnist"})
    assert graded_run.missing_data([manifest.load_topic(TOPIC)], "quick") == {
        "02_training/training_mnist": ["mnist"]}  # the train exercise's own data
    assert graded_run.missing_data(topics, "quick") == {}
    from grader.grading import readiness

    line, = readiness.describe({"03_transfer/training_transfer_v1": ["resnet18-weights"]}, "en")
    assert "not graded: training_transfer_v1" in line and "whole topic" not in line
