"""Classify images a grader hands in, through the student's own preprocessing.

A grader measures accuracy itself: it sends images (raw pixels, as the data set stores
them) and scores the predicted classes against labels the student's side never holds
(``grader/grading/heldout.py``). The form of the images:

- MNIST: ``uint8``, ``N x 28 x 28``, as ``torchvision.datasets.MNIST.data``;
- CIFAR-10: ``uint8``, ``N x 3 x 32 x 32`` (channels first), the decoded JPEG pixels.

Each image goes through the student's *test* data set as if it were one of its own
images: a copy of that data set whose stored images are swapped for the grader's, so its
own ``__getitem__`` and transform (``ToTensor``, ``Normalize``, the backbone's resize and
ImageNet statistics, ...) prepare it exactly as they prepare the test set. Only when the
data set is of no known kind are the images scaled to ``[0, 1]`` as ``ToTensor`` does.
"""

from __future__ import annotations

import copy


def _base(dataset):
    """The data set under any chain of ``Subset``s (they only select indices)."""
    from torch.utils.data import Subset

    while isinstance(dataset, Subset):
        dataset = dataset.dataset
    return dataset


def _pil(image):
    from torchvision.transforms.functional import to_pil_image

    return to_pil_image(image)  # 'L' for H x W uint8, 'RGB' for 3 x H x W uint8


class _Images:
    """A data set of ``images`` through ``transform`` (the fallback)."""

    def __init__(self, images, transform):
        self.images, self.transform = images, transform

    def __len__(self):
        return len(self.images)

    def __getitem__(self, index):
        return self.transform(_pil(self.images[index])), 0


class _FromIndex:
    """An ``ImageFolder`` loader that reads image ``i`` from memory instead of a file."""

    def __init__(self, images):
        self.images = images

    def __call__(self, index):
        return _pil(self.images[index])


def with_images(dataset, images):
    """A copy of ``dataset`` (torchvision's MNIST or CIFAR10, an ``ImageFolder``, or a
    ``Subset`` of one) that yields ``(prepared image, 0)`` for each of ``images``, prepared
    by the data set's own code and transform. The labels are all 0: the grader keeps the
    real ones."""
    import torch
    from torchvision import transforms

    images = torch.as_tensor(images)
    if images.dtype != torch.uint8:
        raise TypeError(f"images must be uint8 pixels, not {images.dtype}")
    base = _base(dataset)
    n = len(images)
    data = getattr(base, "data", None)
    if isinstance(data, torch.Tensor) and hasattr(base, "targets"):  # MNIST and its kin
        if images.dim() != data.dim():
            raise ValueError(f"images of shape {tuple(images.shape[1:])}; this data set "
                             f"stores {tuple(data.shape[1:])}")
        twin = copy.copy(base)
        twin.data, twin.targets = images.clone(), torch.zeros(n, dtype=torch.long)
        return twin
    if data is not None and hasattr(data, "shape") and hasattr(base, "targets"):  # CIFAR10
        twin = copy.copy(base)
        twin.data, twin.targets = images.permute(0, 2, 3, 1).contiguous().numpy(), [0] * n
        return twin
    if hasattr(base, "samples") and hasattr(base, "loader"):  # ImageFolder / DatasetFolder
        twin = copy.copy(base)
        twin.samples = twin.imgs = [(i, 0) for i in range(n)]
        twin.targets = [0] * n
        twin.loader = _FromIndex(images)
        return twin
    return _Images(images, getattr(base, "transform", None) or transforms.ToTensor())


def predict(model, images, dataset, batch_size: int = 500):
    """The class ``model`` predicts for each of ``images`` (a ``LongTensor``), each image
    prepared by ``dataset``'s own code (see ``with_images``); in evaluation mode, without
    gradients, on the device the model's weights are on."""
    import torch
    from torch.utils.data import DataLoader

    loader = DataLoader(with_images(dataset, images), batch_size=batch_size, shuffle=False)
    params = next(iter(model.parameters()), None)
    device = params.device if params is not None else torch.device("cpu")
    was_training = model.training
    model.eval()
    out = []
    try:
        with torch.no_grad():
            for x, _ in loader:
                out.append(model(x.to(device)).argmax(dim=1).cpu())
    finally:
        model.train(was_training)
    return torch.cat(out) if out else torch.zeros(0, dtype=torch.long)
