"""What the names of a Python file refer to, read from its syntax tree (never run).

Three questions that ``source_rules`` asks of a submission:

* ``Names.origins(node)``: the qualified library names an expression may stand for,
  following imports and aliases (``import torch.nn.functional as F``, ``g = torch``,
  ``look = getattr``, ``from numpy.lib.stride_tricks import sliding_window_view as swv``,
  ``getattr(F, "conv2d")``, ``__import__("torch")``); a name the file binds itself has none.
* ``constant(node)``: the value of an expression built from constants only (a string of
  character codes, a reversed literal, a join), or ``None`` when it depends on the run.
* ``reachable(tree, entry)``: the code that can run when ``entry`` is called: module-level
  statements, and every function or class whose name that code mentions, transitively;
  an ``if __name__ == "__main__":`` block is never part of it.

Scopes are not told apart (a name bound anywhere is bound everywhere): the reading is
coarse on purpose, and errs towards "may refer to"."""

from __future__ import annotations

import ast

from grader.testkit.folded_constants import _single_constants, constant


# Built-in functions that look something up, or run code, by a value known at run time.
LOOKUP_BUILTINS = {"getattr", "__import__", "eval", "exec", "compile", "globals", "locals",
                   "vars", "setattr", "delattr", "breakpoint"}

_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def is_main_block(node) -> bool:
    """``if __name__ == "__main__":`` (either way round)."""
    if not isinstance(node, ast.If) or not isinstance(node.test, ast.Compare):
        return False
    test = node.test
    if len(test.ops) != 1 or not isinstance(test.ops[0], ast.Eq):
        return False
    sides = [test.left, test.comparators[0]]
    names = [s for s in sides if isinstance(s, ast.Name) and s.id == "__name__"]
    mains = [s for s in sides if isinstance(s, ast.Constant) and s.value == "__main__"]
    return len(names) == 1 and len(mains) == 1

def without_main(tree: ast.Module) -> list[ast.stmt]:
    """The module's statements, its ``__main__`` blocks' bodies left out (their else kept)."""
    kept = []
    for stmt in tree.body:
        if is_main_block(stmt):
            kept += stmt.orelse
        else:
            kept.append(stmt)
    return kept

