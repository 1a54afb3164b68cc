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
    raise NotImplementedError('TODO: the file in grayscale, resized to size x size, pixels scaled to [0, 1]; return the array and the same pixels as a batch of one single-channel image | vi: đọc tệp dưới dạng ảnh xám, đổi kích thước thành size x size, đưa điểm ảnh về [0, 1]; trả về mảng đó và cùng các điểm ảnh ấy dưới dạng một batch gồm một ảnh một kênh')


def feature_maps(model, image):
    """Run ``model`` on ``image`` without gradients; always return a tuple of tensors."""
    # TODO: we only look, we do not learn: no gradients; always return a tuple of maps
    # TODO (vi): ở đây chỉ quan sát, không học: không tính gradient; luôn trả về một tuple các
    # TODO (vi): feature map
    raise NotImplementedError('TODO: we only look, we do not learn: no gradients; always return a tuple of maps | vi: ở đây chỉ quan sát, không học: không tính gradient; luôn trả về một tuple các feature map')


def plot_feature_maps(maps, title):
    """One axes per channel of ``maps`` [1, C, H, W]: gray colormap, axes off, a title.

    Returns the matplotlib Figure; never calls ``plt.show()``. Build it with
    ``matplotlib.figure.Figure`` or with ``plt.subplots`` as on the slide: the tests close
    pyplot figures themselves.
    """
    # TODO: one gray panel per channel, axes hidden, the title above them; return the figure
    # TODO (vi): mỗi kênh một ô màu xám, ẩn trục, tiêu đề ở phía trên; trả về figure
    raise NotImplementedError('TODO: one gray panel per channel, axes hidden, the title above them; return the figure | vi: mỗi kênh một ô màu xám, ẩn trục, tiêu đề ở phía trên; trả về figure')
