"""Graded training: the reference solution reaches its published thresholds (quick profile)."""

from pathlib import Path

import pytest

from grader.core import manifest
from grader.core import paths
from grader.testkit import targets
from support.data_needs import skip_unless_available

pytestmark = pytest.mark.slow


def _solution(topic, module):
    return targets.import_exercise(paths.solutions_dir() / topic, module)


def test_mnist_quick_reaches_threshold(tmp_path):
    skip_unless_available("mnist")
    threshold = manifest.load_topic("02_training").training("mnist").threshold_for("quick", "cpu")
    result = _solution("02_training", "train").train_mnist(profile="quick", out_dir=tmp_path)
    print(f"\nMNIST quick: test_acc={result['test_acc']:.4f} (threshold {threshold}) "
          f"in {result['seconds']} s on {result['device']}")
    assert result["test_acc"] >= threshold
    assert Path(result["curves_png"]).is_file() and Path(result["metrics_csv"]).is_file()


def test_transfer_quick_reaches_threshold(tmp_path):
    skip_unless_available("cifar10-jpg", "mobilenet_v2-weights")
    threshold = manifest.load_topic("03_transfer").training("transfer", 1).threshold_for(
        "quick", "cpu")
    result = _solution("03_transfer", "train").train_transfer(
        variant=1, profile="quick", backbone="mobilenet_v2", out_dir=tmp_path)
    print(f"\ntransfer quick (mobilenet_v2, variant 1): test_acc={result['test_acc']:.4f} "
          f"(threshold {threshold}); features {result['extract_seconds']} s, head "
          f"{result['train_seconds']} s, total {result['seconds']} s on {result['device']}")
    assert result["cached_features"] and result["test_acc"] >= threshold


def test_missing_resnet18_weights_are_named_not_replaced(tmp_path, monkeypatch):
    import torch

    from grader.course import weights

    monkeypatch.setenv("CNNKIT_OFFLINE", "1")
    monkeypatch.setenv("CNNKIT_DATA", str(tmp_path / "data"))
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))
    if (paths.shared_mirror() / "torch/hub/checkpoints/resnet18-f37072fd.pth").exists():
        pytest.skip("this mirror has ResNet18 weights")
    with pytest.raises(weights.WeightsMissing) as info:
        _solution("03_transfer", "train").train_transfer(variant=1, profile="quick",
                                                         backbone="resnet18", out_dir=tmp_path)
    message = str(info.value)
    assert "resnet18-f37072fd.pth" in message and "./kit data fetch resnet18-weights" in message
