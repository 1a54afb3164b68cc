"""Architecture feedback: torchinfo summaries side by side, first divergence named."""

from __future__ import annotations

from dataclasses import dataclass

from grader.core.i18n import pick


@dataclass
class LayerRow:
    name: str
    kind: str
    output_shape: tuple
    params: int

    def text(self) -> str:
        shape = "x".join(str(s) for s in self.output_shape[1:]) if self.output_shape else "-"
        return f"{self.name:<18} {self.kind:<17} {shape:>10} {self.params:>10,}"


def layer_rows(model, input_size) -> list[LayerRow]:
    """Leaf layers of a torchinfo summary: name, type, output shape, parameter count."""
    import torchinfo

    stats = torchinfo.summary(model, input_size=input_size, verbose=0, device="cpu",
                              mode="eval", col_names=("output_size", "num_params"))
    rows = []
    for info in stats.summary_list:
        if info.is_leaf_layer:
            rows.append(LayerRow(_qualified_name(info), info.class_name,
                                 tuple(info.output_size or ()), int(info.num_params)))
    return rows


def partial_rows(model, input_size) -> list[LayerRow]:
    """Leaf layers that ran before a forward pass broke, recorded with forward hooks."""
    import torch

    rows: list[LayerRow] = []
    hooks = []
    for name, module in model.named_modules():
        if name and not list(module.children()):
            def record(mod, args, out, name=name):
                shape = tuple(out.shape) if hasattr(out, "shape") else ()
                rows.append(LayerRow(name, type(mod).__name__, shape,
                                     sum(p.numel() for p in mod.parameters())))
            hooks.append(module.register_forward_hook(record))
    try:
        model.eval()
        with torch.no_grad():
            model(torch.zeros(input_size))
    except Exception:
        pass
    finally:
        for hook in hooks:
            hook.remove()
    return rows


def _qualified_name(info) -> str:
    parts = []
    node = info
    while node is not None and node.parent_info is not None:
        parts.append(node.var_name)
        node = node.parent_info
    return ".".join(reversed(parts)) or info.var_name


def first_divergence(actual: list[LayerRow], expected: list[LayerRow]) -> int | None:
    for i, (a, e) in enumerate(zip(actual, expected)):
        if (a.kind, a.output_shape, a.params) != (e.kind, e.output_shape, e.params):
            return i
    if len(actual) != len(expected):
        return min(len(actual), len(expected))
    return None


def side_by_side(actual: list[LayerRow], expected: list[LayerRow], mark: int | None,
                 context: int = 6) -> str:
    """Both summaries in two columns, the first divergence marked ``>>``, around it only."""
    width = 61
    head = f"{'   your model':<{width}} | expected"
    lines = [head, "-" * len(head)]
    total = max(len(actual), len(expected))
    lo = max(0, (mark or 0) - context)
    hi = min(total, (mark or 0) + context + 1) if mark is not None else total
    if lo > 0:
        lines.append(f"   ... {lo} matching layers above ...")
    for i in range(lo, hi):
        a = actual[i].text() if i < len(actual) else ""
        e = expected[i].text() if i < len(expected) else ""
        flag = ">> " if i == mark else "   "
        lines.append(f"{flag}{a:<{width - 3}} | {e}")
    if hi < total:
        lines.append(f"   ... {total - hi} more layers ...")
    return "\n".join(lines)


