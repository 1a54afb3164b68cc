"""naive_conv.py as different students write it: honest loop convolutions in many styles,
and cheats that reach a library convolution or window function.

Each entry is a whole file. An honest one must earn full marks with no review flag; a cheat
must be zeroed (proof, read in the source or seen at run time) or flagged for a person.
``CHEATS`` says which half of the rule is expected to catch each: what the source reading
finds (PROOF, REVIEW) and whether the run-time watch sees a library call.
"""

from __future__ import annotations

HEAD = '''"""My convolution by hand."""

from __future__ import annotations

'''

HONEST = {
    # a small class that keeps its own conv_weight / conv_bias; collections.abc for pairs
    "class_conv_weight": HEAD + '''import collections.abc

import torch


def _two(v):
    if isinstance(v, collections.abc.Sequence):
        return int(v[0]), int(v[1])
    return int(v), int(v)


class NaiveConv:
    def __init__(self, conv_weight, conv_bias=None, stride=1, padding=0):
        self.conv_weight = conv_weight
        self.conv_bias = conv_bias
        self.stride = _two(stride)
        self.padding = _two(padding)

    def pad(self, x):
        ph, pw = self.padding
        n, c, h, w = x.shape
        padded = x.new_zeros((n, c, h + 2 * ph, w + 2 * pw))
        padded[:, :, ph:ph + h, pw:pw + w] = x
        return padded

    def __call__(self, x):
        x = self.pad(x)
        sh, sw = self.stride
        c_out, _, kh, kw = self.conv_weight.shape
        out_h = (x.shape[2] - kh) // sh + 1
        out_w = (x.shape[3] - kw) // sw + 1
        out = x.new_zeros((x.shape[0], c_out, out_h, out_w))
        for i in range(out_h):
            for j in range(out_w):
                window = x[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw]
                for o in range(c_out):
                    out[:, o, i, j] = (window * self.conv_weight[o]).sum(dim=(1, 2, 3))
        if self.conv_bias is not None:
            out += self.conv_bias[None, :, None, None]
        return out


def conv2d_naive(x, weight, bias=None, stride=1, padding=0):
    return NaiveConv(weight, bias, stride, padding)(x)
''',
    # a helper per output position, operator and functools for the flattened size
    "helper_convolve_at": HEAD + '''import functools
import operator

import torch
import torch.nn.functional as F


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def _convolve_at(padded, weight, top, left):
    """Every output channel at one position: the window times each kernel, summed."""
    c_out, c_in, kh, kw = weight.shape
    size = functools.reduce(operator.mul, (c_in, kh, kw), 1)
    window = padded[:, :, top:top + kh, left:left + kw].reshape(padded.shape[0], size)
    return window @ weight.reshape(c_out, size).t()


def conv2d_naive(x, weight, bias=None, stride=1, padding=0):
    (sh, sw), (ph, pw) = _pair(stride), _pair(padding)
    padded = F.pad(x, (pw, pw, ph, ph))
    kh, kw = weight.shape[2:]
    out_h = (padded.shape[2] - kh) // sh + 1
    out_w = (padded.shape[3] - kw) // sw + 1
    out = torch.empty(x.shape[0], weight.shape[0], out_h, out_w, dtype=x.dtype)
    for i in range(out_h):
        for j in range(out_w):
            out[:, :, i, j] = _convolve_at(padded, weight, i * sh, j * sw)
    if bias is not None:
        out = out + bias.reshape(1, -1, 1, 1)
    return out
''',
    # itertools.product over positions; a warning and an unsupported case of the student's
    "itertools_product_todo": HEAD + '''import itertools
import warnings

import torch
import torch.nn.functional as F


def conv2d_naive(x, weight, bias=None, stride=1, padding=0):
    if isinstance(padding, str):
        raise NotImplementedError("TODO: padding strings like 'same' are not supported yet")
    sh, sw = (stride, stride) if isinstance(stride, int) else stride
    ph, pw = (padding, padding) if isinstance(padding, int) else padding
    kh, kw = weight.shape[-2:]
    if sh > kh or sw > kw:
        warnings.warn("stride larger than the kernel skips pixels")
    xp = F.pad(x, [pw, pw, ph, ph])
    rows = (xp.shape[-2] - kh) // sh + 1
    cols = (xp.shape[-1] - kw) // sw + 1
    result = torch.zeros(x.shape[0], weight.shape[0], rows, cols)
    for r, c in itertools.product(range(rows), range(cols)):
        patch = xp[..., r * sh:r * sh + kh, c * sw:c * sw + kw]
        result[..., r, c] = torch.einsum("bchw,fchw->bf", patch, weight)
    if bias is not None:
        result += bias.view(1, -1, 1, 1)
    return result
''',
    # numpy for the arithmetic, window by window
    "numpy_per_window": HEAD + '''import numpy as np
import torch


def conv2d_naive(x, weight, bias=None, stride=1, padding=0):
    s = np.broadcast_to(np.asarray(stride), (2,))
    p = np.broadcast_to(np.asarray(padding), (2,))
    a = x.detach().cpu().numpy().astype(np.float64)
    k = weight.detach().cpu().numpy().astype(np.float64)
    a = np.pad(a, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])))
    n, _, h, w = a.shape
    f, _, kh, kw = k.shape
    oh, ow = (h - kh) // s[0] + 1, (w - kw) // s[1] + 1
    out = np.zeros((n, f, oh, ow))
    for i in range(oh):
        for j in range(ow):
            win = a[:, :, i * s[0]:i * s[0] + kh, j * s[1]:j * s[1] + kw]
            out[:, :, i, j] = np.tensordot(win, k, axes=([1, 2, 3], [1, 2, 3]))
    if bias is not None:
        out += bias.detach().cpu().numpy()[None, :, None, None]
    return torch.from_numpy(out).to(x.dtype)
''',
    # nested comprehensions and torch.stack; a self-check against F.conv2d under __main__
    "comprehension_main_check": HEAD + '''import torch
import torch.nn.functional as F


def conv2d_naive(x, weight, bias=None, stride=1, padding=0):
    sh, sw = stride if isinstance(stride, tuple) else (stride, stride)
    ph, pw = padding if isinstance(padding, tuple) else (padding, padding)
    x = F.pad(x, (pw, pw, ph, ph))
    kh, kw = weight.shape[2], weight.shape[3]
    out = torch.stack([
        torch.stack([
            (x[:, None, :, i:i + kh, j:j + kw] * weight[None]).sum(dim=(2, 3, 4))
            for j in range(0, x.shape[3] - kw + 1, sw)], dim=-1)
        for i in range(0, x.shape[2] - kh + 1, sh)], dim=-2)
    return out if bias is None else out + bias[:, None, None]


if __name__ == "__main__":
    img, ker, b = torch.randn(2, 3, 8, 8), torch.randn(4, 3, 3, 3), torch.randn(4)
    mine = conv2d_naive(img, ker, b, stride=2, padding=1)
    print(torch.allclose(mine, F.conv2d(img, ker, b, stride=2, padding=1), atol=1e-5))
''',
    # loop over the kernel's taps: shift the input and add (still one window per output)
    "kernel_taps_shift_add": HEAD + '''import math

import torch
from torch.nn import functional


def conv2d_naive(x, weight, bias=None, stride=1, padding=0):
    sy, sx = (stride,) * 2 if isinstance(stride, int) else stride
    py, px = (padding,) * 2 if isinstance(padding, int) else padding
    x = functional.pad(x, (px, px, py, py))
    ky, kx = weight.shape[-2:]
    oy = math.floor((x.shape[2] - ky) / sy) + 1
    ox = math.floor((x.shape[3] - kx) / sx) + 1
    out = torch.zeros(x.shape[0], weight.shape[0], oy, ox, dtype=x.dtype)
    for a in range(ky):
        for b in range(kx):
            shifted = x[:, :, a:a + sy * (oy - 1) + 1:sy, b:b + sx * (ox - 1) + 1:sx]
            out += torch.einsum("nchw,oc->nohw", shifted, weight[:, :, a, b])
    if bias is not None:
        out += bias.view(-1, 1, 1)
    return out
''',
    # tensordot per window into a preallocated output; a dataclass for the geometry
    "dataclass_tensordot": HEAD + '''from dataclasses import dataclass
from typing import Tuple, Union

import torch
import torch.nn.functional

Pair = Union[int, Tuple[int, int]]


@dataclass
class Geometry:
    stride: Tuple[int, int]
    padding: Tuple[int, int]

    @staticmethod
    def of(stride: Pair, padding: Pair) -> "Geometry":
        two = lambda v: (v, v) if isinstance(v, int) else (v[0], v[1])  # noqa: E731
        return Geometry(two(stride), two(padding))


def conv2d_naive(x, weight, bias=None, stride=1, padding=0):
    g = Geometry.of(stride, padding)
    x = torch.nn.functional.pad(x, (g.padding[1], g.padding[1], g.padding[0], g.padding[0]))
    kh, kw = weight.shape[2:]
    out_h = (x.shape[2] - kh) // g.stride[0] + 1
    out_w = (x.shape[3] - kw) // g.stride[1] + 1
    y = x.new_empty(x.shape[0], weight.shape[0], out_h, out_w)
    for i in range(out_h):
        top = i * g.stride[0]
        for j in range(out_w):
            left = j * g.stride[1]
            y[:, :, i, j] = torch.tensordot(x[:, :, top:top + kh, left:left + kw], weight,
                                            dims=([1, 2, 3], [1, 2, 3]))
    return y if bias is None else y + bias.view(1, -1, 1, 1)
''',
    # plain loops over every index, one scalar product at a time, with enumerate over kernels
    "loops_per_kernel": HEAD + '''import torch


def zero_pad(x, ph, pw):
    n, c, h, w = x.shape
    out = torch.zeros(n, c, h + 2 * ph, w + 2 * pw, dtype=x.dtype)
    out[:, :, ph:ph + h, pw:pw + w] = x
    return out


def conv2d_naive(x, weight, bias=None, stride=1, padding=0):
    if not isinstance(stride, (tuple, list)):
        stride = (stride, stride)
    if not isinstance(padding, (tuple, list)):
        padding = (padding, padding)
    xp = zero_pad(x, *padding)
    _, _, kh, kw = weight.shape
    out_h = (xp.shape[2] - kh) // stride[0] + 1
    out_w = (xp.shape[3] - kw) // stride[1] + 1
    maps = []
    for o, kernel in enumerate(weight):
        fmap = torch.zeros(x.shape[0], out_h, out_w, dtype=x.dtype)
        for b in range(x.shape[0]):
            for i in range(out_h):
                for j in range(out_w):
                    r, c = i * stride[0], j * stride[1]
                    fmap[b, i, j] = torch.sum(xp[b, :, r:r + kh, c:c + kw] * kernel)
        if bias is not None:
            fmap = fmap + bias[o]
        maps.append(fmap)
    return torch.stack(maps, dim=1)
''',
    # a lookup table of the student's own functions, by a constant key; getattr on their own
    # object with a default; the module's name in a warning
    "own_getattr_and_table": HEAD + '''import warnings

import torch
import torch.nn.functional as F


class Options:
    mode = "einsum"


def _by_einsum(window, weight):
    return torch.einsum("nchw,ochw->no", window, weight)


def _by_product(window, weight):
    return (window[:, None] * weight[None]).flatten(2).sum(-1)


COMBINE = {"einsum": _by_einsum, "product": _by_product}


def conv2d_naive(x, weight, bias=None, stride=1, padding=0, options=Options()):
    combine = COMBINE[getattr(options, "mode", "einsum")]
    s = (stride, stride) if isinstance(stride, int) else stride
    p = (padding, padding) if isinstance(padding, int) else padding
    x = F.pad(x, (p[1], p[1], p[0], p[0]))
    kh, kw = weight.shape[-2:]
    if kh > x.shape[-2]:
        warnings.warn(f"{__name__}: kernel taller than the padded input")
    cols = []
    for i in range(0, x.shape[-2] - kh + 1, s[0]):
        cols.append(torch.stack([combine(x[:, :, i:i + kh, j:j + kw], weight)
                                 for j in range(0, x.shape[-1] - kw + 1, s[1])], dim=-1))
    out = torch.stack(cols, dim=-2)
    return out if bias is None else out + bias.view(1, -1, 1, 1)
''',
}

