"""The slide's MNIST CNN, layer by layer, against a reference built from torch.nn."""

import pytest
import torch
from hypothesis import example, given, settings
from hypothesis import strategies as st

from grader.core.i18n import msg
from grader.testkit import pinned
from grader.testkit.architecture import compare_architectures
from grader.testkit.checks import check_int, check_shape
from grader.testkit.harness import exercise, reference
from grader.lab import reference_eval

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


_SLIDE_NET: list = []


def _slide_network():
    """The slide's network built from torch.nn (``reference_eval``), once per session."""
    if not _SLIDE_NET:
        _SLIDE_NET.append(reference_eval.mnist_network())
    return _SLIDE_NET[0]


@settings(max_examples=25, deadline=None)
@given(batch=st.integers(1, 32), seed=st.integers(0, 2 ** 16))
@example(batch=1, seed=0)
def test_every_batch_size_gives_one_row_per_image(batch, seed):
    """Batches of every size, one image included: the output is [batch, 10], equal to what
    a network built here from torch.nn computes with the same weights (eval mode)."""
    model = cnn.PyTorchCNN(10).eval()
    torch.manual_seed(seed)
    x = torch.randn(batch, 1, 28, 28)
    same = reference_eval.load_by_order(_slide_network(), model.state_dict())
    with torch.no_grad():
        expected = same(x)
        try:
            got = model(x)
        except Exception as exc:  # the student's forward failed on this batch
            got = f"{type(exc).__name__}: {str(exc)[:200]}"
    ok = isinstance(got, torch.Tensor) and tuple(got.shape) == (batch, 10) and \
        torch.allclose(got.float(), expected, atol=1e-4, rtol=1e-4)
    assert ok, msg(
        f"PyTorchCNN(10).eval()(x[{batch},1,28,28]) returned "
        f"{tuple(got.shape) if isinstance(got, torch.Tensor) else got}; expected the "
        f"logits of shape ({batch}, 10) that the slide's layers compute with these weights. "
        "Flatten keeping the batch dimension, whatever its size (a batch of one too): "
        "torch.flatten(x, 1) or x.view(x.size(0), -1), not x.squeeze() or x.view(-1)",
        f"PyTorchCNN(10).eval()(x[{batch},1,28,28]) trả về "
        f"{tuple(got.shape) if isinstance(got, torch.Tensor) else got}; cần logits có shape "
        f"({batch}, 10) mà các lớp trên slide tính với các trọng số này. Hãy làm phẳng "
        "(flatten) mà giữ chiều batch, dù kích thước là bao nhiêu (kể cả batch một ảnh): "
        "torch.flatten(x, 1) hoặc x.view(x.size(0), -1), không dùng x.squeeze() hay x.view(-1)")
