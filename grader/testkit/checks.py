"""Assertions for exercise tests whose failure message teaches.

Each states the call, what came back, what was expected and the concept behind
it. Results are type-checked before they are compared, so an object whose
``__eq__`` always answers True cannot pass.
"""

from __future__ import annotations

import math

from grader.core.i18n import ljust, msg, pick

# The labels of a failure, in the student's language.
_LABELS = {"en": ("returned:", "expected:", "concept:"),
           "vi": ("trả về:", "mong đợi:", "khái niệm:")}


def _exact_numbers():
    """Types whose equality can be trusted: Python's, and numpy's scalars if numpy is there."""
    ints, floats = {int}, {float}
    try:
        import numpy as np

        ints |= {np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32,
                 np.uint64}
        floats |= {np.float16, np.float32, np.float64}
    except ImportError:  # pragma: no cover
        pass
    return ints, floats


INT_TYPES, FLOAT_TYPES = _exact_numbers()


def _is_int(value) -> bool:
    return type(value) in INT_TYPES


def _fail(call, got, expected, concept) -> None:
    """``call`` and ``concept``: a str, or {"en": ..., "vi": ...} (see ``msg``)."""
    __tracebackhide__ = True
    returned, wanted, idea = (ljust(label, 10) for label in pick(_LABELS))
    raise AssertionError(
        f"{pick(call)}\n  {returned} {got!r}\n  {wanted} {expected!r}\n"
        f"  {idea} {pick(concept)}")


def check_int(call: str, got, expected: int, concept: str) -> None:
    __tracebackhide__ = True
    if not _is_int(got):
        _fail(call, got, expected, msg(f"the result must be a plain int ({pick(concept)})",
                                       f"kết quả phải là một int thuần ({pick(concept)})"))
    if int(got) != int(expected):
        _fail(call, got, expected, concept)


def check_float(call: str, got, expected: float, concept: str, rel: float = 1e-9) -> None:
    __tracebackhide__ = True
    if type(got) not in FLOAT_TYPES | INT_TYPES:
        _fail(call, got, expected, msg(f"the result must be a float ({pick(concept)})",
                                       f"kết quả phải là một float ({pick(concept)})"))
    if not math.isclose(float(got), float(expected), rel_tol=rel, abs_tol=0.0):
        _fail(call, got, expected, concept)


def check_int_pair(call: str, got, expected: tuple[int, int], concept: str) -> None:
    __tracebackhide__ = True
    if not isinstance(got, tuple) or len(got) != 2:
        _fail(call, got, expected, msg(
            f"the result must be a tuple (height, width) ({pick(concept)})",
            f"kết quả phải là một tuple (chiều cao, chiều rộng) ({pick(concept)})"))
    if not all(_is_int(g) for g in got):
        _fail(call, got, expected, msg(
            f"height and width must be plain ints ({pick(concept)})",
            f"chiều cao và chiều rộng phải là int thuần ({pick(concept)})"))
    if tuple(int(g) for g in got) != tuple(expected):
        _fail(call, got, expected, concept)


def check_shape(what: str, tensor, expected: tuple[int, ...], concept: str) -> None:
    __tracebackhide__ = True
    import torch

    if not isinstance(tensor, torch.Tensor):
        _fail(what, type(tensor).__name__, msg(f"a Tensor of shape {tuple(expected)}",
                                               f"một Tensor có shape {tuple(expected)}"),
              concept)
    if tuple(tensor.shape) != tuple(expected):
        _fail(what, f"shape {tuple(tensor.shape)}", f"shape {tuple(expected)}", concept)


def check_close(what: str, got, expected, concept: str, atol: float = 1e-4) -> None:
    __tracebackhide__ = True
    import torch

    check_shape(what, got, tuple(expected.shape), concept)
    if not torch.allclose(got.detach().float(), expected.detach().float(), atol=atol, rtol=1e-4):
        diff = (got.detach().float() - expected.detach().float()).abs()
        where = tuple(int(i) for i in torch.nonzero(diff == diff.max())[0])
        _fail(what, msg(f"largest difference {diff.max().item():.4g} at index {where}",
                        f"sai lệch lớn nhất {diff.max().item():.4g} tại chỉ số {where}"),
              msg(f"equal to the reference within {atol}",
                  f"bằng kết quả tham chiếu, sai số không quá {atol}"), concept)