def _advice(a: LayerRow | None, e: LayerRow | None, before: LayerRow | None) -> str:
    if a is None:
        return pick({"en": f"your model stops early: {e.name} ({e.kind}) is missing.",
                     "vi": f"mô hình của bạn thiếu lớp {e.name} ({e.kind})."})
    if e is None:
        return pick({"en": f"your model has an extra layer {a.name} ({a.kind}).",
                     "vi": f"mô hình của bạn có thêm lớp {a.name} ({a.kind})."})
    if a.name.startswith(e.name + "."):
        return pick({
            "en": (f"{e.name} should be a single {e.kind}; yours is a stack ({a.name}, ...). "
                   "Replace the old layer instead of stacking a new one on top of it."),
            "vi": (f"{e.name} phải là một lớp {e.kind} duy nhất; của bạn là một chồng lớp "
                   f"({a.name}, ...). Hãy thay lớp cũ thay vì chồng lớp mới lên trên.")})
    if a.kind != e.kind:
        hint = {"en": f"{e.name} should be a {e.kind}, yours is a {a.kind}.",
                "vi": f"{e.name} phải là {e.kind}, của bạn là {a.kind}."}
        if "Pool" in e.kind or "Pool" in a.kind:
            hint = {k: v + (" Did you drop or add a MaxPool?" if k == "en"
                            else " Bạn có bỏ sót hay thêm một MaxPool không?")
                    for k, v in hint.items()}
        if "BatchNorm" in e.kind:
            hint = {k: v + (" Is a BatchNorm missing?" if k == "en"
                            else " Có phải thiếu BatchNorm?") for k, v in hint.items()}
        return pick(hint)
    if a.kind == "Linear" and a.params != e.params and before is not None:
        feeding = "x".join(str(s) for s in before.output_shape[1:])
        return pick({
            "en": (f"{e.name} expects a different size: the layers before it output {feeding} "
                   f"per sample; with that input it would have {e.params:,} parameters, yours "
                   f"has {a.params:,}. Check in_features against the flattened size."),
            "vi": (f"{e.name} có kích thước khác: các lớp trước nó cho ra {feeding} mỗi mẫu; "
                   f"đúng ra nó có {e.params:,} tham số, của bạn có {a.params:,}. Hãy kiểm tra "
                   f"in_features so với kích thước sau khi flatten.")})
    return pick({
        "en": (f"{e.name} ({e.kind}) should output {e.output_shape} with {e.params:,} parameters; "
               f"yours outputs {a.output_shape} with {a.params:,}. Check kernel size, stride, "
               f"padding, channel counts and bias."),
        "vi": (f"{e.name} ({e.kind}) phải cho ra {e.output_shape} với {e.params:,} tham số; của "
               f"bạn cho ra {a.output_shape} với {a.params:,}. Kiểm tra kernel, stride, padding, "
               f"số kênh và bias.")})


def compare_architectures(model, reference, input_size, what: str) -> None:
    """Fail with a side-by-side summary when ``model`` differs from ``reference``."""
    __tracebackhide__ = True
    expected = layer_rows(reference, input_size)
    try:
        actual = layer_rows(model, input_size)
    except Exception as exc:  # the forward pass itself broke
        from grader.testkit.explain import explain_message

        root = exc.__cause__ or exc
        cause = f"{type(root).__name__}: {root}"
        note = explain_message(str(root)) or ""
        ran = partial_rows(model, input_size)
        mark = first_divergence(ran, expected)
        if mark is None:
            mark = len(ran)
        a = ran[mark] if mark < len(ran) else None
        e = expected[mark] if mark < len(expected) else None
        where = ""
        if a is not None and e is not None:
            before = ran[mark - 1] if mark > 0 else None
            where = f"\nFirst difference at {e.name}: {_advice(a, e, before)}"
        elif e is not None:
            where = f"\nIt broke at {e.name} ({e.kind}), the first layer after those that ran."
        raise AssertionError(
            f"{what}: the forward pass on input {input_size} failed: {cause}\n{note}{where}\n\n"
            + side_by_side(ran, expected, mark)) from None
    mark = first_divergence(actual, expected)
    if mark is None:
        return
    a = actual[mark] if mark < len(actual) else None
    e = expected[mark] if mark < len(expected) else None
    before = actual[mark - 1] if mark > 0 and mark - 1 < len(actual) else None
    raise AssertionError(
        f"{what}: the architecture differs from the lecture's, first at layer "
        f"{(e or a).name}.\n{_advice(a, e, before)}\n\n{side_by_side(actual, expected, mark)}")
