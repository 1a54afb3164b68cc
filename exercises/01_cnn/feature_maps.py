"""Look inside a CNN: the feature maps of each layer, from edges to whole shapes."""

from __future__ import annotations

import numpy as np
import torch
from matplotlib.figure import Figure
from PIL import Image


def load_image(path, size=64):
    """Read ``path`` in grayscale, resize to ``size`` x ``size``, scale to [0, 1].

    Returns ``(image, tensor)``: a float numpy array [H, W] and a float32 tensor
    [1, 1, H, W] (a batch of one single-channel image).
    """
    # TODO: PIL: open, convert("L"), resize((size, size)); divide by 255; add two dims
    raise NotImplementedError('TODO: PIL: open, convert("L"), resize((size, size)); divide by 255; add two dims')


def feature_maps(model, image):
    """Run ``model`` on ``image`` without gradients; always return a tuple of tensors."""
    # TODO: use torch.no_grad(); wrap a single tensor output in a tuple
    raise NotImplementedError('TODO: use torch.no_grad(); wrap a single tensor output in a tuple')


def plot_feature_maps(maps, title):
    """One axes per channel of ``maps`` [1, C, H, W]: gray colormap, axes off, a title.

    Returns the matplotlib Figure; never calls ``plt.show()``.
    """
    # TODO: Figure(figsize=...), one subplot per channel, imshow(cmap="gray"), axis("off")
    raise NotImplementedError('TODO: Figure(figsize=...), one subplot per channel, imshow(cmap="gray"), axis("off")')
