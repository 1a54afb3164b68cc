"""Rules on a submission's source, checked by reading the file (never by running it).

A guard patched into the student's process can be undone by the student's code, so
"do not call the built-in convolution" is checked here, in the test process, on the
file's syntax tree: no built-in convolution or window function is named, no module but
a short allowlist is imported, and nothing is looked up by a name computed at run time
(``getattr`` with a non-literal name, ``__import__``, ``eval``, ``globals()``, ``__dict__``,
``torch.ops``...), because such a lookup could reach any of them unseen.
"""

from __future__ import annotations

import ast
import importlib.util
import re
from dataclasses import dataclass
from pathlib import Path

from grader.core.i18n import msg

# Names that are, or lead straight to, a built-in convolution or sliding window.
BUILTIN_CONV = re.compile(r"conv|unfold|im2col|col2im|as_strided|_ConvNd", re.IGNORECASE)
# Names that look something up at run time, or reach torch's internals.
DYNAMIC_NAMES = {
    "__import__", "eval", "exec", "compile", "globals", "locals", "vars", "importlib",
    "__builtins__", "builtins", "__dict__", "__getattribute__", "__getattr__", "attrgetter",
    "methodcaller", "__class__", "__subclasses__", "__globals__", "__code__", "__closure__",
    "modules", "ops", "_C", "_VF", "_refs", "_prims", "_decomp", "_ops", "ctypes",
    "sys", "pickle", "marshal", "inspect", "subprocess", "os", "setattr", "delattr",
}
ALLOWED_IMPORTS = {"__future__", "torch", "torch.nn", "torch.nn.functional", "numpy", "math",
                   "itertools", "functools", "typing", "collections", "dataclasses", "numbers"}


@dataclass
class Finding:
    line: int
    text: str  # what was found, e.g. "torch.convolution"
    dynamic: bool  # a run-time lookup (as opposed to a named built-in)


def _dotted(node) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.insert(0, node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.insert(0, node.id)
    return ".".join(parts) or type(node).__name__


def _bound_names(tree) -> set[str]:
    """Names the file itself defines: functions, classes, arguments, assigned variables."""
    bound = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            bound.add(node.id)
    return bound


def scan(source: str) -> list[Finding]:
    """What breaks the rules in ``source`` (raises SyntaxError for a file that does not parse)."""
    tree = ast.parse(source)
    bound = _bound_names(tree)
    found: list[Finding] = []

    def note(node, text, dynamic):
        found.append(Finding(getattr(node, "lineno", 0), text, dynamic))

    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            modules = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [("." * node.level) + (node.module or "")]
            for module in modules:
                if module not in ALLOWED_IMPORTS:
                    note(node, f"import {module}", True)
            if isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    if alias.name == "*":
                        note(node, f"from {node.module} import *", True)
                    elif BUILTIN_CONV.search(alias.name):
                        note(node, f"{node.module}.{alias.name}", False)
                    elif alias.name in DYNAMIC_NAMES:
                        note(node, f"{node.module}.{alias.name}", True)
        elif isinstance(node, ast.Attribute):
            if BUILTIN_CONV.search(node.attr):
                note(node, _dotted(node), False)
            elif node.attr in DYNAMIC_NAMES:
                note(node, _dotted(node), True)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            if node.id in bound:
                continue
            if BUILTIN_CONV.search(node.id):
                note(node, node.id, False)
            elif node.id in DYNAMIC_NAMES:
                note(node, node.id, True)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id in ("getattr", "hasattr") and node.func.id not in bound:
            name = node.args[1] if len(node.args) > 1 else None
            if not (isinstance(name, ast.Constant) and isinstance(name.value, str)):
                note(node, f"{node.func.id}(..., <a name computed at run time>)", True)
            elif BUILTIN_CONV.search(name.value) or name.value in DYNAMIC_NAMES:
                note(node, f"{node.func.id}(..., {name.value!r})", False)
    return sorted(found, key=lambda f: (f.line, f.text))


def read_source(path: Path) -> str:
    """The file's text as Python reads it (its ``# coding:`` line honoured, so a file in
    Latin-1 is judged as the program that runs); bytes that are not text in that encoding
    are replaced, never a crash."""
    data = Path(path).read_bytes()
    try:
        return importlib.util.decode_source(data)
    except (SyntaxError, UnicodeDecodeError, LookupError):
        return data.decode("utf-8", errors="replace")


def scan_file(path: Path) -> list[Finding]:
    return scan(read_source(path))


def _stub_body(body: list) -> bool:
    """A function body that is only ``raise NotImplementedError`` (a docstring, comments
    and ``pass`` aside): nbgrader's stub, not a student's unsupported case."""
    rest = [n for n in body if not isinstance(n, ast.Pass) and not (
        isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))]
    return len(rest) == 1 and _not_implemented(rest[0]) is not None


