"""Architecture feedback: the learnable layers side by side, the real difference named.

Two networks have the same architecture when their learnable layers (Conv2d,
Linear, BatchNorm...) come in the same order with the same hyper-parameters and
receive inputs of the same shape. Weightless steps (ReLU, Flatten, MaxPool,
Dropout) show up through those shapes here, and through the function in
``grader.testkit.pinned``; how they are spelled does not matter.
"""

from __future__ import annotations

from grader.core.i18n import pick
from grader.testkit.explain import explain_message
from grader.testkit.layers import Layer, trace

WIDTH = 66


def _fmt(shape) -> str:
    return "x".join(str(s) for s in shape) if shape else "-"


def _row(layer: Layer | None) -> str:
    if layer is None:
        return ""
    return f"{layer.name:<14} {layer.compact():<22} {layer.shapes()}"


def _full(layer: Layer | None) -> str:
    if layer is None:
        return "-"
    return f"{layer.name}: {layer.describe()}, {layer.shapes()}, {layer.params:,} " + \
        pick({"en": "parameters", "vi": "tham số"})


def _cell(text: str) -> str:
    return text if len(text) <= WIDTH - 3 else text[:WIDTH - 4] + "…"


def side_by_side(actual: list[Layer], expected: list[Layer], mark: int | None,
                 context: int = 5) -> str:
    """Both layer lists in two columns, the first divergence marked ``>>`` and shown in full."""
    heads = {lang: f"{'   ' + mine:<{WIDTH}} | {theirs}" for lang, mine, theirs in (
        ("en", "your model", "expected (the lecture's)"),
        ("vi", "mô hình của bạn", "mong đợi (theo bài giảng)"))}
    lines = [pick(heads), pick({lang: "-" * len(h) for lang, h in heads.items()})]
    total = max(len(actual), len(expected))
    lo = max(0, (mark or 0) - context) if mark is not None else 0
    hi = min(total, mark + context + 1) if mark is not None else total
    if lo > 0:
        lines.append(f"   ... {lo} " + pick({"en": "matching layers above",
                                              "vi": "lớp giống nhau phía trên"}))
    for i in range(lo, hi):
        a = actual[i] if i < len(actual) else None
        e = expected[i] if i < len(expected) else None
        flag = ">> " if i == mark else "   "
        lines.append(f"{flag}{_cell(_row(a)):<{WIDTH - 3}} | {_cell(_row(e))}")
    if hi < total:
        lines.append(f"   ... {total - hi} " + pick({"en": "more layers", "vi": "lớp nữa"}))
    if mark is not None:
        a = actual[mark] if mark < len(actual) else None
        e = expected[mark] if mark < len(expected) else None
        lines.append("")
        lines.append(f">> {pick({'en': 'yours:   ', 'vi': 'của bạn: '})} {_full(a)}")
        lines.append(f">> {pick({'en': 'expected:', 'vi': 'mong đợi:'})} {_full(e)}")
    return "\n".join(lines)


def _differing(a: Layer, e: Layer) -> list[str]:
    keys = list(dict.fromkeys([*e.config, *a.config]))
    return [k for k in keys if a.config.get(k) != e.config.get(k)]


def _config_advice(a: Layer, e: Layer) -> dict:
    wrong = _differing(a, e)
    parts = ", ".join(f"{k}={a.config.get(k)!r} (expected {e.config.get(k)!r})" for k in wrong)
    parts_vi = ", ".join(f"{k}={a.config.get(k)!r} (mong đợi {e.config.get(k)!r})"
                         for k in wrong)
    en = f"your {a.name} is {a.describe()}, the lecture's is {e.describe()}: {parts}."
    vi = f"lớp {a.name} của bạn là {a.describe()}, bài giảng dùng {e.describe()}: {parts_vi}."
    if "in_features" in wrong and a.input_shape is not None:
        got = 1
        for s in a.input_shape:
            got *= s
        en += (f" The layers before it deliver {got} features per sample: in_features must "
               "equal the flattened size that reaches it.")
        vi += (f" Các lớp phía trước đưa vào {got} đặc trưng mỗi mẫu: in_features phải bằng "
               "kích thước sau khi làm phẳng (flatten) đi vào lớp này.")
    if "padding" in wrong or "stride" in wrong or "kernel_size" in wrong:
        en += " Kernel, stride and padding decide the output size: (H + 2p - k) // s + 1."
        vi += " Kernel, stride và padding quyết định kích thước đầu ra: (H + 2p - k) // s + 1."
    return {"en": en, "vi": vi}


def _shape_advice(a: Layer, e: Layer, before: Layer | None) -> dict:
    prev = before.name if before is not None else pick({"en": "the input", "vi": "đầu vào"})
    en = (f"{a.name} ({a.describe()}) is right, but the input reaching it is "
          f"{_fmt(a.input_shape)} per sample; in the lecture's network it is "
          f"{_fmt(e.input_shape)}. The learnable layers match up to here, so a weightless step "
          f"between {prev} and {a.name} differs: a MaxPool (or stride) that shrinks the map is "
          "missing or extra, or another tensor is flattened.")
    vi = (f"{a.name} ({a.describe()}) đúng, nhưng đầu vào của nó có kích thước "
          f"{_fmt(a.input_shape)} mỗi mẫu; trong mạng của bài giảng là {_fmt(e.input_shape)}. "
          f"Các lớp có trọng số khớp đến đây, nên một bước không có trọng số giữa {prev} và "
          f"{a.name} khác: thiếu hoặc thừa một MaxPool (hay stride) làm nhỏ feature map, hoặc "
          "bạn làm phẳng (flatten) một tensor khác.")
    return {"en": en, "vi": vi}