def check_same_function(what: str, model, reference, inputs, concept: str,
                        modes=("eval",)) -> None:
    """Copy ``model``'s parameters and buffers, in order, into ``reference`` and compare
    outputs: same layers in the same order must compute the same function."""
    __tracebackhide__ = True
    import torch

    mine = list(model.state_dict().values())
    theirs = reference.state_dict()
    if [tuple(t.shape) for t in mine] != [tuple(t.shape) for t in theirs.values()]:
        _fail(what, msg("parameters/buffers of other shapes",
                        "tham số/buffer có shape khác"),
              msg("the lecture's layers", "các lớp như trong bài giảng"), concept)
    reference.load_state_dict(dict(zip(theirs.keys(), mine)))
    for mode in modes:
        model.train(mode == "train")
        reference.train(mode == "train")
        with torch.no_grad():
            got, expected = model(inputs), reference(inputs)
        got = got if isinstance(got, (tuple, list)) else (got,)
        expected = expected if isinstance(expected, (tuple, list)) else (expected,)
        if len(got) != len(expected):
            _fail(what, msg(f"{len(got)} outputs", f"{len(got)} đầu ra"),
                  msg(f"{len(expected)} outputs", f"{len(expected)} đầu ra"), concept)
        for i, (g, e) in enumerate(zip(got, expected)):
            check_close(f"{pick(what)} {output_label(mode, i)}", g, e, concept, atol=1e-5)


def _outputs(value):
    """A network's return value as (its kind, its list of outputs); a single tensor is one
    output, a tuple or list is many, anything else has none."""
    import torch

    if isinstance(value, torch.Tensor):
        return "Tensor", [value]
    if isinstance(value, (tuple, list)):
        return "sequence", list(value)
    return type(value).__name__, None


def check_same_outputs(what: str, got, expected, concept: str, atol: float = 1e-4) -> None:
    """Everything a network returned, against the reference's return value: the kind (one
    tensor or a tuple), the count, and each output's type, dtype, shape and values. Nothing
    is zipped away: missing or extra outputs fail."""
    __tracebackhide__ = True
    import torch

    kind, outs = _outputs(got)
    want_kind, wanted = _outputs(expected)
    if kind != want_kind or outs is None or len(outs) != len(wanted):
        _fail(what, msg(f"{kind} with {len(outs) if outs is not None else 0} output(s)",
                        f"{kind} với {len(outs) if outs is not None else 0} đầu ra"),
              msg(f"{want_kind} with {len(wanted)} output(s), as the reference returns",
                  f"{want_kind} với {len(wanted)} đầu ra, như kết quả tham chiếu"), concept)
    for i, (g, e) in enumerate(zip(outs, wanted)):
        label = f"{pick(what)} {msg(f'output {i}', f'đầu ra {i}')}"
        if not isinstance(g, torch.Tensor):
            _fail(label, type(g).__name__, "Tensor", concept)
        if g.dtype != e.dtype:
            _fail(label, f"dtype {g.dtype}", f"dtype {e.dtype}", concept)
        check_close(label, g, e, concept, atol=atol)


def output_label(mode: str, index: int) -> str:
    """``[eval mode, output 0]``, in the student's language."""
    return msg(f"[{mode} mode, output {index}]", f"[chế độ {mode}, đầu ra {index}]")


def check_seeded_split(dm, sizes: tuple[int, int, int], seed: int = 42) -> list[int]:
    """``dm``'s train/valid/test sizes are ``sizes``, and its validation images are those
    ``random_split(range(train + valid), [train, valid], generator=...manual_seed(seed))``
    picks; returns those indices."""
    __tracebackhide__ = True
    import torch
    from torch.utils.data import random_split

    train, valid, test = sizes
    got = (len(dm.train), len(dm.valid), len(dm.test))
    assert got == sizes, msg(
        f"train/valid/test sizes are {got}; expected {sizes}: the {train + valid:,} training "
        f"images are split {train:,} / {valid:,}, and the {test:,} test images stay apart",
        f"kích thước train/valid/test là {got}; cần {sizes}: {train + valid:,} ảnh huấn luyện "
        f"được chia {train:,} / {valid:,}, còn {test:,} ảnh test để riêng")
    seeded = torch.Generator().manual_seed(seed)
    _, ref_valid = random_split(range(train + valid), [train, valid], generator=seeded)
    call = (f"random_split(..., [{train}, {valid}], "
            f"generator=torch.Generator().manual_seed({seed}))")
    assert list(getattr(dm.valid, "indices", [])) == list(ref_valid.indices), msg(
        f"the validation images are not those of {call}: an unseeded split gives a different "
        "validation set every run, so results cannot be compared",
        f"các ảnh validation không trùng với ảnh của {call}: chia không cố định seed thì mỗi "
        "lần chạy có một tập validation khác, nên không thể so sánh kết quả")
    return list(ref_valid.indices)
