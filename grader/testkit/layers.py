"""The learnable layers of a network, in the order its forward pass calls them.

Only layers with weights (Conv2d, Linear, BatchNorm, ...) define a network's
structure here. Weightless modules (ReLU, Flatten, MaxPool, Dropout) may be
written in many valid ways - ``nn.ReLU``, ``F.relu``, ``.relu()``, one shared
module - so they are judged by their effect on the function, never listed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from grader.core.i18n import pick
from grader.testkit import isolation

# The hyper-parameters that define each kind of layer, in the order PyTorch prints them.
CONFIG = {
    "Conv": ("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation",
             "groups", "bias"),
    "Linear": ("in_features", "out_features", "bias"),
    "BatchNorm": ("num_features",),
}


def _family(module) -> str | None:
    import torch.nn as nn

    if isinstance(module, nn.modules.conv._ConvNd):
        return "Conv"
    if isinstance(module, nn.Linear):
        return "Linear"
    if isinstance(module, nn.modules.batchnorm._BatchNorm):
        return "BatchNorm"
    return None


def _plain(value):
    if isinstance(value, (tuple, list)):
        return tuple(_plain(v) for v in value)
    if hasattr(value, "shape") and not isinstance(value, (int, float, str)):  # a bias tensor
        return value is not None
    return value


def config_of(module) -> dict:
    family = _family(module)
    if family is None:  # another layer with weights: judged by its parameter shapes
        return {name: tuple(p.shape) for name, p in module.named_parameters(recurse=False)}
    out = {}
    for attr in CONFIG[family]:
        value = getattr(module, attr, None)
        out[attr] = (value is not None) if attr == "bias" else _plain(value)
    if family == "Conv" and isinstance(out["padding"], str):  # "same" / "valid": in numbers
        same = out["padding"] == "same"
        out["padding"] = tuple((d * (k - 1)) // 2 if same else 0
                               for k, d in zip(out["kernel_size"], out["dilation"]))
    return out


def is_learnable(module) -> bool:
    return _family(module) is not None or any(True for _ in module.parameters(recurse=False))


@dataclass
class Layer:
    """One learnable layer as the forward pass met it. Shapes are per sample (no batch)."""

    name: str
    kind: str
    config: dict
    params: int
    input_shape: tuple | None = None
    output_shape: tuple | None = None
    order: int = field(default=10**9, compare=False)

    def signature(self):
        return self.kind, tuple(sorted(self.config.items()))

    def describe(self) -> str:
        family = next((f for f in CONFIG if self.kind.startswith(f)), None)
        items = list(self.config.items())
        if family == "Conv":
            head = f"{self.config['in_channels']}, {self.config['out_channels']}"
            rest = [f"{k}={_short(v)}" for k, v in items[2:]
                    if not (k == "dilation" and v == (1, 1)) and not (k == "groups" and v == 1)
                    and not (k == "bias" and v)]
            return f"{self.kind}({', '.join([head, *rest])})"
        if family == "Linear":
            bias = "" if self.config["bias"] else ", bias=False"
            return f"{self.kind}({self.config['in_features']}, {self.config['out_features']}{bias})"
        if family == "BatchNorm":
            return f"{self.kind}({self.config['num_features']})"
        return f"{self.kind}({', '.join(f'{k}={v}' for k, v in items)})"

    def compact(self) -> str:
        """A short form for tables: ``Conv2d 4->8 k3 s1 p1``."""
        c = self.config
        if self.kind.startswith("Conv"):
            text = (f"{self.kind} {c['in_channels']}->{c['out_channels']} "
                    f"k{_short(c['kernel_size'])} s{_short(c['stride'])} p{_short(c['padding'])}")
            return text + ("" if c["bias"] else " nobias")
        if self.kind == "Linear":
            return f"Linear {c['in_features']}->{c['out_features']}" + \
                ("" if c["bias"] else " nobias")
        return self.describe()

    def shapes(self) -> str:
        def fmt(shape):
            return "x".join(str(s) for s in shape) if shape is not None else "-"
        if self.input_shape is None:
            return pick({"en": "not reached", "vi": "không được gọi tới"})
        return f"{fmt(self.input_shape)} -> {fmt(self.output_shape) if self.output_shape else '!'}"

    def to_data(self) -> dict:
        return {"name": self.name, "kind": self.kind, "config": dict(self.config),
                "params": self.params, "input_shape": self.input_shape,
                "output_shape": self.output_shape}

    @classmethod
    def from_data(cls, data: dict) -> "Layer":
        config = {k: tuple(v) if isinstance(v, list) else v for k, v in data["config"].items()}
        shape = (lambda s: tuple(s) if s is not None else None)
        return cls(data["name"], data["kind"], config, int(data["params"]),
                   shape(data["input_shape"]), shape(data["output_shape"]))


def _short(value):
    if isinstance(value, tuple) and len(set(value)) == 1:
        return value[0]
    return value


def learnable_modules(model) -> list[tuple[str, object]]:
    """(name, module) of each learnable layer, once each, in registration order."""
    return [(name, m) for name, m in model.named_modules() if name and is_learnable(m)]


def trace(model, inputs, record=None) -> tuple[list[Layer], BaseException | None]:
    """Run ``model(inputs)`` in eval mode without gradients and list its learnable layers.

    Called layers come in call order, layers never reached after them. ``record``, a
    dict, receives each layer's first input and output tensor by name. Returns the
    layers and the exception the forward pass raised, if any.
    """
    import torch

    runner = isolation.current()
    if runner is not None and runner.serves(model):
        return _remote_trace(runner, model, inputs, record)
    layers: dict[str, Layer] = {}
    hooks = []
    calls = [0]
    for name, module in learnable_modules(model):
        layers[name] = Layer(name, type(module).__name__, config_of(module),
                             sum(p.numel() for p in module.parameters()))

        def before(mod, args, name=name):
            layer = layers[name]
            if layer.input_shape is None and args and hasattr(args[0], "shape"):
                layer.input_shape = tuple(args[0].shape[1:])
                layer.order = calls[0]
                calls[0] += 1
                if record is not None:
                    record.setdefault(name, {})["in"] = args[0].detach()

        def after(mod, args, out, name=name):
            layer = layers[name]
            if layer.output_shape is None and hasattr(out, "shape"):
                layer.output_shape = tuple(out.shape[1:])
                if record is not None:
                    record.setdefault(name, {})["out"] = out.detach()

        hooks.append(module.register_forward_pre_hook(before))
        hooks.append(module.register_forward_hook(after))
    was_training = model.training
    error = None
    try:
        model.eval()
        with torch.no_grad():
            output = model(inputs)
        if record is not None:
            record["__output__"] = output
    except Exception as exc:  # the caller reports it with the layers that ran
        error = exc
    finally:
        for hook in hooks:
            hook.remove()
        model.train(was_training)
    ordered = sorted(layers.values(), key=lambda layer: layer.order)
    return ordered, error


def _remote_trace(runner, model, inputs, record):
    """The trace made beside the student's code (feedback only: it is their side's word)."""
    found = runner.probe("trace", (model, inputs, record is not None), {})
    if record is not None and isinstance(found.get("record"), dict):
        record.update(found["record"])
    error = found.get("error")
    if isinstance(error, dict):
        error = runner.error(str(error.get("type")), str(error.get("message")))
    return [Layer.from_data(x) for x in found["layers"]], error
