"""A mirrored module's state in the worker: the trusted side's values applied to the
worker's object before a call, and, after it, which tensors the call changed."""

from __future__ import annotations

import collections

import torch
import torch.nn as nn

_SAME_SIZE_INT = {1: torch.uint8, 2: torch.int16, 4: torch.int32, 8: torch.int64}


def apply(target: nn.Module, state: dict, builtin_modules: set) -> None:
    """Put the trusted side's ``state`` (``state_of``) into ``target``: values copied into
    tensors of the same shape, dtype and device, anything else replaced; a library
    submodule of the same shapes synced in place, any other swapped."""
    for kind in ("_parameters", "_buffers"):
        mine = target.__dict__.setdefault(kind, collections.OrderedDict())
        for name, new in state[kind].items():
            old = mine.get(name)
            if new is None or old is None or old.shape != new.shape or \
                    old.dtype != new.dtype or old.device != new.device:
                mine[name] = new
                continue
            with torch.no_grad():
                old.copy_(new)
            if kind == "_parameters":
                old.requires_grad_(new.requires_grad)
        for name in [n for n in mine if n not in state[kind]]:
            del mine[name]
    children = target.__dict__.setdefault("_modules", collections.OrderedDict())
    for name, new in state["_modules"].items():
        old = children.get(name)
        if new is None or old is None or new is old:
            children[name] = new
        elif type(old) is type(new) and type(old) in builtin_modules and \
                same_shapes(old, new):
            apply(old, state_of(new), builtin_modules)
        else:
            children[name] = new
    for name in [n for n in children if n not in state["_modules"]]:
        del children[name]
    target.training = bool(state["training"])


def state_of(module: nn.Module) -> dict:
    return {"_parameters": dict(module._parameters), "_buffers": dict(module._buffers),
            "_modules": dict(module._modules), "training": module.training}


def same_shapes(a: nn.Module, b: nn.Module) -> bool:
    def shapes(m):
        return [(n, tuple(t.shape)) for n, t in m.state_dict(keep_vars=True).items()]
    return shapes(a) == shapes(b)


def bit_equal(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Same shape, dtype, device and bits (a NaN equals itself; -0.0 is not 0.0; meta
    tensors, which hold no values, by their shapes)."""
    if not isinstance(a, torch.Tensor) or not isinstance(b, torch.Tensor):
        return False
    if a.shape != b.shape or a.dtype != b.dtype or a.device != b.device:
        return False
    if a.device.type == "meta":  # shapes only: no values to differ
        return True
    if a.is_floating_point() or a.is_complex():
        as_int = _SAME_SIZE_INT.get(a.element_size())
        if as_int is None:
            return False
        a, b = a.detach().view(as_int), b.detach().view(as_int)
    return torch.equal(a, b)
