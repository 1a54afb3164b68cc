"""Trained weights handed back by a graded run, read without trusting them.

A graded run returns a state dict (names to tensors). The trusted side reads it here and
nowhere else, so that no reply decides how much it allocates:

- ``read_state_dict(data)`` reads ``torch.save`` bytes. Before anything is unpickled the
  archive's own directory is checked against the caps (total bytes, number of tensors,
  stored uncompressed, a small pickle), so the bytes alone bound what loading may
  allocate; then ``torch.load(weights_only=True)`` and ``checked_state_dict``.
- ``checked_state_dict(obj)`` accepts only a mapping of short names to plain dense CPU
  tensors of a real number type, whose declared sizes (computed in Python, nothing
  allocated) fit the caps and whose storage really holds them, with finite values. It
  returns contiguous copies.

Each refusal is a ``BadWeights`` with an English and a Vietnamese reason.
"""

from __future__ import annotations

import io
import math
import zipfile
from collections import OrderedDict

import torch

from grader.core.errors import BadInput

MAX_BYTES = 64 << 20  # the lecture's networks: MNIST CNN 25 KB, a ResNet18 45 MB
MAX_TENSORS = 1024
MAX_PICKLE = 1 << 20
MAX_NAME = 200
MAX_DIMS = 8
FLOAT_TYPES = (torch.float16, torch.bfloat16, torch.float32, torch.float64)
COUNTER_TYPES = (torch.int64, torch.int32)  # BatchNorm's num_batches_tracked


class BadWeights(BadInput):
    """Weights the trusted side does not load: the reason in English and Vietnamese."""

    def __init__(self, why: dict[str, str]):
        super().__init__(why["en"])
        self.why = why


def _bad(en: str, vi: str) -> BadWeights:
    return BadWeights({"en": en, "vi": vi})


def _check_archive(data: bytes, max_bytes: int, max_tensors: int) -> None:
    """The archive's directory against the caps, before a byte of it is unpickled."""
    if len(data) > max_bytes + MAX_PICKLE + (64 << 10):
        raise _bad(f"the weights take {len(data)} bytes, over the limit of {max_bytes}",
                   f"bộ trọng số chiếm {len(data)} byte, vượt giới hạn {max_bytes}")
    try:
        entries = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
        raise _bad("the weights are not a torch.save archive",
                   "bộ trọng số không phải tệp lưu bằng torch.save") from None
    if len(entries) > max_tensors + 8:
        raise _bad(f"the weights hold {len(entries)} records, over the limit of {max_tensors}",
                   f"bộ trọng số có {len(entries)} bản ghi, vượt giới hạn {max_tensors}")
    total, pickles = 0, 0
    for entry in entries:
        if entry.compress_type != zipfile.ZIP_STORED or entry.file_size != entry.compress_size:
            raise _bad("the weights' archive is compressed; torch.save stores it plainly",
                       "tệp trọng số bị nén; torch.save lưu không nén")
        total += entry.file_size
        if entry.filename.endswith("/data.pkl") or entry.filename == "data.pkl":
            pickles += 1
            if entry.file_size > MAX_PICKLE:
                raise _bad(f"the weights' index takes {entry.file_size} bytes (at most "
                           f"{MAX_PICKLE})", f"phần chỉ mục của bộ trọng số chiếm "
                           f"{entry.file_size} byte (tối đa {MAX_PICKLE})")
    if pickles != 1:
        raise _bad("the weights are not a torch.save archive",
                   "bộ trọng số không phải tệp lưu bằng torch.save")
    if total > max_bytes + MAX_PICKLE:
        raise _bad(f"the weights declare {total} bytes, over the limit of {max_bytes}",
                   f"bộ trọng số khai báo {total} byte, vượt giới hạn {max_bytes}")


