"""Hidden tests: the variants with another number of classes."""

import pytest
import torch

from grader.core.i18n import msg
from grader.testkit.checks import check_int
from grader.testkit.harness import exercise

tr = exercise(__file__, "transfer")


@pytest.fixture(autouse=True)
def no_downloads(monkeypatch):
    def refuse(*a, **k):
        raise AssertionError(msg("weights=None must not download",
                                 "weights=None không được tải gì về"))

    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", refuse)


@pytest.mark.reported
def test_five_classes_last_layer():
    model = tr.prepare_finetuning(tr.load_resnet18(weights=None), 1, num_classes=5)
    check_int("trainable_parameter_count(prepare_finetuning(resnet18, 1, num_classes=5))",
              tr.trainable_parameter_count(model), 512 * 5 + 5,
              msg("only the new Linear(512, 5) head trains",
                  "chỉ lớp đầu ra mới Linear(512, 5) được huấn luyện"))


@pytest.mark.reported
def test_mobilenet_last_layers_with_two_classes():
    model = tr.prepare_finetuning(tr.load_backbone("mobilenet_v2", weights=None), 2,
                                  num_classes=2)
    stage = sum(p.numel() for p in model.features[-1].parameters())
    check_int("trainable_parameter_count(prepare_finetuning(mobilenet_v2, 2, num_classes=2))",
              tr.trainable_parameter_count(model), stage + 1280 * 2 + 2,
              msg("features[-1] and the new head train",
                  "features[-1] và lớp đầu ra mới được huấn luyện"))