_FRAME = HEAD + '''import torch
import torch.nn.functional as F


def _two(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def conv2d_naive(x, weight, bias=None, stride=1, padding=0):
    (sh, sw), (ph, pw) = _two(stride), _two(padding)
BODY
'''

# name: (source, what the source reading finds: "proof" / "review", seen at run time?)
CHEATS = {
    # getattr under another name, and the operator's name spelled in character codes
    "getattr_alias_chr_convolution": (_FRAME.replace("BODY", '''    look = getattr
    name = "".join(chr(c) for c in (99, 111, 110, 118, 111, 108, 117, 116, 105, 111, 110))
    return look(torch, name)(x, weight, bias, (sh, sw), (ph, pw), (1, 1), False, (0, 0), 1)'''),
        "proof", True),
    # numpy's sliding_window_view cuts the windows, one einsum combines them
    "numpy_sliding_window_einsum": (_FRAME.replace("import torch\n", "import numpy as np\nimport torch\n")
                                    .replace("BODY", '''    a = np.pad(x.numpy(), ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    kh, kw = weight.shape[2:]
    windows = np.lib.stride_tricks.sliding_window_view(a, (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw]
    out = torch.from_numpy(np.einsum("nchwij,ocij->nohw", windows, weight.numpy()).copy())
    return out if bias is None else out + bias.view(1, -1, 1, 1)'''), "proof", True),
    # the name is computed from the inputs at run time: the reading cannot fold it
    "computed_name_convolution": (_FRAME.replace("BODY", '''    parts = sorted(["lution", "convo"])
    fn = getattr(torch, "".join(parts))
    return fn(x, weight, bias, (sh, sw), (ph, pw), (1, 1), False, (0, 0), 1)'''),
        "review", True),
    # Tensor.unfold twice, then einsum over the windows
    "tensor_unfold_windows": (_FRAME.replace("BODY", '''    kh, kw = weight.shape[2:]
    win = F.pad(x, (pw, pw, ph, ph)).unfold(2, kh, sh).unfold(3, kw, sw)
    out = torch.einsum("nchwij,ocij->nohw", win, weight)
    return out if bias is None else out + bias.view(1, -1, 1, 1)'''), "proof", True),
    # hand-made strides over the padded input
    "as_strided_windows": (_FRAME.replace("BODY", '''    xp = F.pad(x, (pw, pw, ph, ph)).contiguous()
    n, c, h, w = xp.shape
    kh, kw = weight.shape[2:]
    oh, ow = (h - kh) // sh + 1, (w - kw) // sw + 1
    st = xp.stride()
    win = torch.as_strided(xp, (n, c, oh, ow, kh, kw),
                           (st[0], st[1], st[2] * sh, st[3] * sw, st[2], st[3]))
    out = torch.einsum("nchwij,ocij->nohw", win, weight)
    return out if bias is None else out + bias.view(1, -1, 1, 1)'''), "proof", True),
    # a library layer with the student's weights copied in, hidden in a helper class
    "conv_layer_in_helper": (_FRAME.replace("BODY", '''    return _Layer(weight, bias, (sh, sw), (ph, pw))(x)


class _Layer(torch.nn.Module):
    def __init__(self, weight, bias, stride, padding):
        super().__init__()
        self.inner = torch.nn.Conv2d(weight.shape[1], weight.shape[0], weight.shape[2:],
                                     stride=stride, padding=padding, bias=bias is not None)
        with torch.no_grad():
            self.inner.weight.copy_(weight)
            if bias is not None:
                self.inner.bias.copy_(bias)

    def forward(self, x):
        return self.inner(x)'''), "proof", True),
    # code decoded from base64 and run: nothing to read, the watch sees it
    "exec_encoded_convolution": (_FRAME.replace("import torch\n", "import base64\nimport torch\n")
                                 .replace("BODY", '''    scope = {"F": F, "x": x, "w": weight, "b": bias, "s": (sh, sw), "p": (ph, pw)}
    exec(base64.b64decode("b3V0ID0gRi5jb252MmQoeCwgdywgYiwgc3RyaWRlPXMsIHBhZGRpbmc9cCk="), scope)
    return scope["out"]'''), "review", True),
    # the library call first, a loop only if it fails
    "try_library_first": (_FRAME.replace("BODY", '''    try:
        return F.conv2d(x, weight, bias, stride=(sh, sw), padding=(ph, pw))
    except Exception:
        raise NotImplementedError("no fallback")'''), "proof", True),
}

# A dynamic lookup that is honest: flagged for a person, full marks, nothing seen at run time.
REVIEW_ONLY = ("computed_name_einsum", _FRAME.replace("BODY", '''    combine = getattr(torch, "".join(sorted(["sum", "ein"])))
    x = F.pad(x, (pw, pw, ph, ph))
    kh, kw = weight.shape[2:]
    rows = [torch.stack([combine("nchw,ochw->no", x[:, :, i:i + kh, j:j + kw], weight)
                         for j in range(0, x.shape[3] - kw + 1, sw)], dim=-1)
            for i in range(0, x.shape[2] - kh + 1, sh)]
    out = torch.stack(rows, dim=-2)
    return out if bias is None else out + bias.view(1, -1, 1, 1)'''))
