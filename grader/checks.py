"""Assertions for exercise tests whose failure message teaches.

Each states the call, what came back, what was expected and the concept behind
it. Results are type-checked before they are compared, so an object whose
``__eq__`` always answers True cannot pass.
"""

from __future__ import annotations

import math
from numbers import Integral, Real


def _fail(call: str, got, expected, concept: str) -> None:
    __tracebackhide__ = True
    raise AssertionError(
        f"{call}\n  returned: {got!r}\n  expected: {expected!r}\n  concept:  {concept}")


def check_int(call: str, got, expected: int, concept: str) -> None:
    __tracebackhide__ = True
    if type(got) is bool or not isinstance(got, Integral) or type(got).__eq__ is not int.__eq__:
        _fail(call, got, expected, f"the result must be a plain int ({concept})")
    if int(got) != int(expected):
        _fail(call, got, expected, concept)


def check_float(call: str, got, expected: float, concept: str, rel: float = 1e-9) -> None:
    __tracebackhide__ = True
    if not isinstance(got, Real) or type(got).__eq__ not in (float.__eq__, int.__eq__):
        _fail(call, got, expected, f"the result must be a float ({concept})")
    if not math.isclose(float(got), float(expected), rel_tol=rel, abs_tol=0.0):
        _fail(call, got, expected, concept)


def check_int_pair(call: str, got, expected: tuple[int, int], concept: str) -> None:
    __tracebackhide__ = True
    if not isinstance(got, tuple) or len(got) != 2:
        _fail(call, got, expected, f"the result must be a tuple (height, width) ({concept})")
    for g in got:
        if type(g) is bool or not isinstance(g, Integral) or type(g).__eq__ is not int.__eq__:
            _fail(call, got, expected, f"height and width must be plain ints ({concept})")
    if tuple(int(g) for g in got) != tuple(expected):
        _fail(call, got, expected, concept)


def check_shape(what: str, tensor, expected: tuple[int, ...], concept: str) -> None:
    __tracebackhide__ = True
    import torch

    if not isinstance(tensor, torch.Tensor):
        _fail(what, type(tensor).__name__, f"a Tensor of shape {expected}", concept)
    if tuple(tensor.shape) != tuple(expected):
        _fail(what, f"shape {tuple(tensor.shape)}", f"shape {tuple(expected)}", concept)


def check_close(what: str, got, expected, concept: str, atol: float = 1e-4) -> None:
    __tracebackhide__ = True
    import torch

    check_shape(what, got, tuple(expected.shape), concept)
    if not torch.allclose(got.detach().float(), expected.detach().float(), atol=atol, rtol=1e-4):
        diff = (got.detach().float() - expected.detach().float()).abs()
        where = tuple(int(i) for i in torch.nonzero(diff == diff.max())[0])
        _fail(what, f"largest difference {diff.max().item():.4g} at index {where}",
              f"equal to the reference within {atol}", concept)