def _not_implemented(node) -> str | None:
    """The text of ``raise NotImplementedError(...)`` ("" when it has none), else None."""
    if not isinstance(node, ast.Raise) or node.exc is None:
        return None
    call = node.exc if isinstance(node.exc, ast.Call) else None
    if getattr(call.func if call else node.exc, "id", "") != "NotImplementedError":
        return None
    arg = call.args[0] if call and call.args else None
    return arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else ""


def unfinished(source: str) -> list[str]:
    """What the file's stub lines say: ``raise NotImplementedError("TODO: ...")`` anywhere
    (the kit's stubs), or a function whose whole body is ``raise NotImplementedError()``
    (nbgrader's). A student's own ``raise NotImplementedError`` for a case they do not
    support is neither."""
    tree = ast.parse(source)
    found = [text for node in ast.walk(tree)
             if (text := _not_implemented(node)) and text.startswith("TODO")]
    found += ["raise NotImplementedError()" for node in ast.walk(tree)
              if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
              and _stub_body(node.body) and not _not_implemented(node.body[-1])]
    return found


def no_builtin_conv_problem(path: Path) -> str | None:
    """Why the file breaks naive_conv's rule (no built-in convolution, nothing looked up at
    run time), in the student's language; None when it keeps it. A file still holding the
    stub's TODO has nothing of the student's to judge yet and keeps no rule either."""
    path = Path(path)
    if not path.is_file():
        return msg(f"{path.name} is missing", f"thiếu tệp {path.name}")
    source = read_source(path)
    try:
        findings, todos = scan(source), unfinished(source)
    except SyntaxError as exc:
        return msg(f"{path.name} does not parse: {exc.msg} (line {exc.lineno})",
                   f"{path.name} không phân tích cú pháp được: {exc.msg} (dòng {exc.lineno})")
    except ValueError as exc:  # a NUL byte (Python 3.11 says so with a ValueError)
        return msg(f"{path.name} does not parse: {exc}",
                   f"{path.name} không phân tích cú pháp được: {exc}")
    if todos:
        return msg(f"{path.name} is not finished, so its source has nothing to check yet: "
                   f"{todos[0]}", f"{path.name} chưa làm xong nên mã nguồn chưa có gì để kiểm "
                   f"tra: {todos[0]}")
    lines = "\n".join(f"    line {f.line}: {f.text}" for f in findings[:8])
    if any(not f.dynamic for f in findings):
        return msg(
            f"{path.name} names a built-in convolution or window function:\n{lines}\nThe "
            "exercise is to slide the window yourself; F.conv2d, nn.Conv2d, torch.convolution, "
            "unfold and the like do it for you, so the exercise scores zero.",
            f"{path.name} dùng tới một phép tích chập hoặc hàm cắt cửa sổ có sẵn:\n{lines}\n"
            "Bài tập yêu cầu tự trượt cửa sổ; F.conv2d, nn.Conv2d, torch.convolution, unfold "
            "và các hàm tương tự làm việc đó thay bạn, nên bài tập này được 0 điểm.")
    if findings:
        return msg(
            f"{path.name} imports another module or looks a name up at run time:\n{lines}\n"
            "Such code could reach a built-in convolution that the grader cannot see, so the "
            "exercise scores zero; only torch, torch.nn.functional, numpy and math are needed. "
            "The instructor can review this decision.",
            f"{path.name} import một module khác hoặc tra cứu tên lúc chạy:\n{lines}\n"
            "Code như vậy có thể gọi tới phép tích chập có sẵn mà bộ chấm không thấy được, nên "
            "bài tập này được 0 điểm; bài chỉ cần torch, torch.nn.functional, numpy và math. "
            "Giảng viên có thể xem xét lại quyết định này.")
    return None
