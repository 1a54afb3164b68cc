"""MNIST as a LightningDataModule: download once, split 55,000 / 5,000, three loaders."""

from __future__ import annotations

import lightning as L
import torch
from torch.utils.data import DataLoader, random_split
from torchvision import datasets, transforms


class MnistDataModule(L.LightningDataModule):
    def __init__(self, data_path="./", batch_size=64, num_workers=0):
        super().__init__()
        self.batch_size = batch_size
        self.data_path = data_path
        self.num_workers = num_workers

    def prepare_data(self):
        """Download MNIST if it is not there yet. Runs on one process: set no state here."""
        # TODO: datasets.MNIST(root=..., download=True); do not assign anything to self
        raise NotImplementedError('TODO: datasets.MNIST(root=..., download=True); do not assign anything to self')

    def setup(self, stage=None):
        """``self.train``/``self.valid``: 55,000/5,000 split seeded 42; ``self.test``: test set."""
        # TODO: ToTensor datasets; random_split with torch.Generator().manual_seed(42)
        raise NotImplementedError('TODO: ToTensor datasets; random_split with torch.Generator().manual_seed(42)')

    def train_dataloader(self):
        # TODO: shuffle and drop the last incomplete batch
        raise NotImplementedError('TODO: shuffle and drop the last incomplete batch')

    def val_dataloader(self):
        # TODO: no shuffling, keep every sample
        raise NotImplementedError('TODO: no shuffling, keep every sample')

    def test_dataloader(self):
        # TODO: no shuffling, keep every sample
        raise NotImplementedError('TODO: no shuffling, keep every sample')
