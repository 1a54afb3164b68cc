"""The lecture's networks: a small CNN and an MLP for the same kind of task."""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F


class ML_CNN(nn.Module):
    """Three 3x3 convolutions (stride 1, padding 1): 1 -> 4 -> 8 -> 16 channels.

    ``forward`` returns the three feature maps ``(x1, x2, x3)``, each after ReLU.
    Layer names: ``conv1``, ``conv2``, ``conv3``.
    """

    def __init__(self):
        super().__init__()
        # TODO: three 3x3 convolutions that keep height and width: 1->4 channels (edges),
        # TODO: 4->8 (shapes), 8->16 (whole patterns)
        # TODO (vi): ba lớp tích chập 3x3 giữ nguyên chiều cao và chiều rộng: 1->4 kênh
        # TODO (vi): (cạnh), 4->8 (hình dạng), 8->16 (cả mẫu hình)
        ### BEGIN SOLUTION
        self.conv1 = nn.Conv2d(1, 4, kernel_size=3, stride=1, padding=1)
        self.conv2 = nn.Conv2d(4, 8, kernel_size=3, stride=1, padding=1)
        self.conv3 = nn.Conv2d(8, 16, kernel_size=3, stride=1, padding=1)
        ### END SOLUTION

    def forward(self, x):
        # TODO: return relu(conv1(x)), then conv2 and conv3 in turn, as a tuple of three
        # TODO (vi): trả về relu(conv1(x)), rồi lần lượt conv2 và conv3, dưới dạng tuple ba
        # TODO (vi): phần tử
        ### BEGIN SOLUTION
        x1 = F.relu(self.conv1(x))
        x2 = F.relu(self.conv2(x1))
        x3 = F.relu(self.conv3(x2))
        return x1, x2, x3
        ### END SOLUTION


class ML_CNNClassifier(ML_CNN):
    """``ML_CNN`` plus ``fc_layer``: Linear(16*28*28, 100), ReLU, Linear(100, 10).

    Takes [N, 1, 28, 28] images and returns [N, 10] logits. 1,257,014 parameters.
    """

    def __init__(self):
        super().__init__()
        # TODO: fc_layer: from the 16x28x28 maps to 100 hidden units, a non-linearity, 10 scores
        # TODO (vi): fc_layer: từ các feature map 16x28x28 tới 100 đơn vị ẩn, một hàm phi
        # TODO (vi): tuyến, rồi 10 điểm số
        ### BEGIN SOLUTION
        self.fc_layer = nn.Sequential(nn.Linear(16 * 28 * 28, 100), nn.ReLU(), nn.Linear(100, 10))
        ### END SOLUTION

    def forward(self, x):
        # TODO: reuse the convolutions, turn x3 into one vector per image, then fc_layer
        # TODO (vi): dùng lại các lớp tích chập, biến x3 thành một vector cho mỗi ảnh, rồi qua
        # TODO (vi): fc_layer
        ### BEGIN SOLUTION
        _, _, x3 = super().forward(x)
        return self.fc_layer(torch.flatten(x3, 1))
        ### END SOLUTION


class MLP(nn.Module):
    """3*224*224 -> 10000 -> 1000 -> 100 -> 10, with ReLU between layers.

    Layer names: ``Linear1``, ``Linear2``, ``Linear3``, ``output``. The input
    [N, 3, 224, 224] is flattened first. 1,515,392,110 parameters (5.6 GB)!
    """

    def __init__(self):
        super().__init__()
        # TODO: the four Linear layers (the slide's Linear3 is 1000 -> 100, not 1000 -> 10)
        # TODO (vi): bốn lớp Linear (Linear3 trên slide là 1000 -> 100, không phải 1000 -> 10)
        ### BEGIN SOLUTION
        self.Linear1 = nn.Linear(3 * 224 * 224, 10000)
        self.Linear2 = nn.Linear(10000, 1000)
        self.Linear3 = nn.Linear(1000, 100)
        self.output = nn.Linear(100, 10)
        ### END SOLUTION

    def forward(self, x):
        # TODO: flatten, then Linear1..Linear3 each followed by ReLU, then output
        # TODO (vi): làm phẳng, rồi Linear1..Linear3, mỗi lớp theo sau bởi ReLU, rồi lớp
        # TODO (vi): output
        ### BEGIN SOLUTION
        x = torch.flatten(x, 1)
        x = F.relu(self.Linear1(x))
        x = F.relu(self.Linear2(x))
        x = F.relu(self.Linear3(x))
        return self.output(x)
        ### END SOLUTION
