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
import re
from dataclasses import dataclass
from pathlib import Path

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


def scan_file(path: Path) -> list[Finding]:
    return scan(Path(path).read_text(encoding="utf-8", errors="replace"))
