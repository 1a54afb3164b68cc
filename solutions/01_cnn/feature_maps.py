"""Look inside a CNN: the feature maps of each layer, from edges to whole shapes."""

from __future__ import annotations

import numpy as np
import torch
from matplotlib.figure import Figure
from PIL import Image


def load_image(path, size=64):
    """Read ``path`` in grayscale, resize to ``size`` x ``size``, scale to [0, 1].

    Any usual resize filter is accepted: PIL's default, or bilinear as the slide's
    ``cv2.resize`` uses.

    Returns ``(image, tensor)``: a float numpy array [H, W] and a float32 tensor
    [1, 1, H, W] (a batch of one single-channel image).
    """
    # TODO: the file in grayscale, resized to size x size, pixels scaled to [0, 1];
    # TODO: return the array and the same pixels as a batch of one single-channel image
    # TODO (vi): đọc tệp dưới dạng ảnh xám, đổi kích thước thành size x size, đưa điểm ảnh về
    # TODO (vi): [0, 1]; trả về mảng đó và cùng các điểm ảnh ấy dưới dạng một batch gồm một
    # TODO (vi): ảnh một kênh
    ### BEGIN SOLUTION
    with Image.open(path) as img:
        gray = img.convert("L").resize((size, size))
    array = np.asarray(gray, dtype=np.float64) / 255.0
    tensor = torch.tensor(array, dtype=torch.float32).unsqueeze(0).unsqueeze(0)
    return array, tensor
    ### END SOLUTION


def feature_maps(model, image):
    """Run ``model`` on ``image`` without gradients; always return a tuple of tensors."""
    # TODO: we only look, we do not learn: no gradients; always return a tuple of maps
    # TODO (vi): ở đây chỉ quan sát, không học: không tính gradient; luôn trả về một tuple các
    # TODO (vi): feature map
    ### BEGIN SOLUTION
    with torch.no_grad():
        out = model(image)
    return tuple(out) if isinstance(out, (tuple, list)) else (out,)
    ### END SOLUTION


def plot_feature_maps(maps, title):
    """One axes per channel of ``maps`` [1, C, H, W]: gray colormap, axes off, a title.

    Returns the matplotlib Figure; never calls ``plt.show()``. Build it with
    ``matplotlib.figure.Figure`` or with ``plt.subplots`` as on the slide: the tests close
    pyplot figures themselves.
    """
    # TODO: one gray panel per channel, axes hidden, the title above them; return the figure
    # TODO (vi): mỗi kênh một ô màu xám, ẩn trục, tiêu đề ở phía trên; trả về figure
    ### BEGIN SOLUTION
    channels = maps.shape[1]
    fig = Figure(figsize=(max(2.0 * channels, 4.0), 2.6))
    axes = fig.subplots(1, channels, squeeze=False)[0]
    for i, ax in enumerate(axes):
        ax.imshow(maps[0, i].detach().cpu().numpy(), cmap="gray")
        ax.axis("off")
    fig.suptitle(title, fontsize=14)
    return fig
    ### END SOLUTION