def _children(node):
    """The nodes directly under ``node``; a def's or class's body is not among them, only
    what runs where it is defined (decorators, defaults, bases)."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return [*node.decorator_list, *node.args.defaults,
                *[d for d in node.args.kw_defaults if d is not None]]
    if isinstance(node, ast.ClassDef):
        return [*node.decorator_list, *node.bases, *node.keywords]
    return list(ast.iter_child_nodes(node))

def _walk_here(nodes):
    """Every node of ``nodes``, not entering the bodies of defs and classes."""
    todo = list(nodes)
    while todo:
        node = todo.pop()
        yield node
        todo.extend(_children(node))

def _mentioned(nodes) -> set[str]:
    out = set()
    for node in _walk_here(nodes):
        if isinstance(node, ast.Name):
            out.add(node.id)
        elif isinstance(node, ast.Attribute):
            out.add(node.attr)
    return out

def reachable(tree: ast.Module, entry: str) -> list[ast.AST]:
    """The code that may run when ``entry`` is called (see the module's docstring), as a
    list of nodes whose own subtrees are walked with ``walk_reachable``."""
    defs: dict[str, list] = {}
    for node in ast.walk(tree):
        if isinstance(node, _DEFS):
            defs.setdefault(node.name, []).append(node)
    main = [n for stmt in tree.body if is_main_block(stmt) for n in ast.walk(stmt)]
    for name in list(defs):  # a def inside the __main__ block is the block's
        defs[name] = [d for d in defs[name] if not any(d is m for m in main)]
    roots: list[ast.AST] = list(without_main(tree))
    seen: set[str] = set()
    frontier = {entry} | _mentioned(roots)
    while frontier:
        name = frontier.pop()
        if name in seen or name not in defs:
            continue
        seen.add(name)
        for node in defs[name]:
            body = node.body
            roots += body
            frontier |= _mentioned(body)
            if isinstance(node, ast.ClassDef):  # a reachable class: all of its methods
                frontier |= {d.name for d in ast.walk(node) if isinstance(d, _DEFS)}
    return roots

def walk_reachable(roots) -> list[ast.AST]:
    """Every node of the reachable code; each def's body is walked only if it is itself
    among ``roots`` (``reachable`` put it there)."""
    return list(_walk_here(roots))

def bound_names(tree: ast.AST) -> set[str]:
    """Names the file binds itself: functions, classes, arguments, assigned variables."""
    bound = set()
    for node in ast.walk(tree):
        if isinstance(node, _DEFS):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            bound.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound |= {(a.asname or a.name).split(".")[0] for a in node.names if a.name != "*"}
    return bound

def own_attributes(tree: ast.AST) -> set[str]:
    """Attribute names the file makes its own: its defs' and classes' names and every
    attribute it assigns (``self.conv_weight = ...``)."""
    own = {n.name for n in ast.walk(tree) if isinstance(n, _DEFS)}
    own |= {n.attr for n in ast.walk(tree)
            if isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Store)}
    return own

class Names:
    """The origins of a file's names (see the module's docstring)."""

    def __init__(self, tree: ast.Module):
        self.tree = tree
        self.bound = bound_names(tree)
        self.table: dict[str, set[str]] = {}
        self.star: set[str] = set()  # modules imported with *
        self.consts = _single_constants(tree)
        self._imports(tree)
        for _ in range(8):  # aliases of aliases: until nothing changes
            if not self._aliases(tree):
                break

    def _add(self, name: str, origins: set[str]) -> bool:
        have = self.table.setdefault(name, set())
        new = origins - have
        have |= new
        return bool(new)

    def _imports(self, tree) -> None:
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.asname:
                        self._add(a.asname, {a.name})
                    else:
                        self._add(a.name.split(".")[0], {a.name.split(".")[0]})
            elif isinstance(node, ast.ImportFrom):
                module = "." * node.level + (node.module or "")
                for a in node.names:
                    if a.name == "*":
                        self.star.add(module)
                    else:
                        self._add(a.asname or a.name, {f"{module}.{a.name}"})

    def _aliases(self, tree) -> bool:
        changed = False
        for node in ast.walk(tree):
            pairs = []
            if isinstance(node, (ast.Assign, ast.AnnAssign, ast.NamedExpr)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                pairs = [(t, node.value) for t in targets if node.value is not None]
            elif isinstance(node, (ast.For, ast.comprehension)) and isinstance(
                    node.iter, (ast.List, ast.Tuple, ast.Set)):
                pairs = [(node.target, e) for e in node.iter.elts]
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                args = node.args
                positional = [*args.posonlyargs, *args.args]
                pairs = [(ast.Name(a.arg, ast.Store()), d) for a, d in
                         zip(positional[len(positional) - len(args.defaults):], args.defaults)]
                pairs += [(ast.Name(a.arg, ast.Store()), d)
                          for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None]
            for target, value in pairs:
                changed |= self._bind(target, value)
        return changed

    def _bind(self, target, value) -> bool:
        if isinstance(target, (ast.Tuple, ast.List)) and isinstance(value, (ast.Tuple, ast.List)) \
                and len(target.elts) == len(value.elts):
            return any([self._bind(t, v) for t, v in zip(target.elts, value.elts)])
        if isinstance(target, ast.Name):
            found = self.origins(value)
            return self._add(target.id, found) if found else False
        return False

    def origins(self, node) -> set[str]:
        """The qualified names ``node`` may stand for ("torch.nn.functional.conv2d",
        "builtins.getattr"); empty when it is the file's own value or unknown."""
        if isinstance(node, ast.Name):
            if node.id in self.table:
                return set(self.table[node.id])
            if node.id not in self.bound:
                if node.id in LOOKUP_BUILTINS or node.id in ("chr", "str", "bytes"):
                    return {f"builtins.{node.id}"}
                return {f"{m}.{node.id}" for m in self.star}
            return set()
        if isinstance(node, ast.Attribute):
            return {f"{o}.{node.attr}" for o in self.origins(node.value)}
        if isinstance(node, ast.Call):
            return self._call_origins(node)
        if isinstance(node, ast.NamedExpr):
            return self.origins(node.value)
        return set()

    def _call_origins(self, node: ast.Call) -> set[str]:
        funcs = self.origins(node.func)
        name = constant(node.args[0], self.consts) if node.args else None
        out = set()
        if isinstance(name, str):
            if "builtins.__import__" in funcs:
                out.add(name.split(".")[0])
            if funcs & {"importlib.import_module", "importlib.__import__"}:
                out.add(name)
        if "builtins.getattr" in funcs and len(node.args) >= 2:
            attr = constant(node.args[1], self.consts)
            if isinstance(attr, str):
                out |= {f"{o}.{attr}" for o in self.origins(node.args[0])}
        return out
