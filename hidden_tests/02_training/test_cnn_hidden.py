"""Hidden tests: the MNIST CNN for another number of classes."""

import pytest
import torch
import torch.nn as nn

from grader.core.i18n import msg
from grader.testkit.checks import check_int
from grader.testkit.harness import exercise

cnn = exercise(__file__, "cnn")


@pytest.mark.reported
def test_three_classes_change_only_the_last_layer():
    model = cnn.PyTorchCNN(3)
    last = [m for m in model.modules() if isinstance(m, nn.Linear)][-1]
    check_int(msg("out_features of the last Linear of PyTorchCNN(3)",
                  "out_features của lớp Linear cuối cùng trong PyTorchCNN(3)"),
              last.out_features, 3,
              msg("num_classes sets the output layer", "num_classes quyết định lớp đầu ra"))
    check_int("sum(p.numel() for p in PyTorchCNN(3).parameters())",
              sum(p.numel() for p in model.parameters()),
              6178 - (20 * 10 + 10) + (20 * 3 + 3),
              msg("only the output layer depends on num_classes",
                  "chỉ lớp đầu ra phụ thuộc vào num_classes"))
    assert tuple(model.eval()(torch.zeros(2, 1, 28, 28)).shape) == (2, 3), msg(
        "PyTorchCNN(3)(x[2,1,28,28]) must give 3 logits per image",
        "PyTorchCNN(3)(x[2,1,28,28]) phải cho ra 3 logit cho mỗi ảnh")
