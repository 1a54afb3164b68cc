"""Pinned figures: compare a student's network with stored results, not with reference code.

``tools/pin_expected.py`` runs the reference solutions once and stores, in a small
``expected_*.pt`` file beside the tests, each network's learnable layers, the effect
of the weightless steps between them, and its outputs. Inputs and weights are not
stored: they come from a formula (``pinned_values``), so the file stays tiny and
holds no code. A test loads the same weights into the student's layers, in the
order the forward pass uses them, and compares the outputs.
"""

from __future__ import annotations

from pathlib import Path

from grader.core.i18n import msg
from grader.core.i18n import pick
from grader.testkit.architecture import compare_architectures
from grader.testkit.layers import Layer, learnable_modules, trace


def pinned_values(shape, salt: int, scale: float = 1.0):
    """A deterministic tensor in [-scale, scale]: the same on every machine."""
    import torch

    n = 1
    for s in shape:
        n *= int(s)
    i = torch.arange(n, dtype=torch.float64)
    v = torch.sin(i * 0.7548776662 + salt * 1.3247) * torch.cos(i * 0.0618 + salt * 0.5698)
    return (v * scale).to(torch.float32).reshape(tuple(shape))


def pinned_input(shape, salt: int = 7):
    return pinned_values(shape, 1000 + salt)


def pinned_image(h: int, w: int, salt: int):
    """A fixed H x W x 3 uint8 image (numpy), the same on every machine."""
    import torch

    values = (pinned_values((h, w, 3), 500 + salt) + 1.0) * 127.5
    return values.round().clamp(0, 255).to(torch.uint8).numpy()


def pooled(t, size: int = 8):
    """What is pinned of an image tensor [C, H, W]: the means of its size x size blocks."""
    import torch.nn.functional as F

    return F.avg_pool2d(t.unsqueeze(0), size)[0]


def load_pinned_weights(layers: list[Layer], model) -> None:
    """Give each learnable layer, in forward order, the pinned weights of its position."""
    import torch

    modules = dict(learnable_modules(model))
    with torch.no_grad():
        for index, layer in enumerate(layers):
            module = modules[layer.name]
            tensors = dict(module.named_parameters(recurse=False))
            tensors.update(dict(module.named_buffers(recurse=False)))
            for k, (attr, t) in enumerate(sorted(tensors.items())):
                if not t.is_floating_point():
                    continue
                salt = 31 * index + k
                v = pinned_values(t.shape, salt)
                if attr == "weight" and t.dim() > 1:
                    v = v * (t[0].numel() ** -0.5) * 1.7
                elif attr == "weight":  # BatchNorm's scale
                    v = 1.0 + 0.2 * v
                elif attr == "running_var":
                    v = 1.0 + 0.5 * v.abs()
                else:
                    v = 0.1 * v
                t.copy_(v.to(t.device))


# --- the weightless steps between two learnable layers, judged by their effect ---------

def _candidates():
    import torch
    import torch.nn.functional as F

    relu = torch.relu
    return [
        ("nothing", lambda t: t),
        ("ReLU", relu),
        ("flatten", lambda t: t.flatten(1)),
        ("ReLU, flatten", lambda t: relu(t).flatten(1)),
        ("ReLU, MaxPool2d(2)", lambda t: F.max_pool2d(relu(t), 2)),
        ("MaxPool2d(2)", lambda t: F.max_pool2d(t, 2)),
        ("ReLU, MaxPool2d(2), flatten", lambda t: F.max_pool2d(relu(t), 2).flatten(1)),
    ]


def effect(before, after) -> str:
    """Name what turned ``before`` into ``after``: 'nothing', 'ReLU', 'flatten', ..."""
    import torch

    if before is None or after is None:
        return "?"
    for name, fn in _candidates():
        try:
            guess = fn(before)
        except Exception:
            continue
        if guess.shape == after.shape and torch.allclose(guess.float(), after.float(),
                                                         rtol=1e-4, atol=1e-5):
            return name
    return f"another step ({'x'.join(map(str, before.shape[1:]))} -> " \
           f"{'x'.join(map(str, after.shape[1:]))})"


def link_effects(layers: list[Layer], record: dict) -> list[str]:
    """Effects: input -> first layer, between each pair, last layer -> output (one tensor)."""
    names = [x.name for x in layers if x.name in record and "in" in record[x.name]]
    if not names:
        return []
    effects = [effect(record.get("__input__"), record[names[0]]["in"])]
    for a, b in zip(names, names[1:]):
        effects.append(effect(record[a].get("out"), record[b]["in"]))
    output = record.get("__output__")
    if hasattr(output, "shape"):
        effects.append(effect(record[names[-1]].get("out"), output))
    return effects


def describe_network(model, inputs, modes=("eval",)) -> dict:
    """What a test pins about a network whose pinned weights are loaded (used by tools/)."""
    import torch

    record = {"__input__": inputs}
    layers, error = trace(model, inputs)
    if error is not None:
        raise error
    load_pinned_weights(layers, model)
    layers, _ = trace(model, inputs, record)
    record["__input__"] = inputs
    outputs = {}
    for mode in modes:
        model.train(mode == "train")
        with torch.no_grad():
            out = model(inputs)
        outputs[mode] = list(out) if isinstance(out, (tuple, list)) else [out]
    model.eval()
    return {"layers": [x.to_data() for x in layers], "links": link_effects(layers, record),
            "input_shape": tuple(inputs.shape), "outputs": outputs}


def load(test_file, name: str) -> dict:
    """The pinned figures ``expected_<name>.pt`` stored beside ``test_file``."""
    import torch

    path = Path(test_file).resolve().parent / f"expected_{name}.pt"
    return torch.load(path, map_location="cpu", weights_only=True)


