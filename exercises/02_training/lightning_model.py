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
        raise NotImplementedError('TODO: return (loss, accuracy) of one batch: cross entropy, argmax predictions')

    def training_step(self, batch, batch_idx):
        # TODO: log train_loss (each step) and train_acc (per epoch); return the loss
        raise NotImplementedError('TODO: log train_loss (each step) and train_acc (per epoch); return the loss')

    def validation_step(self, batch, batch_idx):
        # TODO: log val_loss and val_acc (per epoch)
        raise NotImplementedError('TODO: log val_loss and val_acc (per epoch)')

    def test_step(self, batch, batch_idx):
        # TODO: log test_acc
        raise NotImplementedError('TODO: log test_acc')

    def configure_optimizers(self):
        # TODO: SGD, as the docstring says, over all parameters, at self.learning_rate
        raise NotImplementedError('TODO: SGD, as the docstring says, over all parameters, at self.learning_rate')


def compute_accuracy(model, dataloader, device="cpu"):
    """Accuracy of ``model`` over ``dataloader`` in evaluation mode, as a float in [0, 1].

    Evaluation mode matters: BatchNorm must use its running statistics, not the
    statistics of the batch at hand.
    """
    # TODO: evaluation mode (BatchNorm: running statistics), no gradients, fraction correct
    raise NotImplementedError('TODO: evaluation mode (BatchNorm: running statistics), no gradients, fraction correct')
