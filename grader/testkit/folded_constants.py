"""Names and strings a file builds from constants, folded by reading it: character codes,
reversed strings, joins, f-strings, ``bytes(...).decode()``; what cannot be folded is None."""

from __future__ import annotations

import ast


_MAX_TEXT = 4096
_STR_METHODS = {"lower", "upper", "strip", "lstrip", "rstrip", "replace", "format", "decode",
                "title", "casefold", "removeprefix", "removesuffix", "join"}


def _single_constants(tree) -> dict[str, object]:
    """Names assigned exactly once in the file, to a value made of constants only."""
    values: dict[str, list] = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.NamedExpr)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                if isinstance(t, ast.Name):
                    values.setdefault(t.id, []).append(
                        None if isinstance(node, ast.AugAssign) else node.value)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            values.setdefault(node.id, [])
    consts: dict[str, object] = {}
    for _ in range(4):
        for name, assigned in values.items():
            if len(assigned) == 1 and assigned[0] is not None and name not in consts:
                value = constant(assigned[0], consts)
                if value is not None:
                    consts[name] = value
    return consts

def constant(node, consts: dict | None = None, env: dict | None = None, depth: int = 0):
    """The value of an expression made of constants (strings, numbers, lists of them)
    through ``+ - *``, ``chr``, ``str``, slicing, ``join``, ``map``, comprehensions and a few
    ``str`` methods; ``None`` when it needs anything the run decides."""
    if depth > 40:
        return None
    try:
        value = _constant(node, consts or {}, env or {}, depth + 1)
    except Exception:  # noqa: BLE001 - any failure to fold means "not a constant"
        return None
    if isinstance(value, (str, bytes)) and len(value) > _MAX_TEXT:
        return None
    return value

def _constant(node, consts, env, depth):
    c = lambda n: constant(n, consts, env, depth)  # noqa: E731
    if isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes, int)):
        return node.value
    if isinstance(node, ast.Name):
        if node.id in env:
            return env[node.id]
        return consts.get(node.id)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        value = c(node.operand)
        return -value if isinstance(value, int) else None
    if isinstance(node, (ast.List, ast.Tuple)):
        items = [c(e) for e in node.elts]
        return None if any(i is None for i in items) else items
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult)):
        left, right = c(node.left), c(node.right)
        if left is None or right is None:
            return None
        if isinstance(node.op, ast.Mult) and max(len(str(left)), len(str(right))) > 64:
            return None
        return {ast.Add: lambda: left + right, ast.Sub: lambda: left - right,
                ast.Mult: lambda: left * right}[type(node.op)]()
    if isinstance(node, ast.JoinedStr):
        parts = [c(v.value if isinstance(v, ast.FormattedValue) else v) for v in node.values]
        return None if any(p is None for p in parts) else "".join(str(p) for p in parts)
    if isinstance(node, ast.Subscript):
        base = c(node.value)
        if isinstance(node.slice, ast.Slice):
            bounds = [c(b) if b is not None else None for b in
                      (node.slice.lower, node.slice.upper, node.slice.step)]
            return base[slice(*bounds)] if base is not None else None
        index = c(node.slice)
        return base[index] if base is not None and index is not None else None
    if isinstance(node, (ast.ListComp, ast.GeneratorExp)) and len(node.generators) == 1:
        gen = node.generators[0]
        items = c(gen.iter)
        if not isinstance(gen.target, ast.Name) or items is None or len(items) > _MAX_TEXT:
            return None
        out = []
        for item in items:
            inner = {**env, gen.target.id: item}
            if all(constant(cond, consts, inner, depth) for cond in gen.ifs):
                value = constant(node.elt, consts, inner, depth)
                if value is None:
                    return None
                out.append(value)
        return out
    if isinstance(node, ast.Call):
        return _constant_call(node, c)
    return None

def _constant_call(node: ast.Call, c):
    if node.keywords:
        return None
    if isinstance(node.func, ast.Name) and node.func.id == "map" and len(node.args) == 2 \
            and isinstance(node.args[0], ast.Name) and node.args[0].id in ("chr", "str"):
        items = c(node.args[1])
        return None if items is None else \
            [{"chr": chr, "str": str}[node.args[0].id](x) for x in items]
    args = [c(a) for a in node.args]
    if any(a is None for a in args):
        return None
    if isinstance(node.func, ast.Name):
        simple = {"chr": chr, "str": str, "ord": ord, "int": int, "list": list,
                  "reversed": lambda s: list(reversed(s)), "bytes": bytes, "bytearray": bytes}
        return simple[node.func.id](*args) if node.func.id in simple else None
    if isinstance(node.func, ast.Attribute) and node.func.attr in _STR_METHODS:
        base = c(node.func.value)
        if isinstance(base, (str, bytes)):
            return getattr(base, node.func.attr)(*args)
    return None
