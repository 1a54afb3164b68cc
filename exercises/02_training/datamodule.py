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
        # TODO: download only; Lightning may run this on one process, so keep no state here
        # TODO (vi): chỉ tải dữ liệu; Lightning có thể chỉ chạy hàm này trên một tiến trình,
        # TODO (vi): nên đừng lưu trạng thái nào ở đây
        raise NotImplementedError('TODO: download only; Lightning may run this on one process, so keep no state here | vi: chỉ tải dữ liệu; Lightning có thể chỉ chạy hàm này trên một tiến trình, nên đừng lưu trạng thái nào ở đây')

    def setup(self, stage=None):
        """``self.train``/``self.valid``: 55,000/5,000 split seeded 42; ``self.test``: test set."""
        # TODO: train and test sets as tensors in [0, 1]; split train 55,000 / 5,000 the same
        # TODO: way on every run (a generator seeded with 42)
        # TODO (vi): tập train và test dưới dạng tensor trong [0, 1]; chia train thành 55,000
        # TODO (vi): / 5,000 giống hệt nhau ở mọi lần chạy (generator có seed 42)
        raise NotImplementedError('TODO: train and test sets as tensors in [0, 1]; split train 55,000 / 5,000 the same way on every run (a generator seeded with 42) | vi: tập train và test dưới dạng tensor trong [0, 1]; chia train thành 55,000 / 5,000 giống hệt nhau ở mọi lần chạy (generator có seed 42)')

    def train_dataloader(self):
        # TODO: shuffle and drop the last incomplete batch
        # TODO (vi): xáo trộn và bỏ batch cuối chưa đủ
        raise NotImplementedError('TODO: shuffle and drop the last incomplete batch | vi: xáo trộn và bỏ batch cuối chưa đủ')

    def val_dataloader(self):
        # TODO: no shuffling, keep every sample
        # TODO (vi): không xáo trộn, giữ mọi mẫu
        raise NotImplementedError('TODO: no shuffling, keep every sample | vi: không xáo trộn, giữ mọi mẫu')

    def test_dataloader(self):
        # TODO: no shuffling, keep every sample
        # TODO (vi): không xáo trộn, giữ mọi mẫu
        raise NotImplementedError('TODO: no shuffling, keep every sample | vi: không xáo trộn, giữ mọi mẫu')
