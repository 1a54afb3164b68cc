"""Small modules the tests hand to student code. They live in the kit, not in a test
file, so that the student's worker can rebuild them from what the test sends."""

from __future__ import annotations

import torch.nn as nn

from grader.lab.data import locate


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


class DropoutProbe(nn.Module):
    """A classifier whose training mode is never its evaluation mode: ``Dropout(p=1)`` after
    the logits zeroes them all while training, so every prediction is then class 0; in
    evaluation mode Dropout passes the logits, whose class 0 is never the largest."""

    def __init__(self, seed: int):
        import torch

        super().__init__()
        generator = torch.Generator().manual_seed(seed)
        self.linear = nn.Linear(28 * 28, 10)
        with torch.no_grad():
            self.linear.weight.copy_(torch.randn(10, 28 * 28, generator=generator) * 0.05)
            self.linear.bias.copy_(torch.randn(10, generator=generator))
            self.linear.bias[0] = -1e4  # class 0 never wins in evaluation mode
        self.drop = nn.Dropout(p=1.0)

    def forward(self, x):
        return self.drop(self.linear(x.flatten(1)))


class InvertedTestImage:
    """A transform the test knows: the slide's test pipeline (Resize((150, 150)),
    CenterCrop((128, 128)), ToTensor, Normalize((0.5,)*3, (0.5,)*3)), then negated: the
    photographic negative, nothing random."""

    def __call__(self, image):
        from torchvision import transforms

        return -transforms.Compose([
            transforms.ToPILImage(), transforms.Resize((150, 150)),
            transforms.CenterCrop((128, 128)), transforms.ToTensor(),
            transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))])(image)


class Tag:
    """A transform that marks which pipeline an image went through."""

    def __init__(self, value):
        self.value = value

    def __call__(self, image):
        import torch

        return torch.full((1,), self.value)


def mnist_loaders(n_train=256, n_val=130):
    """Small MNIST train and validation loaders (the tests' and the probes' alike)."""
    from torch.utils.data import DataLoader, Subset
    from torchvision import datasets, transforms

    data = datasets.MNIST(str(locate("mnist")), train=True, transform=transforms.ToTensor())
    train = DataLoader(Subset(data, range(n_train)), batch_size=64, shuffle=True)
    val = DataLoader(Subset(data, range(n_train, n_train + n_val)), batch_size=64)
    return train, val


def quiet_trainer(**kw):
    import lightning as L

    return L.Trainer(accelerator="cpu", devices=1, logger=False, enable_checkpointing=False,
                     enable_progress_bar=False, enable_model_summary=False, **kw)
