"""Which library convolutions and window functions a file's reachable code refers to, and
what in it the rule cannot decide: the reading behind naive_conv's rule
(``grader.testkit.source_rules``, which explains the verdicts).

* PROOF: code that may run when ``conv2d_naive`` is called refers to a library convolution
  or window function by its exact qualified name, however it was imported or aliased
  (``F.conv2d``, ``torch.convolution``, ``nn.Conv2d``, ``F.unfold``, ``x.unfold(...)``,
  ``torch.as_strided``, numpy's ``sliding_window_view``, ``np.convolve``, scipy's and
  OpenCV's filters...), or looks one up by a name that is a constant (``getattr(F,
  "conv" + "2d")``, a name spelled in character codes, ``attrgetter``, ``__import__``).
* REVIEW: code whose effect the rule cannot decide: a lookup by a name computed at run
  time, ``eval``/``exec`` of a computed string, ``importlib``, ``sys``, ``ctypes``, a walk
  through ``__dict__`` or ``globals()``, PyTorch's operator tables and internals, a module
  the rule does not know.
* Nothing: the student's own names (``self.conv_weight``, ``_convolve_at``), helpers,
  classes, the standard modules of ``SAFE_MODULES``, numpy for the arithmetic, and code
  that cannot run when graded (an ``if __name__ == "__main__":`` block, a function that
  nothing reachable mentions).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from grader.testkit.folded_constants import constant
from grader.testkit.source_names import Names, own_attributes, reachable, walk_reachable

ENTRY = "conv2d_naive"
PROOF, REVIEW = "proof", "review"
LIBRARIES = {"torch", "numpy", "scipy", "cv2", "skimage"}
# Exact names, in a library's namespace, of convolutions and window cutters.
FORBIDDEN = {
    *(f"conv{d}d" for d in "123"), *(f"conv_transpose{d}d" for d in "123"),
    *(f"{p}Conv{t}{d}d" for p in ("", "Lazy") for t in ("", "Transpose") for d in "123"),
    *(f"conv{d}d_{w}" for d in "123" for w in ("input", "weight")),
    *(f"conv_transpose{d}d_{w}" for d in "123" for w in ("input", "weight")),
    "convolution", "_convolution", "_convolution_mode", "convolution_overrideable", "conv_tbc",
    "cudnn_convolution", "cudnn_convolution_transpose", "cudnn_convolution_relu",
    "cudnn_convolution_add_relu", "mkldnn_convolution", "miopen_convolution",
    "miopen_convolution_transpose", "miopen_depthwise_convolution", "_slow_conv2d_forward",
    "thnn_conv2d", "slow_conv3d", "slow_conv_dilated2d", "slow_conv_dilated3d",
    "slow_conv_transpose2d", "slow_conv_transpose3d", "_conv_depthwise2d", "conv_depthwise3d",
    "_nnpack_spatial_convolution", "_ConvNd", "_ConvTransposeNd", "_ConvTransposeMixin",
    "unfold", "fold", "Unfold", "Fold", "unfold_copy", "im2col", "col2im",
    "as_strided", "as_strided_", "as_strided_copy",
    "sliding_window_view", "convolve", "correlate", "correlate2", "convolve2d", "correlate2d",
    "fftconvolve", "oaconvolve", "convolve1d", "correlate1d", "generic_filter",
    "filter2D", "sepFilter2D", "view_as_windows", "view_as_blocks", "correlate_sparse",
}
# Tensor methods that cut every window at once: proof on any object the file does not own.
WINDOW_METHODS = {"unfold", "unfold_copy", "as_strided", "as_strided_"}
# Modules whose import needs no review (a library's references are judged one by one).
SAFE_MODULES = {"__future__", *LIBRARIES, "math", "cmath", "itertools", "functools", "operator",
                "collections", "warnings", "typing", "typing_extensions", "dataclasses",
                "numbers", "abc", "enum", "contextlib", "copy", "decimal", "fractions",
                "statistics", "random", "time", "string", "re", "textwrap", "array", "heapq",
                "bisect", "logging", "pprint"}
# Parts of a library that reach operator tables, dispatch, compilers or other processes.
INTERNALS = {"ops", "utils", "library", "overrides", "jit", "fx", "compile", "export", "hub",
             "package", "multiprocessing", "classes", "ctypeslib"}
LOOKUPS = {"builtins.getattr": 1, "operator.attrgetter": 0, "operator.methodcaller": 0,
           "builtins.__import__": 0, "importlib.import_module": 0, "importlib.__import__": 0}
RUN_CODE = {"builtins.eval", "builtins.exec", "builtins.compile"}
DYNAMIC_CALLS = {"builtins.globals", "builtins.locals", "builtins.vars", "builtins.breakpoint"}
DYNAMIC_ATTRS = {"__dict__", "__getattribute__", "__getattr__", "__class__", "__subclasses__",
                 "__globals__", "__code__", "__closure__", "__builtins__", "__bases__", "__mro__",
                 "__base__", "__self__", "__func__", "__wrapped__", "__import__", "__loader__",
                 "__spec__", "f_globals", "f_locals", "f_back", "f_builtins", "gi_frame",
                 "tb_frame", "__torch_function__", "__torch_dispatch__"}

# What each finding means, in each language ({what} is filled in).
REASONS = {
    "library": ("a library convolution or window function",
                "phép tích chập hoặc hàm cắt cửa sổ có sẵn của thư viện"),
    "window_method": ("the tensor method that cuts out every window at once",
                      "phương thức tensor cắt sẵn mọi cửa sổ cùng lúc"),
    "lookup_name": ("looks a library convolution or window function up by its name",
                    "tra cứu phép tích chập hoặc hàm cắt cửa sổ có sẵn theo tên"),
    "strided_array": ("an array built on hand-made strides: overlapping windows without a loop",
                      "mảng dựng từ stride tự đặt: các cửa sổ chồng nhau mà không cần vòng lặp"),
    "import": ("imports a module the rule does not know",
               "import một module mà quy tắc không biết"),
    "relative": ("imports another file of the submission, which the rule does not read",
                 "import một tệp khác của bài nộp, tệp mà quy tắc không đọc"),
    "computed_lookup": ("looks a name up by a value computed at run time",
                        "tra cứu một tên bằng giá trị tính lúc chạy"),
    "lookup_value": ("passes a lookup function around as a value",
                     "truyền hàm tra cứu đi như một giá trị"),
    "run_code": ("runs code held in a string", "chạy code chứa trong một chuỗi"),
    "dynamic": ("reaches names through the interpreter's own tables",
                "truy cập tên qua các bảng nội bộ của trình thông dịch"),
    "internal": ("library internals: operator tables, dispatch, compilers or other processes",
                 "phần nội bộ của thư viện: bảng toán tử, dispatch, trình biên dịch hoặc "
                 "tiến trình khác"),
    "patch": ("changes a library while the code runs", "sửa thư viện trong lúc code chạy"),
    "untraced": ("an attribute named like a library convolution, on an object the rule "
                 "cannot trace", "thuộc tính trùng tên một phép tích chập có sẵn, trên một "
                 "đối tượng mà quy tắc không lần ra được"),
}


@dataclass(frozen=True)
class Finding:
    line: int
    text: str  # what was found, e.g. "F.conv2d -> torch.nn.functional.conv2d"
    kind: str  # PROOF or REVIEW
    reason: str  # a key of REASONS

    @property
    def dynamic(self) -> bool:
        return self.kind == REVIEW


class _Scan:
    """One pass over the reachable code of one file."""

    def __init__(self, source: str, tree: ast.Module, outer: "_Scan | None" = None):
        self.source = source
        self.names = outer.names if outer else Names(tree)  # eval'd code sees the file's names
        self.own = own_attributes(tree) | (outer.own if outer else set())
        self.nodes = list(ast.walk(tree)) if outer else walk_reachable(reachable(tree, ENTRY))
        self.callees = {id(n.func) for n in self.nodes if isinstance(n, ast.Call)}
        self.aliases = {id(n.value) for n in self.nodes if isinstance(n, ast.Assign)}
        self.found: dict[tuple[int, str], Finding] = {}

    def note(self, node, text: str, kind: str, reason: str) -> None:
        line = getattr(node, "lineno", 0)
        key = (line, text)
        if key not in self.found or kind == PROOF:
            self.found[key] = Finding(line, text, kind, reason)

    def shown(self, node) -> str:
        text = ast.get_source_segment(self.source, node) or type(node).__name__
        text = " ".join(text.split())
        return text if len(text) <= 60 else text[:57] + "..."

    def run(self) -> list[Finding]:
        for node in self.nodes:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                self.imports(node)
            elif isinstance(node, ast.Name):
                self.name(node)
            elif isinstance(node, ast.Attribute):
                self.attribute(node)
            elif isinstance(node, ast.Call):
                self.call(node)
        return _shortest(self.found.values())

    # -- what a qualified name is ---------------------------------------------------------

    def judge(self, node, qualified: str, shown: str) -> None:
        parts = qualified.split(".")
        text = shown if shown == qualified else f"{shown} -> {qualified}"
        if parts[0] in LIBRARIES and any(p in FORBIDDEN for p in parts[1:]):
            self.note(node, text, PROOF, "library")
        elif parts[0] in LIBRARIES and any(p in INTERNALS or _private(p) for p in parts[1:]):
            self.note(node, text, REVIEW, "internal")
        elif not _safe_module(qualified) and parts[0] != "builtins":
            self.note(node, text, REVIEW, "relative" if qualified.startswith(".") else "import")

    def imports(self, node) -> None:
        if isinstance(node, ast.Import):
            for a in node.names:
                if not _safe_module(a.name):
                    self.note(node, f"import {a.name}", REVIEW, "import")
                else:
                    self.judge(node, a.name, f"import {a.name}")
            return
        module = "." * node.level + (node.module or "")
        if not _safe_module(module):
            self.note(node, f"from {module} import ...", REVIEW,
                      "relative" if node.level else "import")
            return
        for a in node.names:
            if a.name != "*":
                self.judge(node, f"{module}.{a.name}", f"from {module} import {a.name}")

    def name(self, node: ast.Name) -> None:
        if not isinstance(node.ctx, ast.Load):
            return
        if node.id == "__builtins__":
            self.note(node, node.id, REVIEW, "dynamic")
        for q in self.names.origins(node):
            if q in LOOKUPS or q in RUN_CODE or q in DYNAMIC_CALLS:
                if id(node) not in self.callees and id(node) not in self.aliases:
                    self.note(node, node.id, REVIEW, "lookup_value")
            else:
                self.judge(node, q, node.id)

    def attribute(self, node: ast.Attribute) -> None:
        origins = self.names.origins(node)
        if isinstance(node.ctx, (ast.Store, ast.Del)):
            if origins:
                self.note(node, self.shown(node), REVIEW, "patch")
            return
        if node.attr in DYNAMIC_ATTRS:
            self.note(node, self.shown(node), REVIEW, "dynamic")
        for q in origins:
            self.judge(node, q, self.shown(node))
        if not origins and not self.names.origins(node.value) and node.attr not in self.own:
            if node.attr in WINDOW_METHODS:
                self.note(node, self.shown(node), PROOF, "window_method")
            elif node.attr in FORBIDDEN:
                self.note(node, self.shown(node), REVIEW, "untraced")

    def call(self, node: ast.Call) -> None:
        funcs = self.names.origins(node.func)
        for q in self.names.origins(node):  # what getattr / __import__ with a constant gave
            self.judge(node, q, self.shown(node))
        for func in funcs:
            if func in LOOKUPS:
                self.lookup(node, func)
            elif func in RUN_CODE:
                self.run_code(node, func)
            elif func in DYNAMIC_CALLS:
                self.note(node, self.shown(node), REVIEW, "dynamic")
            elif func in ("builtins.setattr", "builtins.delattr") and node.args and (
                    self.names.origins(node.args[0]) or not isinstance(node.args[0], ast.Name)):
                self.note(node, self.shown(node), REVIEW, "patch")
            elif func == "numpy.ndarray" and (len(node.args) > 4 or any(
                    k.arg == "strides" for k in node.keywords)):
                self.note(node, self.shown(node), PROOF, "strided_array")

    def lookup(self, node: ast.Call, func: str) -> None:
        where = LOOKUPS[func]
        names = node.args[where:] if func == "operator.attrgetter" else node.args[where:where + 1]
        if not names:
            self.note(node, self.shown(node), REVIEW, "computed_lookup")
        for arg in names:
            value = constant(arg, self.names.consts)
            if not isinstance(value, str):
                self.note(node, self.shown(node), REVIEW, "computed_lookup")
            elif any(p in FORBIDDEN for p in value.split(".")):
                self.note(node, f"{self.shown(node)} -> {value!r}", PROOF, "lookup_name")
            elif "import" in func and not _safe_module(value):
                self.note(node, f"{self.shown(node)} -> {value!r}", REVIEW, "import")

    def run_code(self, node: ast.Call, func: str) -> None:
        """eval/exec/compile of a constant string is judged as the code it holds (all of
        it may run); of anything else, it is left to a person."""
        code = constant(node.args[0], self.names.consts) if node.args else None
        try:
            inner = _Scan(code, ast.parse(code), self).run() if isinstance(code, str) else None
        except (SyntaxError, ValueError):
            inner = None
        if inner is None:
            self.note(node, self.shown(node), REVIEW, "run_code")
        for f in inner or []:
            self.note(node, f"{self.shown(node)} -> {f.text}", f.kind, f.reason)


def _shortest(findings) -> list[Finding]:
    """One finding per line and reason, the shortest (``F.conv2d`` rather than each longer
    expression around it), in line order."""
    kept: dict[tuple[int, str], Finding] = {}
    for f in sorted(findings, key=lambda f: (f.line, len(f.text), f.text)):
        kept.setdefault((f.line, f.reason), f)
    return sorted(kept.values(), key=lambda f: (f.line, f.text))


def _private(part: str) -> bool:
    return part.startswith("_") and not (part.startswith("__") and part.endswith("__"))


def _safe_module(module: str) -> bool:
    parts = module.split(".")
    if parts[0] not in SAFE_MODULES:
        return False
    return not (parts[0] in LIBRARIES and any(p in INTERNALS or _private(p) for p in parts[1:]))


def scan(source: str) -> list[Finding]:
    """What ``source`` proves or leaves undecided (raises SyntaxError if it does not parse)."""
    tree = ast.parse(source)
    return _Scan(source, tree).run()
