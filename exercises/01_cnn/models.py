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
        raise NotImplementedError('TODO: three 3x3 convolutions that keep height and width: 1->4 channels (edges), 4->8 (shapes), 8->16 (whole patterns) | vi: ba lớp tích chập 3x3 giữ nguyên chiều cao và chiều rộng: 1->4 kênh (cạnh), 4->8 (hình dạng), 8->16 (cả mẫu hình)')

    def forward(self, x):
        # TODO: return relu(conv1(x)), then conv2 and conv3 in turn, as a tuple of three
        # TODO (vi): trả về relu(conv1(x)), rồi lần lượt conv2 và conv3, dưới dạng tuple ba
        # TODO (vi): phần tử
        raise NotImplementedError('TODO: return relu(conv1(x)), then conv2 and conv3 in turn, as a tuple of three | vi: trả về relu(conv1(x)), rồi lần lượt conv2 và conv3, dưới dạng tuple ba phần tử')


class ML_CNNClassifier(ML_CNN):
    """``ML_CNN`` plus ``fc_layer``: Linear(16*28*28, 100), ReLU, Linear(100, 10).

    Takes [N, 1, 28, 28] images and returns [N, 10] logits. 1,257,014 parameters.
    """

    def __init__(self):
        super().__init__()
        # TODO: fc_layer: from the 16x28x28 maps to 100 hidden units, a non-linearity, 10 scores
        # TODO (vi): fc_layer: từ các feature map 16x28x28 tới 100 đơn vị ẩn, một hàm phi
        # TODO (vi): tuyến, rồi 10 điểm số
        raise NotImplementedError('TODO: fc_layer: from the 16x28x28 maps to 100 hidden units, a non-linearity, 10 scores | vi: fc_layer: từ các feature map 16x28x28 tới 100 đơn vị ẩn, một hàm phi tuyến, rồi 10 điểm số')

    def forward(self, x):
        # TODO: reuse the convolutions, turn x3 into one vector per image, then fc_layer
        # TODO (vi): dùng lại các lớp tích chập, biến x3 thành một vector cho mỗi ảnh, rồi qua
        # TODO (vi): fc_layer
        raise NotImplementedError('TODO: reuse the convolutions, turn x3 into one vector per image, then fc_layer | vi: dùng lại các lớp tích chập, biến x3 thành một vector cho mỗi ảnh, rồi qua fc_layer')


class MLP(nn.Module):
    """3*224*224 -> 10000 -> 1000 -> 100 -> 10, with ReLU between layers.

    Layer names: ``Linear1``, ``Linear2``, ``Linear3``, ``output``. The input
    [N, 3, 224, 224] is flattened first. 1,515,392,110 parameters (5.6 GB)!
    """

    def __init__(self):
        super().__init__()
        # TODO: the four Linear layers (the slide's Linear3 is 1000 -> 100, not 1000 -> 10)
        # TODO (vi): bốn lớp Linear (Linear3 trên slide là 1000 -> 100, không phải 1000 -> 10)
        raise NotImplementedError("TODO: the four Linear layers (the slide's Linear3 is 1000 -> 100, not 1000 -> 10) | vi: bốn lớp Linear (Linear3 trên slide là 1000 -> 100, không phải 1000 -> 10)")

    def forward(self, x):
        # TODO: flatten, then Linear1..Linear3 each followed by ReLU, then output
        # TODO (vi): làm phẳng, rồi Linear1..Linear3, mỗi lớp theo sau bởi ReLU, rồi lớp
        # TODO (vi): output
        raise NotImplementedError('TODO: flatten, then Linear1..Linear3 each followed by ReLU, then output | vi: làm phẳng, rồi Linear1..Linear3, mỗi lớp theo sau bởi ReLU, rồi lớp output')
