"""Graded training in topic.toml: points, floor and threshold per profile and device class,
read and checked, and the points a measured accuracy earns."""

import shutil
import tomllib

import pytest

from grader.core import manifest, paths, scoring
from grader.core.errors import BadInput
from grader.dev import check


def _topic(graded_toml: str, fmt: int = 2) -> manifest.Topic:
    text = (f'[topic]\nformat = {fmt}\ntitle = {{ en = "t", vi = "t" }}\n\n'
            '[[exercises]]\nname = "train"\nfile = "train.py"\npoints = 10\n\n' + graded_toml)
    return manifest.parse(tomllib.loads(text), "99_topic")


MNIST = """
[graded.mnist]
points = 40
budget_s = { quick = 240, full = 1800 }
floor = { quick = 0.90, full = 0.95 }
threshold = { quick = 0.96, full = { cpu = 0.98, gpu = 0.985 } }
"""


def test_numbers_hold_for_both_device_classes_and_tables_for_each():
    spec = _topic(MNIST).training("mnist")
    assert spec.name == "mnist" and spec.graded and spec.points == 40
    assert spec.threshold_for("quick", "cpu") == spec.threshold_for("quick", "gpu") == 0.96
    assert (spec.threshold_for("full", "cpu"), spec.threshold_for("full", "gpu")) == (0.98, 0.985)
    assert spec.floor_for("full", "gpu") == 0.95
    assert spec.budget_s == {"quick": 240, "full": 1800}


def test_variants_inherit_the_task_table_and_only_those_with_points_are_columns():
    topic = _topic("""
[graded.transfer]
backbone = { quick = "mobilenet_v2", full = "resnet18" }
budget_s = { quick = 300, full = 3600 }

[graded.transfer.variant.1]
points = 30
floor = { quick = 0.45, full = 0.6 }
threshold = { quick = 0.62, full = 0.755 }

[graded.transfer.variant.3]
threshold = { quick = 0.43, full = 0.95 }
""")
    one, three = topic.training("transfer", 1), topic.training("transfer", 3)
    assert one.name == "transfer_v1" and one.backbone["quick"] == "mobilenet_v2"
    assert three.budget_s["full"] == 3600 and not three.graded
    assert [t.name for t in topic.graded_trainings] == ["transfer_v1"]
    assert three.floor_for("quick", "cpu") == 0.43  # no floor: all or nothing


def test_a_variants_settings_overlay_its_tasks_profile_by_profile():
    """The run settings live in topic.toml alone; a variant changes only what it names."""
    topic = _topic("""
[graded.transfer.settings]
quick = { image_size = 96, n_train = 5000, max_epochs = 20 }
full = { image_size = 224, n_train = 0, max_epochs = 50 }

[graded.transfer.variant.1]
threshold = 0.6

[graded.transfer.variant.2]
threshold = 0.5
settings.quick = { n_train = 2000, max_epochs = 2 }
""")
    one, two = topic.training("transfer", 1), topic.training("transfer", 2)
    assert one.settings_for("quick") == {"image_size": 96, "n_train": 5000, "max_epochs": 20}
    assert two.settings_for("quick") == {"image_size": 96, "n_train": 2000, "max_epochs": 2}
    assert two.settings_for("full") == one.settings_for("full")
    two.settings_for("quick")["n_train"] = 1  # a copy: a caller cannot change the manifest
    assert two.settings_for("quick")["n_train"] == 2000


def test_the_reference_runs_read_their_settings_from_topic_toml():
    from grader.lab import training

    assert training.settings("02_training", "mnist", "full")["max_epochs"] == 10  # the slide's
    assert training.settings("03_transfer", "transfer", "quick", 2)["max_epochs"] == 2
    for topic in ("02_training", "03_transfer"):
        source = (paths.solutions_dir() / topic / "train.py").read_text(encoding="utf-8")
        assert "training.settings(" in source and "PROFILES" not in source


@pytest.mark.parametrize("bad, words", [
    ("threshold = { quick = 0.96 }", "exactly the profiles"),
    ("threshold = { quick = 0.96, full = { cpu = 0.9 } }", "exactly the device classes"),
    ("threshold = { quick = 1.5, full = 0.9 }", "between 0 and 1"),
    ('threshold = { quick = "high", full = 0.9 }', "between 0 and 1"),
    ("threshold = 0.9\nfloor = 0.95", "lies above its threshold"),
    ("threshold = 0.9\npoints = -1", "points must be a number >= 0"),
    ("threshold = 0.9\nbudget_s = { quick = 0 }", "positive number of seconds"),
    ("points = 10", "threshold"),
    ("threshold = 0.9\nsettings.quick = { epochs = [1, 2] }", "numbers, strings and booleans"),
    ("threshold = 0.9\nsettings.fast = { epochs = 1 }", "unknown profile fast"),
])
def test_malformed_graded_tables_are_refused(bad, words):
    with pytest.raises(BadInput, match=words):
        _topic(f"[graded.mnist]\n{bad}\n")


