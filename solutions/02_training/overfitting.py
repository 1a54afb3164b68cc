"""Overfitting on a small MNIST subset, and the lecture's remedies: Dropout, BatchNorm and
data augmentation (rotation, crop, brightness), each seen in its learning curves."""

from __future__ import annotations

import torch
from matplotlib.figure import Figure
from torchvision import transforms


def small_cnn(dropout=0.0, batchnorm=False):
    """A small CNN with far more weights than 128 training images can pin down.

    Conv2d(1, 8, kernel_size=5) [-> BatchNorm2d(8) when ``batchnorm``] -> ReLU ->
    MaxPool2d(2) -> flatten (8 x 12 x 12 = 1152 values) -> [Dropout(dropout)] ->
    Linear(1152, 128) -> ReLU -> [Dropout(dropout)] -> Linear(128, 10).
    The Dropout layers are there only when ``dropout`` > 0. Build the layers in this order.
    """
    # TODO: the layers of the docstring, in its order; BatchNorm2d and Dropout only when asked
    # TODO (vi): các lớp trong docstring, theo đúng thứ tự; chỉ thêm BatchNorm2d và Dropout
    # TODO (vi): khi được yêu cầu
    ### BEGIN SOLUTION
    features = [torch.nn.Conv2d(1, 8, kernel_size=5)]
    if batchnorm:
        features.append(torch.nn.BatchNorm2d(8))
    features += [torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Flatten()]
    drop = [torch.nn.Dropout(dropout)] if dropout > 0 else []
    classifier = [*drop, torch.nn.Linear(1152, 128), torch.nn.ReLU(), *drop,
                  torch.nn.Linear(128, 10)]
    return torch.nn.Sequential(*features, *classifier)
    ### END SOLUTION


def mnist_augmentation():
    """The lecture's augmentations (figures 3 and 4) for a batch of MNIST images
    ``[N, 1, 28, 28]`` with values in [0, 1]: RandomRotation(15), RandomCrop(28, padding=2)
    and ColorJitter(brightness=0.3), in this order."""
    # TODO: chain the three random transforms of the docstring
    # TODO (vi): nối ba phép biến đổi ngẫu nhiên trong docstring
    ### BEGIN SOLUTION
    return transforms.Compose([
        transforms.RandomRotation(15),
        transforms.RandomCrop(28, padding=2),
        transforms.ColorJitter(brightness=0.3),
    ])
    ### END SOLUTION


def accuracy(model, images, labels):
    """The fraction of ``images`` that ``model`` classifies right, in evaluation mode."""
    model.eval()
    with torch.no_grad():
        return (model(images).argmax(dim=1) == labels).float().mean().item()


def learning_curves(model, train_images, train_labels, val_images, val_labels, epochs=15,
                    lr=0.05, batch_size=32, seed=0, augment=None):
    """Train ``model`` in place and return its learning curves.

    SGD with momentum 0.9 on the cross-entropy loss, ``epochs`` passes over the training
    images in batches of ``batch_size``, shuffled by a generator seeded with ``seed``.
    ``augment``, when given, transforms each training batch before the step: never the
    images an accuracy is measured on. After each epoch: the accuracy (``accuracy`` above)
    on all the training images and on all the validation images.

    Returns ``{"train_acc": [...], "val_acc": [...]}``, one value per epoch.
    """
    # TODO: the loop of the docstring; measure both accuracies after every epoch
    # TODO (vi): vòng lặp trong docstring; đo cả hai độ chính xác sau mỗi epoch
    ### BEGIN SOLUTION
    order = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    curves = {"train_acc": [], "val_acc": []}
    for epoch in range(epochs):
        model.train()
        for batch in torch.randperm(len(train_images), generator=order).split(batch_size):
            images = train_images[batch]
            if augment is not None:
                images = augment(images)
            loss = torch.nn.functional.cross_entropy(model(images), train_labels[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        curves["train_acc"].append(accuracy(model, train_images, train_labels))
        curves["val_acc"].append(accuracy(model, val_images, val_labels))
    return curves
    ### END SOLUTION


def generalisation_gap(curves, last=5):
    """How much better the model does on its training images than on new ones: the mean of
    train_acc - val_acc over the ``last`` epochs."""
    # TODO: the mean difference over the last epochs
    # TODO (vi): trung bình của hiệu số qua các epoch cuối
    ### BEGIN SOLUTION
    train, val = curves["train_acc"][-last:], curves["val_acc"][-last:]
    return sum(t - v for t, v in zip(train, val)) / len(train)
    ### END SOLUTION


def plot_learning_curves(runs):
    """One panel per run (``{"plain": curves, "dropout": curves, ...}``): train and
    validation accuracy per epoch, and the gap in the panel's title."""
    fig = Figure(figsize=(3.2 * len(runs), 3.6), layout="constrained")
    axes = fig.subplots(1, len(runs), squeeze=False, sharey=True)[0]
    for ax, (name, curves) in zip(axes, runs.items()):
        epochs = range(1, len(curves["train_acc"]) + 1)
        ax.plot(epochs, curves["train_acc"], label="train / huấn luyện")
        ax.plot(epochs, curves["val_acc"], label="validation / kiểm định")
        ax.set_title(f"{name}\ngap / khoảng cách {generalisation_gap(curves):.2f}")
        ax.set_xlabel("epoch")
    axes[0].set_ylabel("accuracy / độ chính xác")
    axes[0].legend(loc="lower right", fontsize="small")
    fig.suptitle("Learning curves on 128 MNIST images / Đường cong học trên 128 ảnh MNIST")
    return fig
