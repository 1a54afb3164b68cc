"""Feature maps: load an image, run the CNN, plot one panel per channel."""

import numpy as np
import pytest
import torch
import torch.nn as nn
from matplotlib.figure import Figure
from PIL import Image

from grader.testkit.checks import check_shape
from grader.testkit.harness import exercise, topic_data

fm = exercise(__file__, "feature_maps")
FISH = topic_data(__file__, "fish.png")


class _TwoMaps(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(1, 2, 3, padding=1)
        self.b = nn.Conv2d(2, 3, 3, padding=1)

    def forward(self, x):
        y = self.a(x)
        return y, self.b(y)


def test_load_image_shapes_and_range():
    for size in (64, 32):
        img, tensor = fm.load_image(FISH, size=size)
        assert isinstance(img, np.ndarray) and img.shape == (size, size), (
            f"load_image(fish.png, size={size}) returned an image of "
            f"{getattr(img, 'shape', type(img).__name__)}; expected a numpy array ({size}, {size})"
            " - grayscale, resized")
        check_shape(f"load_image(fish.png, size={size})[1]", tensor, (1, 1, size, size),
                    "a batch of one single-channel image: unsqueeze twice")
        assert tensor.dtype == torch.float32, f"tensor dtype is {tensor.dtype}; expected float32"
        assert 0.0 <= img.min() and img.max() <= 1.0 and img.max() > 0.5, (
            f"pixel values span [{img.min()}, {img.max()}]; expected [0, 1]: divide by 255")


def test_load_image_is_grayscale_of_the_file():
    with Image.open(FISH) as im:
        expected = np.asarray(im.convert("L").resize((64, 64)), dtype=np.float64) / 255.0
    img, tensor = fm.load_image(FISH)
    assert np.abs(img - expected).max() < 0.02, (
        "load_image(fish.png) differs from the file read in grayscale ('L'), resized to "
        "64x64 and divided by 255")
    assert torch.allclose(tensor[0, 0], torch.tensor(img, dtype=torch.float32), atol=1e-6), (
        "the tensor must hold the same pixels as the array")


def test_feature_maps_returns_tuple_without_gradients():
    maps = fm.feature_maps(_TwoMaps(), torch.rand(1, 1, 16, 16))
    assert isinstance(maps, tuple) and len(maps) == 2, (
        f"feature_maps(model, image) returned {type(maps).__name__}; expected a tuple with one "
        "tensor per model output")
    assert not any(m.requires_grad for m in maps), (
        "the feature maps carry gradients: compute them inside torch.no_grad(), we only look")
    single = fm.feature_maps(nn.Conv2d(1, 2, 3), torch.rand(1, 1, 8, 8))
    assert isinstance(single, tuple) and len(single) == 1, (
        "a model that returns one tensor must still give a tuple of one")


@pytest.fixture
def nothing_on_screen(monkeypatch):
    import matplotlib.pyplot as plt

    def forbidden(*a, **k):
        raise AssertionError("plot_feature_maps called plt.show(): return the figure instead")

    monkeypatch.setattr(plt, "show", forbidden)
    before = set(plt.get_fignums())
    yield
    after = set(plt.get_fignums()) - before
    plt.close("all")
    assert not after, ("plot_feature_maps left a pyplot figure open: build a "
                       "matplotlib.figure.Figure, or close what you open")


def test_plot_feature_maps_one_gray_panel_per_channel(nothing_on_screen):
    maps = torch.rand(1, 4, 10, 12)
    fig = fm.plot_feature_maps(maps, "Layer 1 - edges")
    assert isinstance(fig, Figure), f"returned {type(fig).__name__}; expected a Figure"
    with_images = [ax for ax in fig.axes if ax.images]
    assert len(with_images) == 4, (
        f"the figure has {len(with_images)} panels with an image; expected 4, one per channel")
    for i, ax in enumerate(with_images):
        image = ax.images[0]
        assert image.get_array().shape == (10, 12), (
            f"panel {i} shows an array of {image.get_array().shape}; expected (10, 12)")
        assert np.allclose(np.asarray(image.get_array()), maps[0, i].numpy()), (
            f"panel {i} does not show channel {i}")
        assert image.get_cmap().name == "gray", f"panel {i} uses cmap {image.get_cmap().name!r}"
        assert not ax.axison, f"panel {i} still shows its axes: call ax.axis('off')"
    title = fig._suptitle.get_text() if fig._suptitle else ""
    assert title == "Layer 1 - edges", f"the figure's title is {title!r}; use fig.suptitle(title)"
