"""The MNIST images a run's reported accuracies speak of, chosen by the trusted side.

``train_mnist`` reports ``val_acc`` and ``test_acc``. The README fixes where they come
from: the validation split (the 60,000 training images split 55,000 / 5,000 by
``random_split`` with ``torch.Generator().manual_seed(42)``, in order) and the 10,000 test
images, read in order by the loaders that never shuffle. A test limited to the first
``k`` batches of ``b`` images measures the first ``k * b`` of them; here they are picked
out by the same rule, so the trusted side can measure the returned weights on them.
"""

from __future__ import annotations

import torch

from grader.lab.data import locate


SPLIT_SEED = 42


def _mnist(train: bool):
    from torchvision import datasets  # lazy: keeps torchvision out of start-up

    data = datasets.MNIST(str(locate("mnist")), train=train, download=False)
    return data.data, data.targets.long()


def validation_split(n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The first ``n`` images of the seeded validation split: uint8 ``n x 28 x 28`` and
    their labels."""
    from torch.utils.data import random_split

    images, labels = _mnist(train=True)
    seeded = torch.Generator().manual_seed(SPLIT_SEED)  # the stub's docstring names the seed
    _, valid = random_split(range(len(images)), [55000, 5000], generator=seeded)
    index = torch.tensor(list(valid.indices[:n]))
    return images[index], labels[index]


def small_subset(n_train: int = 128, n_val: int = 500):
    """The overfitting exercise's data: the first ``n_train`` images of the seeded training
    split and the first ``n_val`` of the validation split, as float ``[N, 1, 28, 28]`` in
    [0, 1], with their labels (the two never share an image)."""
    from torch.utils.data import random_split

    images, labels = _mnist(train=True)
    seeded = torch.Generator().manual_seed(SPLIT_SEED)
    train, valid = random_split(range(len(images)), [55000, 5000], generator=seeded)
    picked = [torch.tensor(list(split.indices[:n])) for split, n in ((train, n_train),
                                                                      (valid, n_val))]
    return tuple(t for index in picked
                 for t in (images[index].float().div(255).unsqueeze(1), labels[index]))


def test_split(n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The first ``n`` of the 10,000 test images, and their labels."""
    images, labels = _mnist(train=False)
    return images[:n], labels[:n]


def correct_count(state: dict, images: torch.Tensor, labels: torch.Tensor) -> int:
    """How many of ``images`` the lecture's CNN with weights ``state`` classifies right,
    in evaluation mode (``reference_eval``: no student code runs)."""
    from grader.lab import reference_eval  # lazy: keeps the reference network out of start-up

    return int((reference_eval.mnist_predictions(state, images) == labels).sum())
