"""Hidden tests: the MNIST CNN for another number of classes."""

import pytest
import torch
import torch.nn as nn

from grader.testkit.checks import check_int
from grader.testkit.harness import exercise

cnn = exercise(__file__, "cnn")


@pytest.mark.reported
def test_three_classes_change_only_the_last_layer():
    model = cnn.PyTorchCNN(3)
    last = [m for m in model.modules() if isinstance(m, nn.Linear)][-1]
    check_int("out_features of the last Linear of PyTorchCNN(3)", last.out_features, 3,
              "num_classes sets the output layer")
    check_int("parameters of PyTorchCNN(3)", sum(p.numel() for p in model.parameters()),
              6178 - (20 * 10 + 10) + (20 * 3 + 3),
              "only the output layer depends on num_classes")
    assert tuple(model.eval()(torch.zeros(2, 1, 28, 28)).shape) == (2, 3)
