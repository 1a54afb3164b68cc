"""Counting parameters and sizes: why a CNN is so much smaller than an MLP.

Formulas (see README.md):
* Conv2d weights:  k_h * k_w * (C_in / groups) * C_out, plus C_out biases
* Linear weights:  in_features * out_features, plus out_features biases
* Output size:     floor((H + 2p - d*(k-1) - 1) / s) + 1
"""

from __future__ import annotations


def _pair(value) -> tuple[int, int]:
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"expected an int or an (h, w) pair, got {value!r}")
        return int(value[0]), int(value[1])
    return int(value), int(value)


def conv2d_param_count(in_channels, out_channels, kernel_size, bias=True, groups=1) -> int:
    """Number of learnable values in ``nn.Conv2d(in_channels, out_channels, kernel_size, ...)``.

    ``kernel_size`` is an int or an (h, w) pair. With ``groups`` > 1 every output
    channel only sees ``in_channels // groups`` input channels.
    """
    # TODO: weights per kernel times number of kernels, plus one bias per output channel
    # TODO (vi): số trọng số của mỗi kernel nhân với số kernel, cộng một bias cho mỗi kênh đầu
    # TODO (vi): ra
    ### BEGIN SOLUTION
    if in_channels % groups or out_channels % groups:
        raise ValueError("in_channels and out_channels must both be divisible by groups")
    kh, kw = _pair(kernel_size)
    weights = kh * kw * (in_channels // groups) * out_channels
    return int(weights + (out_channels if bias else 0))
    ### END SOLUTION


def linear_param_count(in_features out_features, bias=True) -> int:
    """Number of learnable values in ``nn.Linear(in_features, out_features, bias)``."""
    # TODO: one weight per (input, output) pair, plus one bias per output
    # TODO (vi): một trọng số cho mỗi cặp (đầu vào, đầu ra), cộng một bias cho mỗi đầu ra
    ### BEGIN SOLUTION
    return int(in_features * out_features + (out_features if bias else 0))
    ### END SOLUTION


def conv2d_output_shape(input_hw, kernel_size, stride=1, padding=0, dilation=1) -> tuple[int, int]:
    """(height, width) after a Conv2d, or after a MaxPool2d (floor mode), with these settings.

    Every argument but ``input_hw`` is an int or an (h, w) pair.
    """
    # TODO: floor((H + 2p - d*(k-1) - 1) / s) + 1, for height and width separately
    # TODO (vi): floor((H + 2p - d*(k-1) - 1) / s) + 1, tính riêng cho chiều cao và chiều rộng
    ### BEGIN SOLUTION
    sizes = _pair(input_hw)
    k, s, p, d = _pair(kernel_size), _pair(stride), _pair(padding), _pair(dilation)
    out = tuple((sizes[i] + 2 * p[i] - d[i] * (k[i] - 1) - 1) // s[i] + 1 for i in range(2))
    return int(out[0]), int(out[1])
    ### END SOLUTION


def receptive_field(kernel_sizes, strides=None) -> int:
    """How many input pixels (along one side) one output pixel of a conv stack sees.

    Three stacked 3x3 convolutions with stride 1 see a 7x7 window.
    """
    # TODO: each layer adds (k - 1) times the product of the strides before it
    # TODO (vi): mỗi lớp cộng thêm (k - 1) nhân với tích các stride của những lớp trước nó
    ### BEGIN SOLUTION
    strides = list(strides) if strides is not None else [1] * len(kernel_sizes)
    if len(strides) != len(kernel_sizes):
        raise ValueError("kernel_sizes and strides must have the same length")
    field, jump = 1, 1
    for k, s in zip(kernel_sizes, strides):
        field += (int(k) - 1) * jump
        jump *= int(s)
    return int(field)
    ### END SOLUTION


def count_parameters(model, trainable_only=False) -> int:
    """Total number of parameter values in ``model`` (only trainable ones if asked)."""
    # TODO: count the values of every parameter tensor; with trainable_only, only the ones
    # TODO: the optimizer may change (frozen ones do not count)
    # TODO (vi): đếm số giá trị của mọi tensor tham số; với trainable_only, chỉ đếm những tham
    # TODO (vi): số optimizer được thay đổi (tham số bị đóng băng không tính)
    ### BEGIN SOLUTION
    return int(sum(p.numel() for p in model.parameters()
                   if p.requires_grad or not trainable_only))
    ### END SOLUTION


def storage_size_gb(model) -> float:
    """Storage of the parameters in GB, as the lecture computes it: bytes / 1024**3."""
    # TODO: bytes of every parameter (values x bytes per value), in GB as the lecture counts
    # TODO (vi): số byte của mọi tham số (số giá trị x số byte mỗi giá trị), đổi ra GB như bài
    # TODO (vi): giảng tính
    ### BEGIN SOLUTION
    total = sum(p.numel() * p.element_size() for p in model.parameters())
    return float(total / (1024 ** 3))
    ### END SOLUTION