def _fail(text: dict) -> None:
    __tracebackhide__ = True
    raise AssertionError(pick(text))


def check_pinned_function(what: str, model, pinned: dict, concept: str,
                          modes=("eval",), reference=None) -> None:
    """The same learnable layers with the same weights must compute the same outputs.

    ``reference``: a callable giving the reference network, or None. When grading it gives
    one (see ``harness.reference``), and the check is made again on a fresh random input
    that no submission can know in advance."""
    __tracebackhide__ = True
    import torch

    from grader.testkit.checks import check_close, output_label  # lazy: keeps numpy out of start-up

    expected_layers = [Layer.from_data(x) for x in pinned["layers"]]
    inputs = pinned_input(pinned["input_shape"])
    compare_architectures(model, expected_layers, tuple(inputs.shape), what, inputs=inputs)
    layers, _ = trace(model, inputs)
    load_pinned_weights(layers, model)
    for mode in modes:
        model.train(mode == "train")
        with torch.no_grad():
            got = model(inputs)
        got = list(got) if isinstance(got, (tuple, list)) else [got]
        expected = pinned["outputs"][mode]
        if len(got) != len(expected):
            what = pick(what)
            _fail({"en": f"{what} returned {len(got)} outputs; expected {len(expected)}.",
                   "vi": f"{what} trả về {len(got)} đầu ra; mong đợi {len(expected)}."})
        for i, (g, e) in enumerate(zip(got, expected)):  # the counts are equal (above)
            close = isinstance(g, torch.Tensor) and g.dtype == e.dtype and \
                g.shape == e.shape and torch.allclose(g.float(), e, atol=1e-4, rtol=1e-4)
            if not close:
                label = f"{pick(what)} {output_label(mode, i)}"
                if isinstance(g, torch.Tensor) and g.dtype != e.dtype:
                    _fail({"en": f"{label} has dtype {g.dtype}; expected {e.dtype}.",
                           "vi": f"{label} có dtype {g.dtype}; mong đợi {e.dtype}."})
                step = _first_wrong_step(model, inputs, layers, pinned)
                check_close(f"{pick(what)} {output_label(mode, i)}", g, e,
                            pick(concept) + (f"\n  {step}" if step else ""), atol=1e-4)
    model.eval()
    ref = reference() if reference is not None else None
    if ref is not None:
        _check_on_fresh_input(what, model, layers, ref, tuple(inputs.shape), concept, modes)


def _check_on_fresh_input(what, model, layers, ref, shape, concept, modes) -> None:
    """The student's network and the reference, both with the pinned weights, on an input
    drawn now."""
    __tracebackhide__ = True
    import torch

    from grader.testkit.checks import check_same_outputs  # lazy: keeps numpy out of start-up

    x = torch.randn(shape, generator=torch.Generator().manual_seed(
        int.from_bytes(__import__("os").urandom(4), "little")))
    ref_layers, error = trace(ref, x)
    if error is not None:  # pragma: no cover - the reference always runs
        raise error
    load_pinned_weights(ref_layers, ref)
    load_pinned_weights(layers, model)
    for mode in modes:
        model.train(mode == "train")
        ref.train(mode == "train")
        with torch.no_grad():
            got, expected = model(x), ref(x)
        check_same_outputs(msg(f"{pick(what)} on a fresh random input [{mode} mode]",
                               f"{pick(what)} trên một đầu vào ngẫu nhiên mới [chế độ {mode}]"),
                           got, expected, pick(concept), atol=1e-4)
    model.eval()


def _vi(step: str) -> str:
    """An effect's name (``effect``) in Vietnamese, for display only: the stored names
    stay English."""
    if step == "nothing":
        return "không có bước nào"
    if step == "?":
        return "không xác định"
    return step.replace("another step", "một bước khác")


def _first_wrong_step(model, inputs, layers: list[Layer], pinned: dict) -> str:
    """Between which two of the student's layers the weightless steps differ."""
    record = {"__input__": inputs}
    layers, _ = trace(model, inputs, record)
    mine = link_effects(layers, record)
    theirs = list(pinned.get("links", []))
    names = [pick({"en": "the input", "vi": "đầu vào"})] + [x.name for x in layers] + \
        [pick({"en": "what forward returns", "vi": "giá trị forward trả về"})]
    for k, (a, e) in enumerate(zip(mine, theirs)):
        if a != e:
            return pick({
                "en": f"between {names[k]} and {names[k + 1]} your network applies: {a}; the "
                      f"lecture's applies: {e}.",
                "vi": f"giữa {names[k]} và {names[k + 1]} mạng của bạn áp dụng: {_vi(a)}; bài "
                      f"giảng áp dụng: {_vi(e)}."})
    return ""


def shrink_linears(model, widths: list[int], input_shape) -> None:
    """Replace each Linear (in forward order) by a small one on the CPU: layer k gets
    ``widths[k]`` outputs and keeps its input size when k = 0. Lets a test run a network too
    large to allocate (built on the 'meta' device) through its real forward pass."""
    import torch
    import torch.nn as nn

    layers, _ = trace(model, torch.empty(tuple(input_shape), device="meta"))
    for k, layer in enumerate(x for x in layers if x.kind == "Linear"):
        parent_name, _, attr = layer.name.rpartition(".")
        parent = model.get_submodule(parent_name) if parent_name else model
        old = getattr(parent, attr)
        in_features = old.in_features if k == 0 else widths[k - 1]
        setattr(parent, attr, nn.Linear(in_features, widths[k], bias=old.bias is not None,
                                        device="cpu"))
