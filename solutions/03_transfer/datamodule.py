"""CIFAR-10 (torchvision's layout) or any ImageFolder tree, as a LightningDataModule."""

from __future__ import annotations

from pathlib import Path

import lightning as L
import torch
from torch.utils.data import DataLoader, Subset
from torchvision import datasets, transforms


class Cifar10DataModule(L.LightningDataModule):
    """Train/valid split 90% / 10% seeded 42 (45,000 / 5,000 for CIFAR-10), plus the test set.

    ``data_path`` holds either ``cifar-10-batches-py/`` (torchvision) or ``train/<class>/*``
    and ``test/<class>/*`` (ImageFolder). The validation images come from the training
    files but go through ``test_transform``: evaluation data is never augmented.
    """

    def __init__(self, data_path="./", batch_size=64, num_workers=0, train_transform=None,
                 test_transform=None):
        super().__init__()
        self.data_path = Path(data_path)
        self.batch_size = batch_size
        self.num_workers = num_workers
        self.train_transform = train_transform or transforms.ToTensor()
        self.test_transform = test_transform or transforms.ToTensor()

    def is_image_folder(self) -> bool:
        return (self.data_path / "train").is_dir() and (self.data_path / "test").is_dir()

    def prepare_data(self):
        if not self.is_image_folder():
            datasets.CIFAR10(root=self.data_path, download=True)

    def _dataset(self, split, transform):
        if self.is_image_folder():
            return datasets.ImageFolder(self.data_path / split, transform=transform)
        return datasets.CIFAR10(root=self.data_path, train=(split == "train"),
                                transform=transform, download=False)

    def setup(self, stage=None):
        # TODO: read train twice (train_transform / test_transform), split 90/10 seeded 42:
        # TODO: self.train from the first, self.valid from the second, self.test from test/
        # TODO (vi): đọc train hai lần (train_transform / test_transform), chia 90/10 với seed
        # TODO (vi): 42: self.train lấy từ lần đọc thứ nhất, self.valid từ lần thứ hai,
        # TODO (vi): self.test từ test/
        ### BEGIN SOLUTION
        train_aug = self._dataset("train", self.train_transform)
        train_plain = self._dataset("train", self.test_transform)
        n_train = len(train_aug) - len(train_aug) // 10
        # the same permutation as random_split(..., generator=torch.Generator().manual_seed(42))
        order = torch.randperm(len(train_aug), generator=torch.Generator().manual_seed(42))
        self.train = Subset(train_aug, order[:n_train].tolist())
        self.valid = Subset(train_plain, order[n_train:].tolist())
        self.test = self._dataset("test", self.test_transform)
        ### END SOLUTION

    @property
    def classes(self):
        dataset = self.test
        return list(getattr(dataset, "classes", []))

    def train_dataloader(self):
        return DataLoader(self.train, batch_size=self.batch_size, shuffle=True, drop_last=True,
                          num_workers=self.num_workers)

    def val_dataloader(self):
        return DataLoader(self.valid, batch_size=self.batch_size, shuffle=False,
                          num_workers=self.num_workers)

    def test_dataloader(self):
        return DataLoader(self.test, batch_size=self.batch_size, shuffle=False,
                          num_workers=self.num_workers)


def joint_dataset(large, target, large_classes):
    """Transfer learning of the second kind, step 1: train on the large general data set and
    the smaller target data set together (the first kind trains on the large one, then
    fine-tunes on the target).

    One data set: every item of ``large`` as it is, then every item of ``target`` with its
    label moved after the large data set's classes (``label + large_classes``), so that one
    head of ``large_classes + target classes`` outputs tells them apart. Items are
    ``(image, label)`` pairs; the images are not changed.
    """
    # TODO: the large items, then the target items with their labels moved
    # TODO (vi): các mẫu của tập lớn, rồi các mẫu của tập đích với nhãn đã dời
    ### BEGIN SOLUTION
    class Moved(torch.utils.data.Dataset):
        def __len__(self):
            return len(target)

        def __getitem__(self, index):
            image, label = target[index]
            return image, int(label) + large_classes

    return torch.utils.data.ConcatDataset([large, Moved()])
    ### END SOLUTION
