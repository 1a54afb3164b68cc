"""Graded training: the reference solution reaches its published thresholds (quick profile),
measured as the grader measures them: the run's weights in the lecture's architecture, on
held-out, secretly shifted test images."""


import pytest

from grader.core import manifest
from grader.core import paths
from grader.lab import reference_eval, weights_io
from grader.lab import heldout_images as heldout
from grader.testkit import targets
from support.data_needs import skip_unless_available

pytestmark = pytest.mark.slow


def _solution(topic, module):
    return targets.import_exercise(paths.solutions_dir() / topic, module)


def _graded(topic, task, variant=None):
    spec = manifest.load_topic(topic).training(task, variant)
    return spec, spec.threshold_for("quick", "cpu")


def test_transfer_quick_reaches_threshold_on_held_out_images(tmp_path):
    skip_unless_available("cifar10-jpg", "mobilenet_v2-weights")
    spec, threshold = _graded("03_transfer", "transfer", 1)
    held = heldout.cifar10(heldout.new_secret(), n=2000)
    result = _solution("03_transfer", "train").train_transfer(
        variant=1, profile="quick", backbone=spec.backbone["quick"], out_dir=tmp_path)
    image_size = spec.settings_for("quick")["image_size"]
    features = reference_eval.backbone_features(spec.backbone["quick"], held.images, image_size)
    state = weights_io.checked_state_dict(result["weights"])
    accuracy = heldout.score(reference_eval.head_predictions(state, features), held.labels)
    print(f"\ntransfer quick ({spec.backbone['quick']}, variant 1): test_acc="
          f"{result['test_acc']:.4f}, held-out {accuracy:.4f} (threshold {threshold}); features "
          f"{result['extract_seconds']} s, head {result['train_seconds']} s, total "
          f"{result['seconds']} s on {result['device']}")
    assert result["cached_features"] and accuracy >= threshold


def test_missing_resnet18_weights_are_named_not_replaced(tmp_path, monkeypatch):
    import torch

    from grader.lab import weights

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
