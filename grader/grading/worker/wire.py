"""Framing and the two encodings.

Trusted -> worker: pickle (the worker may unpickle what the trusted side wrote). Mirrors
and handles travel as persistent ids, and each mirror's current state travels with the
request, so the worker's object computes with the weights the test put in.

Worker -> trusted: ``torch.save`` bytes, read with ``torch.load(weights_only=True)`` and
an allowlist of torch and torchvision classes plus ``objects``' own. Nothing the worker
sends is ever unpickled freely.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import os
import pickle
import select
import struct

import torch

from grader.core.i18n import pick
from grader.grading.worker import objects

HEADER = struct.Struct("!Q")
# Once a frame has begun, the rest follows at once: the sender holds the whole frame in
# memory before it writes the first byte. A frame that goes this long without a byte was
# announced and never sent (student code writing on the pipe, then waiting).
STALL_S = 20.0


class WireError(Exception):
    """The other side sent something that is not a frame of the protocol (the message is
    in the run's language, in both when grading)."""


@dataclasses.dataclass
class Frame:
    """How far the frame being read got: what its header announced, what has come."""

    announced: int | None = None
    received: int = 0

    def describe(self) -> dict[str, str]:
        """What the other side announced and sent, in every language."""
        if self.announced is None:
            return {"en": f"it began a reply and sent only {self.received} of its 8 header "
                          "bytes",
                    "vi": f"nó bắt đầu một câu trả lời nhưng chỉ gửi {self.received} trên 8 "
                          "byte phần đầu"}
        size = f"{self.announced} bytes ({_mb(self.announced)})"
        return {"en": f"it announced a reply of {size} and sent {self.received} bytes of it",
                "vi": f"nó báo trước một câu trả lời {size} và chỉ gửi {self.received} byte "
                      "trong số đó"}


def _mb(size: int) -> str:
    return f"{size / (1 << 20):.1f} MB"


def send(fd: int, payload: bytes) -> None:
    for data in (HEADER.pack(len(payload)), payload):  # no joined copy of a large payload
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]


def _read_exactly(fd: int, n: int, stall_s: float | None = None,
                  frame: Frame | None = None) -> bytes:
    """``n`` bytes; with ``stall_s``, ``WireError`` when the frame has begun (``frame``
    counts what came) and then no byte comes for ``stall_s`` seconds."""
    frame = frame if frame is not None else Frame()
    chunks, left = [], n
    while left:
        if stall_s is not None and (frame.received or frame.announced is not None) \
                and not _readable(fd, stall_s):
            told = frame.describe()
            raise WireError(pick({
                "en": f"{told['en']}, then nothing for {stall_s:.0f} s: the reply never "
                      "arrived",
                "vi": f"{told['vi']}, rồi không gửi gì thêm trong {stall_s:.0f} giây: câu trả "
                      "lời không bao giờ đến"}))
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise EOFError("the other side closed the pipe")
        chunks.append(chunk)
        left -= len(chunk)
        frame.received += len(chunk)
    return b"".join(chunks)


def _readable(fd: int, seconds: float) -> bool:
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLHUP | select.POLLERR)
    return bool(poller.poll(seconds * 1000))


def receive(fd: int, cap: int, stall_s: float | None = None,
            frame: Frame | None = None) -> bytes:
    """One frame's payload. ``cap``: the most a header may announce. ``stall_s``: how long
    a begun frame may go without a byte. ``frame`` (filled in as it is read) says what was
    announced and what came, for the message of a reply that never arrived."""
    frame = frame if frame is not None else Frame()
    (size,) = HEADER.unpack(_read_exactly(fd, HEADER.size, stall_s, frame))
    frame.announced, frame.received = size, 0
    if size > cap:
        raise WireError(pick({
            "en": f"it announced a reply of {size} bytes ({_mb(size)}), over the limit of "
                  f"{_mb(cap)} for one reply, so the reply was not read",
            "vi": f"nó báo trước một câu trả lời {size} byte ({_mb(size)}), vượt giới hạn "
                  f"{_mb(cap)} của một câu trả lời, nên câu trả lời không được đọc"}))
    return _read_exactly(fd, size, stall_s, frame)


# --- trusted -> worker --------------------------------------------------------------

class _RequestPickler(pickle.Pickler):
    """Plain dense CPU tensors travel as their raw bytes (one copy each way), not as one
    ``torch.save`` archive per storage; any other tensor goes torch's own way."""

    def reducer_override(self, obj):
        if type(obj) not in (torch.Tensor, torch.nn.Parameter):
            return NotImplemented
        raw = _raw_bytes(obj)
        if raw is None:
            return NotImplemented
        return _tensor_from_bytes, (pickle.PickleBuffer(raw), str(obj.dtype).split(".")[-1],
                                    tuple(obj.shape), obj.requires_grad,
                                    type(obj) is torch.nn.Parameter)


def _raw_bytes(t: torch.Tensor):
    """The tensor's bytes, when nothing but its values, shape, dtype and requires_grad
    would travel with it; else None."""
    if t.device.type != "cpu" or t.layout != torch.strided or not t.is_contiguous() or \
            t.is_quantized or t.is_conj() or t.is_neg() or (t.requires_grad and not t.is_leaf) \
            or t.__dict__:
        return None
    if t.numel() == 0:
        return b""
    return t.detach().reshape(-1).view(torch.uint8).numpy()


