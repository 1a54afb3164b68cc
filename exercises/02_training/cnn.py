"""The lecture's CNN for MNIST: three conv blocks, then a small classifier."""

from __future__ import annotations

import torch


class PyTorchCNN(torch.nn.Module):
    """Exactly the slide's network.

    ``cnn_layers``: three blocks of Conv2d -> BatchNorm2d -> ReLU -> MaxPool2d(2)
    with 1->3 (5x5), 3->16 (3x3), 16->32 (3x3) channels, no padding.
    ``fc_layers``: Linear(32, 20) -> BatchNorm1d(20) -> ReLU -> Linear(20, num_classes).
    On a 1x28x28 image it has 6,178 parameters for 10 classes.
    """

    def __init__(self, num_classes):
        super().__init__()
        # TODO: cnn_layers: three blocks (convolution, batch norm, ReLU, pooling);
        # TODO: fc_layers: the small classifier of the docstring
        # TODO (vi): cnn_layers: ba khối (tích chập, batch norm, ReLU, pooling); fc_layers: bộ
        # TODO (vi): phân loại nhỏ mô tả trong docstring
        raise NotImplementedError('TODO: cnn_layers: three blocks (convolution, batch norm, ReLU, pooling); fc_layers: the small classifier of the docstring | vi: cnn_layers: ba khối (tích chập, batch norm, ReLU, pooling); fc_layers: bộ phân loại nhỏ mô tả trong docstring')

    def forward(self, x):
        # TODO: features, then one flat vector per image, then the class scores
        # TODO (vi): trích đặc trưng, rồi làm phẳng thành một vector cho mỗi ảnh, rồi tính
        # TODO (vi): điểm cho từng lớp
        raise NotImplementedError('TODO: features, then one flat vector per image, then the class scores | vi: trích đặc trưng, rồi làm phẳng thành một vector cho mỗi ảnh, rồi tính điểm cho từng lớp')
