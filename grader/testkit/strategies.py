"""Hypothesis strategies shared by the exercise tests (all in one place)."""

from __future__ import annotations

from hypothesis import strategies as st

sizes = st.integers(min_value=1, max_value=7)
kernel_sides = st.integers(min_value=1, max_value=5)


@st.composite
def int_or_pair(draw, elements):
    """An int, or an (h, w) pair with two different values."""
    if draw(st.booleans()):
        return draw(elements)
    return (draw(elements), draw(elements))


@st.composite
def conv_layers(draw):
    """Arguments of a Conv2d layer: channels divisible by groups, any kernel, bias or not."""
    groups = draw(st.sampled_from([1, 1, 2, 3, 4]))
    in_channels = groups * draw(st.integers(1, 4))
    out_channels = groups * draw(st.integers(1, 4))
    return dict(in_channels=in_channels, out_channels=out_channels,
                kernel_size=draw(int_or_pair(kernel_sides)), bias=draw(st.booleans()),
                groups=groups)


@st.composite
def conv_geometries(draw):
    """Input size, kernel, stride, padding and dilation that give a valid output."""
    kernel = draw(int_or_pair(kernel_sides))
    dilation = draw(int_or_pair(st.integers(1, 3)))
    stride = draw(int_or_pair(st.integers(1, 3)))
    kh, kw = kernel if isinstance(kernel, tuple) else (kernel, kernel)
    padding = draw(int_or_pair(st.integers(0, 2)))
    ph, pw = padding if isinstance(padding, tuple) else (padding, padding)
    dh, dw = dilation if isinstance(dilation, tuple) else (dilation, dilation)
    min_h = max(1, dh * (kh - 1) + 1 - 2 * ph)
    min_w = max(1, dw * (kw - 1) + 1 - 2 * pw)
    h = draw(st.integers(min_h, min_h + 12))
    w = draw(st.integers(min_w, min_w + 12))
    return dict(input_hw=(h, w), kernel_size=kernel, stride=stride, padding=padding,
                dilation=dilation)


@st.composite
def pool_geometries(draw):
    """MaxPool2d settings: padding at most half the kernel, as PyTorch requires."""
    k = draw(st.integers(1, 4))
    s = draw(st.integers(1, 4))
    p = draw(st.integers(0, k // 2))
    h = draw(st.integers(k, k + 13))
    w = draw(st.integers(k, k + 13))
    return dict(input_hw=(h, w), kernel_size=k, stride=s, padding=p)


@st.composite
def naive_conv_cases(draw):
    """Small tensors for a hand-written convolution: x, weight shape, bias, stride, padding."""
    n = draw(st.integers(1, 2))
    c_in = draw(st.integers(1, 3))
    c_out = draw(st.integers(1, 3))
    kh, kw = draw(kernel_sides.filter(lambda k: k <= 3)), draw(st.integers(1, 3))
    padding = draw(int_or_pair(st.integers(0, 2)))
    stride = draw(int_or_pair(st.integers(1, 2)))
    h = draw(st.integers(kh, kh + 5))
    w = draw(st.integers(kw, kw + 5))
    return dict(x_shape=(n, c_in, h, w), w_shape=(c_out, c_in, kh, kw),
                bias=draw(st.booleans()), stride=stride, padding=padding,
                seed=draw(st.integers(0, 2 ** 16)))


stacks = st.lists(st.tuples(st.integers(1, 5), st.integers(1, 3)), min_size=1, max_size=4)


@st.composite
def rgb_images(draw):
    """An HxWx3 uint8 image of random size and content (numpy)."""
    import numpy as np

    h, w = draw(st.integers(16, 72)), draw(st.integers(16, 72))
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 16)))
    return rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8)
