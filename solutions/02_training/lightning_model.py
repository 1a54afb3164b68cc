"""Wrap any classifier in a LightningModule: loss, accuracy, logging, optimizer."""

from __future__ import annotations

import lightning as L
import torch
import torch.nn.functional as F


class LightningModel(L.LightningModule):
    """Trains ``model`` with SGD at ``learning_rate``.

    Logs ``train_loss`` and ``train_acc`` while training, ``val_acc`` (and
    ``val_loss``) after each epoch, and ``test_acc`` in ``trainer.test``.
    """

    def __init__(self, model, learning_rate):
        super().__init__()
        self.learning_rate = learning_rate
        self.model = model
        self.save_hyperparameters(ignore=["model"])

    def forward(self, x):
        return self.model(x)

    def _shared_step(self, batch):
        # TODO: return (loss, accuracy) of one batch: cross entropy, argmax predictions
        # TODO (vi): trả về (loss, accuracy) của một batch: cross entropy, dự đoán bằng argmax
        ### BEGIN SOLUTION
        features, labels = batch
        logits = self(features)
        loss = F.cross_entropy(logits, labels)
        accuracy = (torch.argmax(logits, dim=1) == labels).float().mean()
        return loss, accuracy
        ### END SOLUTION

    def training_step(self, batch, batch_idx):
        # TODO: log train_loss (each step) and train_acc (per epoch); return the loss
        # TODO (vi): ghi log train_loss (mỗi bước) và train_acc (mỗi epoch); trả về loss
        ### BEGIN SOLUTION
        loss, acc = self._shared_step(batch)
        n = len(batch[1])
        self.log("train_loss", loss, batch_size=n)
        self.log("train_acc", acc, on_step=False, on_epoch=True, prog_bar=True, batch_size=n)
        return loss
        ### END SOLUTION

    def validation_step(self, batch, batch_idx):
        # TODO: log val_loss and val_acc (per epoch)
        # TODO (vi): ghi log val_loss và val_acc (mỗi epoch)
        ### BEGIN SOLUTION
        loss, acc = self._shared_step(batch)
        n = len(batch[1])
        self.log("val_loss", loss, batch_size=n)
        self.log("val_acc", acc, prog_bar=True, batch_size=n)
        ### END SOLUTION

    def test_step(self, batch, batch_idx):
        # TODO: log test_acc
        # TODO (vi): ghi log test_acc
        ### BEGIN SOLUTION
        _, acc = self._shared_step(batch)
        self.log("test_acc", acc, batch_size=len(batch[1]))
        ### END SOLUTION

    def configure_optimizers(self):
        # TODO: SGD, as the docstring says, over all parameters, at self.learning_rate
        # TODO (vi): SGD như docstring nói, trên mọi tham số, với learning rate
        # TODO (vi): self.learning_rate
        ### BEGIN SOLUTION
        return torch.optim.SGD(self.parameters(), lr=self.learning_rate)
        ### END SOLUTION


def compute_accuracy(model, dataloader, device="cpu"):
    """Accuracy of ``model`` over ``dataloader`` in evaluation mode, as a float in [0, 1].

    Evaluation mode matters: BatchNorm must use its running statistics, not the
    statistics of the batch at hand.
    """
    # TODO: evaluation mode (BatchNorm: running statistics), no gradients, fraction correct
    # TODO (vi): chế độ đánh giá (BatchNorm dùng thống kê tích luỹ), không tính gradient, tỉ
    # TODO (vi): lệ dự đoán đúng
    ### BEGIN SOLUTION
    model = model.eval()
    correct, total = 0, 0
    with torch.no_grad():
        for features, labels in dataloader:
            logits = model(features.to(device))
            correct += int((logits.argmax(dim=1) == labels.to(device)).sum())
            total += len(labels)
    return correct / total
    ### END SOLUTION
