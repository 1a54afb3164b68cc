"""Data augmentation: random changes for training images only."""

from __future__ import annotations

import torch
from matplotlib.figure import Figure
from torchvision import transforms


def build_train_transform():
    """The slide's training pipeline, randomness included.

    ToPILImage, Resize((150, 150)), RandomCrop((128, 128)), RandomHorizontalFlip(p=0.2),
    ColorJitter(0.1, 0.1, 0.1, 0.1), ToTensor, Normalize((0.5,)*3, (0.5,)*3).
    """
    # TODO: the seven steps of the docstring chained into one pipeline, in the slide's order
    # TODO (vi): nối bảy bước trong docstring thành một pipeline, theo đúng thứ tự trên slide
    ### BEGIN SOLUTION
    return transforms.Compose([
        transforms.ToPILImage(),
        transforms.Resize((150, 150)),
        transforms.RandomCrop((128, 128)),
        transforms.RandomHorizontalFlip(p=0.2),
        transforms.ColorJitter(brightness=0.1, contrast=0.1, saturation=0.1, hue=0.1),
        transforms.ToTensor(),
        transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5)),
    ])
    ### END SOLUTION


def build_test_transform():
    """The slide's test pipeline: the same size and scale, and nothing random.

    ToPILImage, Resize((150, 150)), CenterCrop((128, 128)), ToTensor, Normalize.
    """
    # TODO: like the train pipeline, with CenterCrop and without the random steps
    # TODO (vi): giống pipeline huấn luyện, nhưng dùng CenterCrop và bỏ các bước ngẫu nhiên
    ### BEGIN SOLUTION
    return transforms.Compose([
        transforms.ToPILImage(),
        transforms.Resize((150, 150)),
        transforms.CenterCrop((128, 128)),
        transforms.ToTensor(),
        transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5)),
    ])
    ### END SOLUTION


def augmentation_grid(images, transform, seed=0, title="Original vs augmented"):
    """Top row: the originals (test transform); bottom row: one random version of each.

    ``images`` are HxWx3 uint8 arrays. Like the lecture's figures 3 and 4.
    """
    torch.manual_seed(seed)
    plain = build_test_transform()
    fig = Figure(figsize=(2 * len(images), 4.4))
    axes = fig.subplots(2, len(images), squeeze=False)
    for col, image in enumerate(images):
        for row, pipeline in enumerate((plain, transform)):
            shown = (pipeline(image) * 0.5 + 0.5).clamp(0, 1).permute(1, 2, 0).numpy()
            axes[row, col].imshow(shown)
            axes[row, col].axis("off")
    axes[0, 0].set_title("original", loc="left")
    axes[1, 0].set_title("augmented", loc="left")
    fig.suptitle(title)
    return fig
