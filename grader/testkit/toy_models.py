"""Small modules the tests hand to student code. They live in the kit, not in a test
file, so that the student's worker can rebuild them from what the test sends."""

from __future__ import annotations

import torch.nn as nn


class TwoMaps(nn.Module):
    """A model with two outputs, as ML_CNN has three."""

    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(1, 2, 3, padding=1)
        self.b = nn.Conv2d(2, 3, 3, padding=1)

    def forward(self, x):
        y = self.a(x)
        return y, self.b(y)


def small_net():
    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(4),
                         nn.Flatten(), nn.Linear(4 * 6 * 6, 10))


class ModeProbe(nn.Module):
    """Records whether it was called in training mode; BatchNorm makes that matter."""

    def __init__(self):
        super().__init__()
        self.net = small_net()
        self.modes: list[bool] = []

    def forward(self, x):
        self.modes.append(self.training)
        return self.net(x)