def _tensor_from_bytes(raw, dtype: str, shape: tuple, requires_grad: bool, parameter: bool):
    """In the worker: a tensor rebuilt from ``_RequestPickler``'s bytes."""
    kind = getattr(torch, dtype)
    if len(raw):
        t = torch.frombuffer(bytearray(raw) if isinstance(raw, bytes) else raw,
                             dtype=torch.uint8).view(kind).reshape(shape)
    else:
        t = torch.empty(shape, dtype=kind)
    if parameter:
        return torch.nn.Parameter(t, requires_grad=requires_grad)
    return t.requires_grad_(True) if requires_grad else t


class _Discard:
    def write(self, data) -> None:
        pass


class _MirrorFinder(pickle.Pickler):
    """Walks a request as pickling would, to find the worker-owned objects in it; tensors,
    which hold none, are not copied."""

    def reducer_override(self, obj):
        if isinstance(obj, torch.Tensor):
            return tuple, ()
        return NotImplemented


def find_remote(request, remote_ref) -> None:
    """Call ``remote_ref`` on every object of ``request`` (what ``dump_request`` would name),
    without copying any tensor data."""
    finder = _MirrorFinder(_Discard(), protocol=pickle.HIGHEST_PROTOCOL)
    finder.persistent_id = remote_ref
    finder.dump(request)


def dump_request(request, remote_ref) -> bytes:
    """Pickle ``request``; ``remote_ref(obj)`` names worker-owned objects (or None)."""
    buf = io.BytesIO()
    pickler = _RequestPickler(buf, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.persistent_id = remote_ref
    pickler.dump(request)
    return buf.getvalue()


def load_request(data: bytes, resolve):
    """In the worker: unpickle, mapping persistent ids back to the worker's objects."""
    unpickler = pickle.Unpickler(io.BytesIO(data))
    unpickler.persistent_load = resolve
    return unpickler.load()


# --- worker -> trusted --------------------------------------------------------------

def dump_reply(reply) -> bytes:
    buf = io.BytesIO()
    with _no_checksums():
        torch.save(reply, buf)
    return buf.getvalue()


@contextlib.contextmanager
def _no_checksums():
    """A reply crosses a pipe, not a disk: no CRC32 of each record (where torch can skip it)."""
    try:
        from torch.utils.serialization import config  # lazy: absent from older torch
    except ImportError:
        config = None
    save = getattr(config, "save", None)
    if save is None or not hasattr(save, "compute_crc32"):
        yield
        return
    before = save.compute_crc32
    save.compute_crc32 = False
    try:
        yield
    finally:
        save.compute_crc32 = before


def library_modules() -> set:
    """Library layers rebuilt on the trusted side (their forward is library code): torch.nn's
    layers and the torchvision networks of the lecture, with their blocks."""
    import inspect

    import torch.nn as nn
    from torchvision.models import mobilenetv2, resnet
    from torchvision.ops import misc
    from torchvision.transforms import _presets

    found = {c for c in vars(nn).values() if inspect.isclass(c) and issubclass(c, nn.Module)
             and c.__module__.startswith("torch.nn.modules")}
    found |= {resnet.ResNet, resnet.BasicBlock, resnet.Bottleneck, mobilenetv2.MobileNetV2,
              mobilenetv2.InvertedResidual, misc.Conv2dNormActivation, misc.ConvNormActivation,
              _presets.ImageClassification}
    return found


def library_transforms() -> set:
    """torchvision's classic transforms (their __call__ is library code)."""
    import inspect

    from torchvision.transforms import transforms as tv

    return {c for c in vars(tv).values() if inspect.isclass(c) and c.__module__ == tv.__name__
            and not issubclass(c, BaseException)}


def _allowed_classes() -> list:
    """Classes a reply may hold: the library layers and transforms, and ours."""
    import collections

    from torchvision.transforms import InterpolationMode

    return [objects.RemoteModule, objects.Handle, collections.OrderedDict, set,
            InterpolationMode, torch.Size, *library_modules(), *library_transforms()]


_ALLOWED: list | None = None


_TABLES: dict = {}


@contextlib.contextmanager
def _allowlist_built_once():
    """torch's weights-only reader rebuilds its table of allowed classes for each object it
    reads (about 700 times for a ResNet18, a third of the read). The table depends only on
    the classes allowed now, so it is built once for each such list, by torch's own
    function, and kept for the next read with the same list; outside, torch's is back."""
    reader = getattr(torch, "_weights_only_unpickler", None)
    build = getattr(reader, "_get_user_allowed_globals", None)
    listed = getattr(torch.serialization, "get_safe_globals", None)
    if build is None or listed is None:
        yield
        return
    key = tuple(map(id, listed()))
    if key not in _TABLES:
        _TABLES.clear()
        _TABLES[key] = build()
    table = _TABLES[key]
    reader._get_user_allowed_globals = lambda: table
    try:
        yield
    finally:
        reader._get_user_allowed_globals = build


def load_reply(data: bytes):
    """Read a worker's reply: tensors, plain containers and allowlisted classes only."""
    global _ALLOWED
    if _ALLOWED is None:
        _ALLOWED = _allowed_classes()
    with torch.serialization.safe_globals(_ALLOWED), _allowlist_built_once():
        try:
            return torch.load(io.BytesIO(data), weights_only=True)
        except Exception as exc:  # an unlisted class, a broken archive: never unpickled
            try:
                unlisted = torch.serialization.get_unsafe_globals_in_checkpoint(io.BytesIO(data))
            except Exception:
                unlisted = []
            if unlisted:
                raise WireError(f"the reply holds objects of types the grader does not read "
                                f"({', '.join(unlisted[:5])})") from None
            raise WireError(f"the reply could not be read safely ({type(exc).__name__}: "
                            f"{str(exc).splitlines()[0][:200] if str(exc) else ''})") from None
