"""Graded training: the reference solution reaches its published thresholds (quick profile)."""

from pathlib import Path

import pytest

from grader import manifest, paths, targets

pytestmark = pytest.mark.slow


def _solution(topic, module):
    return targets.import_exercise(paths.solutions_dir() / topic, module)


def test_mnist_quick_reaches_threshold(data_mirror, tmp_path):
    threshold = manifest.load_topic("02_training").graded["mnist"]["quick"]
    result = _solution("02_training", "train").train_mnist(profile="quick", out_dir=tmp_path)
    print(f"\nMNIST quick: test_acc={result['test_acc']:.4f} (threshold {threshold}) "
          f"in {result['seconds']} s on {result['device']}")
    assert result["test_acc"] >= threshold
    assert Path(result["curves_png"]).is_file() and Path(result["metrics_csv"]).is_file()
