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
        raise NotImplementedError('TODO: three 3x3 convolutions that keep height and width: 1->4 channels (edges), 4->8 (shapes), 8->16 (whole patterns)')

    def forward(self, x):
        # TODO: return relu(conv1(x)), then conv2 and conv3 in turn, as a tuple of three
        raise NotImplementedError('TODO: return relu(conv1(x)), then conv2 and conv3 in turn, as a tuple of three')


class ML_CNNClassifier(ML_CNN):
    """``ML_CNN`` plus ``fc_layer``: Linear(16*28*28, 100), ReLU, Linear(100, 10).

    Takes [N, 1, 28, 28] images and returns [N, 10] logits. 1,257,014 parameters.
    """

    def __init__(self):
        super().__init__()
        # TODO: fc_layer: from the 16x28x28 maps to 100 hidden units, a non-linearity, 10 scores
        raise NotImplementedError('TODO: fc_layer: from the 16x28x28 maps to 100 hidden units, a non-linearity, 10 scores')

    def forward(self, x):
        # TODO: reuse the convolutions, turn x3 into one vector per image, then fc_layer
        raise NotImplementedError('TODO: reuse the convolutions, turn x3 into one vector per image, then fc_layer')


class MLP(nn.Module):
    """3*224*224 -> 10000 -> 1000 -> 100 -> 10, with ReLU between layers.

    Layer names: ``Linear1``, ``Linear2``, ``Linear3``, ``output``. The input
    [N, 3, 224, 224] is flattened first. 1,515,392,110 parameters (5.6 GB)!
    """

    def __init__(self):
        super().__init__()
        # TODO: the four Linear layers (the slide's Linear3 is 1000 -> 100, not 1000 -> 10)
        raise NotImplementedError("TODO: the four Linear layers (the slide's Linear3 is 1000 -> 100, not 1000 -> 10)")

    def forward(self, x):
        # TODO: flatten, then Linear1..Linear3 each followed by ReLU, then output
        raise NotImplementedError('TODO: flatten, then Linear1..Linear3 each followed by ReLU, then output')