def diagnose(actual: list[Layer], expected: list[Layer]) -> tuple[int, dict] | None:
    """The first real difference: (row to mark, {"en": ..., "vi": ...}), or None."""
    sig_a = [x.signature() for x in actual]
    sig_e = [x.signature() for x in expected]
    for i in range(max(len(actual), len(expected))):
        a = actual[i] if i < len(actual) else None
        e = expected[i] if i < len(expected) else None
        if a is None:
            return i, {"en": f"a layer is missing at the end: the lecture's {e.name} "
                             f"({e.describe()}) after {actual[-1].name if actual else 'the input'}.",
                       "vi": f"thiếu một lớp ở cuối: lớp {e.name} ({e.describe()}) của bài giảng, "
                             f"sau {actual[-1].name if actual else 'đầu vào'}."}
        if e is None:
            return i, {"en": f"your {a.name} ({a.describe()}) is an extra layer: the lecture's "
                             "network ends before it.",
                       "vi": f"lớp {a.name} ({a.describe()}) của bạn là lớp thừa: mạng của bài "
                             "giảng kết thúc trước nó."}
        if sig_a[i] == sig_e[i]:
            continue
        if i + 1 < min(len(actual), len(expected)) and sig_a[i] == sig_e[i + 1] \
                and sig_a[i + 1] == sig_e[i]:
            b = actual[i + 1]
            return i, {"en": f"{a.name} ({a.describe()}) and {b.name} ({b.describe()}) are "
                             f"swapped: the lecture's network has {e.describe()} first, then "
                             f"{expected[i + 1].describe()}.",
                       "vi": f"{a.name} ({a.describe()}) và {b.name} ({b.describe()}) bị đảo "
                             f"thứ tự: bài giảng đặt {e.describe()} trước, rồi "
                             f"{expected[i + 1].describe()}."}
        if len(sig_a) < len(sig_e) and sig_a[i:] == sig_e[i + 1:i + 1 + len(sig_a) - i] or (
                i + 1 < len(sig_e) and sig_a[i] == sig_e[i + 1] and a.kind != e.kind):
            where = actual[i - 1].name if i else pick({"en": "the input", "vi": "đầu vào"})
            return i, {"en": f"a layer is missing: the lecture's network has {e.describe()} "
                             f"({e.name}) between {where} and your {a.name}.",
                       "vi": f"thiếu một lớp: bài giảng có {e.describe()} ({e.name}) giữa "
                             f"{where} và lớp {a.name} của bạn."}
        if len(sig_a) > len(sig_e) and sig_a[i + 1:] == sig_e[i:i + len(sig_a) - i - 1] or (
                i + 1 < len(sig_a) and sig_a[i + 1] == sig_e[i] and a.kind != e.kind):
            return i, {"en": f"your {a.name} ({a.describe()}) is an extra layer: the lecture's "
                             f"network goes on with {e.describe()} here.",
                       "vi": f"lớp {a.name} ({a.describe()}) của bạn là lớp thừa: bài giảng "
                             f"tiếp tục với {e.describe()} ở đây."}
        if a.kind != e.kind:
            return i, {"en": f"your {a.name} is a {a.describe()}, the lecture's layer here is a "
                             f"{e.describe()}.",
                       "vi": f"lớp {a.name} của bạn là {a.describe()}, bài giảng dùng "
                             f"{e.describe()} ở vị trí này."}
        return i, _config_advice(a, e)
    for i, (a, e) in enumerate(zip(actual, expected)):
        if a.input_shape is None or e.input_shape is None:
            continue
        if a.input_shape != e.input_shape:
            return i, _shape_advice(a, e, actual[i - 1] if i else None)
    return None


def layers_of(reference, input_size) -> list[Layer]:
    """Expected layers: from a reference module, or a pinned list (see ``pinned``)."""
    if isinstance(reference, (list, tuple)):
        return [x if isinstance(x, Layer) else Layer.from_data(x) for x in reference]
    import torch

    layers, error = trace(reference, torch.zeros(input_size))
    if error is not None:
        raise error
    return layers


def compare_architectures(model, reference, input_size, what: str, inputs=None) -> None:
    """Fail, naming the first real difference, when ``model``'s learnable layers differ.

    ``reference`` is a module built from torch.nn, or a pinned list of layers.
    """
    __tracebackhide__ = True
    import torch

    what = pick(what)
    expected = layers_of(reference, input_size)
    x = inputs if inputs is not None else torch.zeros(input_size)
    actual, error = trace(model, x)
    found = diagnose(actual, expected)
    if error is None and found is None:
        return
    if error is not None:
        root = error.__cause__ or error
        broke = next((x for x in actual if x.input_shape is not None and x.output_shape is None),
                     None)
        at = pick({"en": f" at {broke.name} ({broke.describe()})",
                   "vi": f" tại {broke.name} ({broke.describe()})"}) if broke else ""
        note = explain_message(str(root))
        head = pick({"en": f"{what}: the forward pass on input {tuple(x.shape)} failed{at}: "
                           f"{type(root).__name__}: {root}",
                     "vi": f"{what}: lượt lan truyền xuôi với đầu vào {tuple(x.shape)} bị lỗi{at}: "
                           f"{type(root).__name__}: {root}"})
        head += f"\n{note}" if note else ""
    else:
        head = pick({"en": f"{what}: the architecture differs from the lecture's.",
                     "vi": f"{what}: kiến trúc khác với bài giảng."})
    mark, advice = found if found else (None, None)
    if advice is not None:
        head += "\n" + pick({"en": "First difference: ", "vi": "Khác biệt đầu tiên: "}) + \
            pick(advice)
    raise AssertionError(f"{head}\n\n{side_by_side(actual, expected, mark)}")
