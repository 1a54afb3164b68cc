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
        ### BEGIN SOLUTION
        self.cnn_layers = torch.nn.Sequential(
            # block 01
            torch.nn.Conv2d(1, 3, kernel_size=5),
            torch.nn.BatchNorm2d(3),
            torch.nn.ReLU(),
            torch.nn.MaxPool2d(kernel_size=2),
            # block 02
            torch.nn.Conv2d(3, 16, kernel_size=3),
            torch.nn.BatchNorm2d(16),
            torch.nn.ReLU(),
            torch.nn.MaxPool2d(kernel_size=2),
            # block 03
            torch.nn.Conv2d(16, 32, kernel_size=3),
            torch.nn.BatchNorm2d(32),
            torch.nn.ReLU(),
            torch.nn.MaxPool2d(kernel_size=2),
        )
        self.fc_layers = torch.nn.Sequential(
            torch.nn.Linear(32, 20),
            torch.nn.BatchNorm1d(20),
            torch.nn.ReLU(),
            torch.nn.Linear(20, num_classes),
        )
        ### END SOLUTION

    def forward(self, x):
        # TODO: features, then one flat vector per image, then the class scores
        # TODO (vi): trích đặc trưng, rồi làm phẳng thành một vector cho mỗi ảnh, rồi tính
        # TODO (vi): điểm cho từng lớp
        ### BEGIN SOLUTION
        x = self.cnn_layers(x)
        x = torch.flatten(x, start_dim=1)
        return self.fc_layers(x)
        ### END SOLUTION