def read_state_dict(data, max_bytes: int = MAX_BYTES,
                    max_tensors: int = MAX_TENSORS) -> "OrderedDict[str, torch.Tensor]":
    """A state dict from ``torch.save`` bytes, checked (see the module's docstring)."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise _bad(f"the weights came as {type(data).__name__}, not the bytes of torch.save",
                   f"bộ trọng số có kiểu {type(data).__name__}, không phải dữ liệu của "
                   "torch.save")
    data = bytes(data)
    _check_archive(data, max_bytes, max_tensors)
    try:
        loaded = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - anything unreadable is the sender's fault
        raise _bad(f"the weights could not be read safely ({type(exc).__name__})",
                   f"không đọc an toàn được bộ trọng số ({type(exc).__name__})") from None
    return checked_state_dict(loaded, max_bytes, max_tensors)


def _declared_bytes(tensor: torch.Tensor) -> int:
    """What the tensor claims to hold, from its shape alone (nothing allocated)."""
    shape = tuple(tensor.shape)
    if len(shape) > MAX_DIMS or any(type(s) is not int or s < 0 for s in shape):
        raise _bad(f"a tensor of shape {shape[:MAX_DIMS + 1]}",
                   f"một tensor có kích thước {shape[:MAX_DIMS + 1]}")
    return math.prod(shape) * tensor.element_size()


def _storage_holds(tensor: torch.Tensor) -> bool:
    """Whether the tensor's storage really holds every element it addresses."""
    if tensor.numel() == 0:
        return True
    strides = tensor.stride()
    if any(s < 0 for s in strides) or tensor.storage_offset() < 0:
        return False
    last = tensor.storage_offset() + sum((n - 1) * s for n, s in zip(tensor.shape, strides))
    return (last + 1) * tensor.element_size() <= tensor.untyped_storage().nbytes()


def checked_state_dict(obj, max_bytes: int = MAX_BYTES,
                       max_tensors: int = MAX_TENSORS) -> "OrderedDict[str, torch.Tensor]":
    """``obj`` as a state dict of contiguous copies, or ``BadWeights`` saying why not."""
    if not isinstance(obj, dict):
        raise _bad(f"the weights are a {type(obj).__name__}, not a state dict (names to "
                   "tensors, model.state_dict())",
                   f"bộ trọng số là {type(obj).__name__}, không phải state dict (tên -> "
                   "tensor, model.state_dict())")
    if len(obj) > max_tensors:
        raise _bad(f"the state dict holds {len(obj)} entries, over the limit of {max_tensors}",
                   f"state dict có {len(obj)} phần tử, vượt giới hạn {max_tensors}")
    total, entries = 0, []
    for name, tensor in obj.items():
        if type(name) is not str or not 0 < len(name) <= MAX_NAME:
            raise _bad(f"a state dict entry is named {str(name)[:60]!r}: names are short strings",
                       f"một phần tử của state dict có tên {str(name)[:60]!r}: tên phải là "
                       "chuỗi ngắn")
        if type(tensor) not in (torch.Tensor, torch.nn.Parameter):
            raise _bad(f"{name!r} is a {type(tensor).__name__}, not a tensor",
                       f"{name!r} là {type(tensor).__name__}, không phải tensor")
        if tensor.layout != torch.strided or tensor.device.type != "cpu" or \
                tensor.is_quantized or tensor.is_nested:
            raise _bad(f"{name!r} is a {tensor.layout} tensor on {tensor.device.type}: plain "
                       "dense tensors were expected",
                       f"{name!r} là tensor {tensor.layout} trên {tensor.device.type}: cần "
                       "tensor dày đặc thông thường")
        if tensor.dtype not in FLOAT_TYPES + COUNTER_TYPES:
            raise _bad(f"{name!r} holds {tensor.dtype}: weights are real numbers",
                       f"{name!r} có kiểu {tensor.dtype}: trọng số phải là số thực")
        total += _declared_bytes(tensor)
        if total > max_bytes:
            raise _bad(f"the weights declare more than {max_bytes} bytes",
                       f"bộ trọng số khai báo hơn {max_bytes} byte")
        if not _storage_holds(tensor):
            raise _bad(f"{name!r} addresses memory its storage does not hold",
                       f"{name!r} trỏ tới vùng nhớ mà storage của nó không chứa")
        entries.append((name, tensor))
    out: OrderedDict[str, torch.Tensor] = OrderedDict()
    for name, tensor in entries:
        copy = tensor.detach().clone(memory_format=torch.contiguous_format)
        if copy.dtype in FLOAT_TYPES and not bool(torch.isfinite(copy).all()):
            raise _bad(f"{name!r} holds values that are not finite (nan or inf)",
                       f"{name!r} chứa giá trị không hữu hạn (nan hoặc inf)")
        out[name] = copy
    return out


def to_bytes(state: dict) -> bytes:
    """``torch.save`` bytes of a (checked) state dict."""
    buf = io.BytesIO()
    torch.save(OrderedDict(state), buf)
    return buf.getvalue()
