"""Hidden tests: the variants with another number of classes."""

import pytest
import torch

from grader.testkit.checks import check_int
from grader.testkit.harness import exercise

tr = exercise(__file__, "transfer")


@pytest.fixture(autouse=True)
def no_downloads(monkeypatch):
    def refuse(*a, **k):
        raise AssertionError("weights=None must not download")

    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", refuse)


@pytest.mark.reported
def test_five_classes_last_layer():
    model = tr.prepare_finetuning(tr.load_resnet18(weights=None), 1, num_classes=5)
    check_int("trainable parameters, resnet18, variant 1, 5 classes",
              tr.trainable_parameter_count(model), 512 * 5 + 5,
              "only the new Linear(512, 5) head trains")


@pytest.mark.reported
def test_mobilenet_last_layers_with_two_classes():
    model = tr.prepare_finetuning(tr.load_backbone("mobilenet_v2", weights=None), 2,
                                  num_classes=2)
    stage = sum(p.numel() for p in model.features[-1].parameters())
    check_int("trainable parameters, mobilenet_v2, variant 2, 2 classes",
              tr.trainable_parameter_count(model), stage + 1280 * 2 + 2,
              "features[-1] and the new head train")
