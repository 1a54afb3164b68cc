"""A convolution written by hand, to see its two key properties.

* Sparse connectivity: each output pixel reads only a k x k window of the input.
* Parameter sharing: the same kernel weights are used at every position.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def _pair(value) -> tuple[int, int]:
    if isinstance(value, (tuple, list)):
        return int(value[0]), int(value[1])
    return int(value), int(value)


def conv2d_naive(x, weight, bias=None, stride=1, padding=0):
    """Same result as ``F.conv2d(x, weight, bias, stride, padding)``, without calling it.

    x: [N, C_in, H, W]; weight: [C_out, C_in, k_h, k_w]; bias: [C_out] or None.
    Loop over output positions; at each one take the input window under the
    kernel and combine it with the (shared) weights.
    """
    # TODO: pad, then for every output (i, j) multiply the window by the kernel and sum
    # TODO (vi): thêm padding, rồi với mỗi vị trí đầu ra (i, j) nhân cửa sổ với kernel và cộng
    # TODO (vi): lại
    ### BEGIN SOLUTION
    sh, sw = _pair(stride)
    ph, pw = _pair(padding)
    x = F.pad(x, (pw, pw, ph, ph))
    n, c_in, h, w = x.shape
    c_out, _, kh, kw = weight.shape
    out_h = (h - kh) // sh + 1
    out_w = (w - kw) // sw + 1
    rows = []
    for i in range(out_h):
        cols = []
        for j in range(out_w):
            window = x[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw]  # sparse: k x k only
            cols.append(torch.einsum("nchw,ochw->no", window, weight))  # shared weights
        rows.append(torch.stack(cols, dim=-1))
    out = torch.stack(rows, dim=-2)
    if bias is not None:
        out = out + bias.view(1, -1, 1, 1)
    return out
    ### END SOLUTION
