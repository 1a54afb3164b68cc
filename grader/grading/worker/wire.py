"""Framing and the two encodings.

Trusted -> worker: pickle (the worker may unpickle what the trusted side wrote). Mirrors
and handles travel as persistent ids, and each mirror's current state travels with the
request, so the worker's object computes with the weights the test put in.

Worker -> trusted: ``torch.save`` bytes, read with ``torch.load(weights_only=True)`` and
an allowlist of torch and torchvision classes plus ``objects``' own. Nothing the worker
sends is ever unpickled freely.
"""

from __future__ import annotations

import io
import os
import pickle
import struct

import torch

from grader.grading.worker import objects

HEADER = struct.Struct("!Q")


class WireError(Exception):
    """The other side sent something that is not a frame of the protocol."""


def send(fd: int, payload: bytes) -> None:
    data = HEADER.pack(len(payload)) + payload
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _read_exactly(fd: int, n: int) -> bytes:
    chunks, left = [], n
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise EOFError("the other side closed the pipe")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def receive(fd: int, cap: int) -> bytes:
    (size,) = HEADER.unpack(_read_exactly(fd, HEADER.size))
    if size > cap:
        raise WireError(f"a reply of {size >> 20} MB, over the limit of {cap >> 20} MB")
    return _read_exactly(fd, size)


# --- trusted -> worker --------------------------------------------------------------

def dump_request(request, remote_ref) -> bytes:
    """Pickle ``request``; ``remote_ref(obj)`` names worker-owned objects (or None)."""
    buf = io.BytesIO()
    pickler = pickle.Pickler(buf, protocol=pickle.HIGHEST_PROTOCOL)
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
    torch.save(reply, buf)
    return buf.getvalue()


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


def load_reply(data: bytes):
    """Read a worker's reply: tensors, plain containers and allowlisted classes only."""
    global _ALLOWED
    if _ALLOWED is None:
        _ALLOWED = _allowed_classes()
    with torch.serialization.safe_globals(_ALLOWED):
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
