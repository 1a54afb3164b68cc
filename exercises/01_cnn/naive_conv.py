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
    raise NotImplementedError('TODO: pad, then for every output (i, j) multiply the window by the kernel and sum | vi: thêm padding, rồi với mỗi vị trí đầu ra (i, j) nhân cửa sổ với kernel và cộng lại')