def test_format_1_is_still_read_as_thresholds_without_points():
    topic = _topic("""
[graded.mnist]
quick = 0.975
full = 0.985

[graded.transfer]
quick = { 1 = 0.64, 3 = 0.43 }
full = { 1 = 0.755, 3 = 0.95 }
""", fmt=1)
    assert topic.training("mnist").threshold_for("quick", "cpu") == 0.975
    assert topic.training("transfer", 3).threshold_for("full", "gpu") == 0.95
    assert topic.graded_trainings == ()


def test_the_kits_topics_grade_mnist_and_transfer_variant_1():
    columns = [t for topic in manifest.load_all() for t in topic.graded_trainings]
    assert [(t.topic, t.name) for t in columns] == [("02_training", "mnist"),
                                                    ("03_transfer", "transfer_v1")]
    for t in columns:
        for profile in manifest.PROFILES:
            for cls in manifest.DEVICE_CLASSES:
                assert 0 < t.floor_for(profile, cls) < t.threshold_for(profile, cls) < 1
            assert t.budget_s[profile] > 0


# --- points ---------------------------------------------------------------------------


def test_points_are_full_at_the_threshold_none_at_the_floor_linear_between():
    spec = _topic(MNIST).training("mnist")
    assert scoring.training_points(0.96, spec, "quick", "cpu")[:2] == (40, 40)
    assert scoring.training_points(0.999, spec, "quick", "cpu")[0] == 40
    assert scoring.training_points(0.90, spec, "quick", "cpu")[0] == 0
    assert scoring.training_points(0.10, spec, "quick", "cpu")[0] == 0
    half, top, reason = scoring.training_points(0.93, spec, "quick", "cpu")
    assert top == 40 and half == pytest.approx(20, abs=1 / 64)
    assert "floor 0.9" in reason["en"] and "threshold 0.96" in reason["en"]
    assert "mức sàn" in reason["vi"]
    # the device class picks the threshold: 0.982 is full points on a CPU, not on a GPU
    assert scoring.training_points(0.982, spec, "full", "cpu")[0] == 40
    assert scoring.training_points(0.982, spec, "full", "gpu")[0] < 40


def test_partial_points_are_exact_binary_fractions_and_never_full():
    spec = _topic(MNIST).training("mnist")
    previous = 0.0
    for i in range(1, 600):
        acc = 0.90 + 0.06 * i / 600
        points, _, _ = scoring.training_points(acc, spec, "quick", "cpu")
        assert points * 64 == int(points * 64) and previous <= points < 40
        previous = points


@pytest.mark.parametrize("accuracy", [None, float("nan"), "0.99"])
def test_no_accuracy_means_no_points(accuracy):
    spec = _topic(MNIST).training("mnist")
    points, top, reason = scoring.training_points(accuracy, spec, "quick", "cpu")
    assert (points, top) == (0, 40) and "no accuracy" in reason["en"]


# --- dev check ------------------------------------------------------------------------


@pytest.fixture
def topic02(tmp_path):
    folder = tmp_path / "02_training"
    shutil.copytree(paths.solutions_dir() / "02_training", folder,
                    ignore=shutil.ignore_patterns("__pycache__"))
    assert check.check_manifest(folder) == []
    return folder


@pytest.mark.parametrize("old, new, expected", [
    ("points = 40\n", "points = 40\npoint = 4\n", "'point' is declared but the kit never reads"),
    ("budget_s = { quick = 300, full = 1200 }\n", "",
     "a gradebook column needs budget_s for quick"),
    ("floor = { quick = 0.85, full = 0.90 }\n", "",
     "must lie below the threshold"),
    ("[graded.mnist]\n", "[graded.mnist.variant.1]\nthreshold = 0.99\n\n[graded.mnist]\n",
     "variant '1' does not exist"),
    ("format = 2", "format = 1", "format 1, this kit reads format 2"),
    ('function = "train.py:train_mnist"', 'function = "train.py:train_mnst"',
     "train.py defines no function train_mnst"),
    ('function = "train.py:train_mnist"', 'function = "trainer.py:train_mnist"',
     "its function's file trainer.py does not exist"),
    ('function = "train.py:train_mnist"', '', "declares no `function"),
    ("[graded.mnist.settings]\n", "[graded.mnist.unused]\n",
     "a gradebook column needs settings for quick"),
    ('data = "mnist"', 'data = "mnist-c"', "data 'mnist-c' is not in datasets/manifest.toml"),
])
def test_dev_check_reports_broken_graded_tables(topic02, old, new, expected):
    toml = topic02 / "topic.toml"
    text = toml.read_text(encoding="utf-8")
    assert old in text, old
    toml.write_text(text.replace(old, new, 1), encoding="utf-8")
    problems = check.check_manifest(topic02)
    assert any(expected in p for p in problems), problems


def test_dev_check_finds_a_graded_function_renamed_in_the_code(topic02):
    """The manifest names the function; the code must still define it."""
    train = topic02 / "train.py"
    train.write_text(train.read_text(encoding="utf-8").replace("def train_mnist(",
                                                               "def fit_mnist("))
    assert any("defines no function train_mnist" in p for p in check.check_manifest(topic02))
