"""The slide's MNIST CNN, layer by layer, against a reference built from torch.nn."""

import pytest
import torch

from grader.core.i18n import msg
from grader.testkit import pinned
from grader.testkit.architecture import compare_architectures
from grader.testkit.checks import check_int, check_shape
from grader.testkit.harness import exercise, reference

cnn = exercise(__file__, "cnn")

# The slide's network, computed once by tools/pin_expected.py: its learnable layers, and its
# outputs for fixed inputs and weights, in training and in evaluation mode.
PINNED = pinned.load(__file__, "cnn")["cnn10"]
REFERENCE = reference(__file__, "cnn")  # when grading: the pinned check again, fresh input


@pytest.mark.reported
def test_layers_match_the_slide():
    compare_architectures(cnn.PyTorchCNN(10), PINNED["layers"], PINNED["input_shape"],
                          "PyTorchCNN(10)")


def test_computes_the_slides_function():
    pinned.check_pinned_function(
        msg("PyTorchCNN(10)(x[8,1,28,28]) with fixed weights",
            "PyTorchCNN(10)(x[8,1,28,28]) với trọng số cố định"), cnn.PyTorchCNN(10), PINNED,
        msg("each block is Conv2d -> BatchNorm2d -> ReLU -> MaxPool2d, in this order; then "
            "flatten and fc_layers",
            "mỗi khối là Conv2d -> BatchNorm2d -> ReLU -> MaxPool2d, đúng thứ tự này; sau đó "
            "làm phẳng (flatten) rồi qua fc_layers"), modes=("train", "eval"),
        reference=(lambda: REFERENCE.PyTorchCNN(10)) if REFERENCE else None)


@pytest.mark.reported
def test_parameter_count_is_6178():
    model = cnn.PyTorchCNN(10)
    check_int("sum(p.numel() for p in PyTorchCNN(10).parameters())",
              sum(p.numel() for p in model.parameters()), 6178,
              msg("the slide's network has 6,178 parameters (BatchNorm layers count 2 per "
                  "channel)",
                  "mạng trên slide có 6,178 tham số (mỗi lớp BatchNorm có 2 tham số cho mỗi "
                  "kênh)"))


def test_block_output_shapes():
    model = cnn.PyTorchCNN(10).eval()
    with torch.no_grad():
        features = model.cnn_layers(torch.randn(4, 1, 28, 28))
        check_shape("PyTorchCNN(10).cnn_layers(x[4,1,28,28])", features, (4, 32, 1, 1),
                    msg("conv without padding shrinks by k-1, MaxPool2d(2) halves (floor): "
                        "28 -> 24 -> 12 -> 10 -> 5 -> 3 -> 1",
                        "tích chập không có padding làm ảnh nhỏ đi k-1, MaxPool2d(2) chia đôi "
                        "(làm tròn xuống): 28 -> 24 -> 12 -> 10 -> 5 -> 3 -> 1"))
        check_shape("PyTorchCNN(10)(x[4,1,28,28])", model(torch.randn(4, 1, 28, 28)), (4, 10),
                    msg("one logit per class", "một logit cho mỗi lớp (class)"))


@pytest.mark.reported
def test_num_classes_sets_the_output_layer():
    model = cnn.PyTorchCNN(7)
    check_shape("PyTorchCNN(7)(x[3,1,28,28])", model.eval()(torch.randn(3, 1, 28, 28)), (3, 7),
                msg("num_classes is the out_features of the last Linear layer",
                    "num_classes là out_features của lớp Linear cuối cùng"))
