"""The slide's MNIST CNN, layer by layer, against a reference built from torch.nn."""

import torch
import torch.nn as nn

from grader.testkit.checks import check_int, check_same_function, check_shape
from grader.testkit.architecture import compare_architectures
from grader.testkit.harness import exercise

cnn = exercise(__file__, "cnn")


def _block(c_in, c_out, k):
    return [nn.Conv2d(c_in, c_out, kernel_size=k), nn.BatchNorm2d(c_out), nn.ReLU(),
            nn.MaxPool2d(kernel_size=2)]


class _Reference(nn.Module):
    def __init__(self, num_classes):
        super().__init__()
        self.cnn_layers = nn.Sequential(*_block(1, 3, 5), *_block(3, 16, 3), *_block(16, 32, 3))
        self.fc_layers = nn.Sequential(nn.Linear(32, 20), nn.BatchNorm1d(20), nn.ReLU(),
                                       nn.Linear(20, num_classes))

    def forward(self, x):
        return self.fc_layers(torch.flatten(self.cnn_layers(x), 1))


def test_layers_match_the_slide():
    compare_architectures(cnn.PyTorchCNN(10), _Reference(10), (2, 1, 28, 28), "PyTorchCNN(10)")


def test_computes_the_slides_function():
    torch.manual_seed(0)
    check_same_function("PyTorchCNN(10)(x[8,1,28,28]) with the slide's weights",
                        cnn.PyTorchCNN(10), _Reference(10), torch.randn(8, 1, 28, 28),
                        "each block is Conv2d -> BatchNorm2d -> ReLU -> MaxPool2d, in this "
                        "order; then flatten and fc_layers", modes=("train", "eval"))


def test_parameter_count_is_6178():
    model = cnn.PyTorchCNN(10)
    check_int("sum of numel() over PyTorchCNN(10).parameters()",
              sum(p.numel() for p in model.parameters()), 6178,
              "the slide's network has 6,178 parameters (BatchNorm layers count 2 per channel)")


def test_block_output_shapes():
    model = cnn.PyTorchCNN(10).eval()
    x = torch.randn(4, 1, 28, 28)
    expected = {3: (4, 3, 12, 12), 7: (4, 16, 5, 5), 11: (4, 32, 1, 1)}
    with torch.no_grad():
        for i, layer in enumerate(model.cnn_layers):
            x = layer(x)
            if i in expected:
                check_shape(f"PyTorchCNN.cnn_layers[:{i + 1}](x[4,1,28,28])", x, expected[i],
                            "conv without padding shrinks by k-1, MaxPool2d(2) halves (floor): "
                            "28 -> 24 -> 12 -> 10 -> 5 -> 3 -> 1")
        check_shape("PyTorchCNN(10)(x[4,1,28,28])", model(torch.randn(4, 1, 28, 28)), (4, 10),
                    "one logit per class")


def test_num_classes_sets_the_output_layer():
    model = cnn.PyTorchCNN(7)
    check_shape("PyTorchCNN(7)(x[3,1,28,28])", model.eval()(torch.randn(3, 1, 28, 28)), (3, 7),
                "num_classes is the out_features of the last Linear layer")
