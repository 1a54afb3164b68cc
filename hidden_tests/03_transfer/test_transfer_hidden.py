"""Hidden tests: the variants with another number of classes."""

import pytest
import torch
import torchvision.models as tvm

from grader.core.i18n import msg
from grader.testkit.checks import check_int
from grader.testkit.harness import exercise, probe

tr = exercise(__file__, "transfer")


@pytest.fixture(autouse=True)
def no_downloads(monkeypatch):
    def refuse(*a, **k):
        raise AssertionError(msg("weights=None must not download",
                                 "weights=None không được tải gì về"))

    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", refuse)


def _student_count(backbone, variant, num_classes):
    """trainable_parameter_count(prepare_finetuning(load_backbone(backbone), variant,
    num_classes=...)), run where the student's code runs: no network crosses for a number."""
    return probe("trainable_count_of_fine_tuned", tr, backbone, variant, num_classes)


@pytest.mark.reported
def test_five_classes_last_layer():
    check_int("trainable_parameter_count(prepare_finetuning(resnet18, 1, num_classes=5))",
              _student_count("resnet18", 1, 5), 512 * 5 + 5,
              msg("only the new Linear(512, 5) head trains",
                  "chỉ lớp đầu ra mới Linear(512, 5) được huấn luyện"))


@pytest.mark.reported
def test_mobilenet_last_layers_with_two_classes():
    """Variant 2 read as the pictures draw it (features[-1] and the head) or as the slide's
    words 'the last FC layers' read literally (MobileNetV2 has one FC layer: the head)."""
    with torch.device("meta"):  # shapes only: the count of torchvision's own last stage
        stage = sum(p.numel() for p in tvm.mobilenet_v2(weights=None).features[-1].parameters())
    head = 1280 * 2 + 2
    got = _student_count("mobilenet_v2", 2, 2)
    check_int("trainable_parameter_count(prepare_finetuning(mobilenet_v2, 2, num_classes=2))",
              got, head if got == head else stage + head,
              msg("features[-1] and the new head train (or, the slide's 'last FC layers' read "
                  "literally, the new head alone)",
                  "features[-1] và lớp đầu ra mới được huấn luyện (hoặc, đọc đúng từng chữ "
                  "'các lớp FC cuối cùng' trên slide, chỉ lớp đầu ra mới)"))
