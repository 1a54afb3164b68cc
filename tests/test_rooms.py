"""The rooms hold: what ships to students never reaches the instructor's code, and the
sub-packages of ``grader`` import one another without a cycle.

Fast: the files are parsed (ast), never imported. What ships is asked of
``grader.export.release``, the code that builds the bundle."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from grader.core import paths
from grader.export import release

INSTRUCTOR_PACKAGES = tuple(f"grader.{name}" for name in release.INSTRUCTOR_ONLY)
# A string that names an instructor module: importlib.import_module("grader.grading.x"),
# pytest_plugins = ["grader.dev.y"], "-p grader.export.z" and the like.
NAMED_MODULE = re.compile(r"^(?:-p\s*)?(grader(?:\.[A-Za-z_]\w*)+)$")

# Known offenders, each with why and who removes it. An entry whose file no longer
# offends fails the test below: delete the entry then.
KNOWN_OFFENDERS: dict[str, str] = {}


IMPORTERS = ("import_module", "__import__", "find_spec")


def imports_of(path: Path, strings: bool = True) -> list[tuple[int, str]]:
    """(line, module) for every module the file imports: at the top, inside functions,
    ``from grader import grading`` (as grader.grading), relative imports (resolved),
    ``importlib.import_module("...")``; with ``strings``, also any string literal that is a
    dotted ``grader.`` name (a pytest plugin named for ``-p`` or ``pytest_plugins``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = _package_of(path)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(p for p in [*parts, base] if p)
            found.append((node.lineno, base))
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names
                      if alias.name != "*"]
        elif isinstance(node, ast.Call) and node.args and \
                isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str) \
                and getattr(node.func, "attr", getattr(node.func, "id", "")) in IMPORTERS:
            found.append((node.lineno, node.args[0].value))
        elif strings and isinstance(node, ast.Constant) and isinstance(node.value, str):
            match = NAMED_MODULE.match(node.value.strip())
            if match:
                found.append((node.lineno, match.group(1)))
    return found


def _package_of(path: Path) -> str:
    try:
        rel = path.resolve().relative_to(paths.KIT_ROOT)
    except ValueError:
        return ""
    parts = list(rel.with_suffix("").parts)
    return ".".join(parts if path.name == "__init__.py" else parts[:-1])


def _instructor(module: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in INSTRUCTOR_PACKAGES)


def _offences(files) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in files:
        rel = str(Path(path).resolve().relative_to(paths.KIT_ROOT))
        hits: dict[int, str] = {}
        for line, module in imports_of(Path(path)):
            if _instructor(module) and len(module) > len(hits.get(line, "")):
                hits[line] = module  # the most precise name on the line
        if hits:
            found[rel] = [f"{rel}:{line}: imports {m}" for line, m in sorted(hits.items())]
    return found


def test_the_bundle_ships_what_the_scan_reads():
    files = {str(p.relative_to(paths.KIT_ROOT)) for p in release.shipped_python_files()}
    assert "grader/testkit/harness.py" in files and "conftest.py" in files
    assert "exercises/01_cnn/test_params.py" in files and "exercises/01_cnn/params.py" in files
    assert not any(f.startswith(("grader/grading/", "grader/export/", "grader/dev/"))
                   for f in files), "the bundle would ship instructors' code"
    assert set(release.shipped_packages()) >= {"grader.core", "grader.testkit",
                                               "grader.lab", "grader.student"}


def test_nothing_shipped_imports_the_instructors_code():
    found = _offences(release.shipped_python_files())
    stale = [f for f in KNOWN_OFFENDERS if f not in found]
    assert not stale, f"these files no longer import instructors' code: delete their " \
                      f"KNOWN_OFFENDERS entries {stale}"
    unknown = [hit for f, hits in sorted(found.items()) if f not in KNOWN_OFFENDERS
               for hit in hits]
    assert not unknown, "shipped to students, but imports " + "/".join(
        INSTRUCTOR_PACKAGES) + " (missing in the bundle):\n  " + "\n  ".join(unknown)


@pytest.mark.parametrize("source, caught", [
    ("import grader.grading.box\n", "grader.grading.box"),
    ("def f():\n    from grader.export import release\n", "grader.export"),
    ("from grader import dev\n", "grader.dev"),
    ("import importlib\nimportlib.import_module('grader.grading.worker')\n",
     "grader.grading.worker"),
    ("pytest_plugins = ['grader.dev.check']\n", "grader.dev.check"),
])
def test_the_scan_catches_each_form_of_import(tmp_path, source, caught):
    planted = tmp_path / "planted.py"
    planted.write_text(source)
    assert caught in [m for _, m in imports_of(planted)]
    assert any(_instructor(m) for _, m in imports_of(planted))


def test_the_scan_ignores_prose_and_student_imports(tmp_path):
    planted = tmp_path / "planted.py"
    planted.write_text('"""Grading uses grader.grading.worker (see there)."""\n'
                       "from grader.testkit.harness import exercise\n")
    assert not any(_instructor(m) for _, m in imports_of(planted))


# --- no cycle between the sub-packages of grader --------------------------------------
def room_of(module: str) -> str | None:
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "grader" and len(parts) > 1 else None


def room_graph() -> dict[str, dict[str, str]]:
    """{room: {room it imports: the first file:line that does}}, from every import of
    every module of grader/ (inside functions too). A module named in a string (the
    plugin ``core.runner`` passes to a pytest it starts) is a run-time name, not an import."""
    graph: dict[str, dict[str, str]] = {}
    for path in sorted((paths.KIT_ROOT / "grader").rglob("*.py")):
        room = room_of(_package_of(path) + "." + path.stem)
        if room is None or room.endswith(("__init__", "__main__")):
            continue
        for line, module in imports_of(path, strings=False):
            other = room_of(module)
            if other and other != room and (paths.KIT_ROOT / Path(*other.split("."))).is_dir():
                where = f"{path.relative_to(paths.KIT_ROOT)}:{line}"
                graph.setdefault(room, {}).setdefault(other, where)
    return graph


def find_cycle(graph: dict[str, dict[str, str]]) -> list[str] | None:
    """A cycle as [a, b, ..., a], or None."""
    state: dict[str, int] = {}  # 1: on the path, 2: done
    stack: list[str] = []

    def visit(node):
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, {})):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def test_no_import_cycle_between_subpackages():
    graph = room_graph()
    assert "grader.testkit" in graph and "grader.grading" in graph, graph
    cycle = find_cycle(graph)
    if cycle:
        steps = [f"{a} -> {b} ({graph[a][b]})" for a, b in zip(cycle, cycle[1:])]
        pytest.fail("import cycle between sub-packages of grader:\n  " + "\n  ".join(steps))


def test_the_cycle_search_finds_one():
    graph = {"grader.a": {"grader.b": "a.py:1"}, "grader.b": {"grader.c": "b.py:2"},
             "grader.c": {"grader.a": "c.py:3"}, "grader.d": {"grader.a": "d.py:4"}}
    assert find_cycle(graph) == ["grader.a", "grader.b", "grader.c", "grader.a"]
    del graph["grader.c"]
    assert find_cycle(graph) is None


# --- no cycle between modules, and every import inside a function says why ------------------

def _module_name(path: Path) -> str:
    name = _package_of(path) + "." + path.stem
    return name[: -len(".__init__")] if name.endswith(".__init__") else name


def module_graph() -> dict[str, dict[str, str]]:
    """{module: {grader module it imports, at the top or inside a function: file:line}}.
    A package's ``__init__`` is left out: importing ``grader.x.y`` runs it whoever asks."""
    files = {_module_name(p): p for p in (paths.KIT_ROOT / "grader").rglob("*.py")}
    graph: dict[str, dict[str, str]] = {}
    for name, path in sorted(files.items()):
        if path.stem in ("__init__", "__main__"):
            continue
        for line, module in imports_of(path, strings=False):
            if module in files and module != name and files[module].stem != "__init__":
                graph.setdefault(name, {}).setdefault(
                    module, f"{path.relative_to(paths.KIT_ROOT)}:{line}")
    return graph


def test_no_import_cycle_between_modules():
    """Inside a room too: a cycle hidden in a function's import is still a cycle."""
    graph = module_graph()
    assert "grader.lab.data" in graph, sorted(graph)
    cycle = find_cycle(graph)
    if cycle:
        steps = [f"{a} -> {b} ({graph[a][b]})" for a, b in zip(cycle, cycle[1:])]
        pytest.fail("import cycle between modules of grader:\n  " + "\n  ".join(steps))


def lazy_imports_without_reason() -> list[str]:
    """Imports of grader's own modules placed inside a function with no ``# lazy:`` comment
    (on the line or just above) saying what start-up cost they save."""
    bare = []
    for path in sorted((paths.KIT_ROOT / "grader").rglob("*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        for fn in ast.walk(ast.parse("\n".join(lines))):
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(fn):
                if isinstance(node, ast.ImportFrom):
                    module = node.module or ""
                elif isinstance(node, ast.Import):
                    module = node.names[0].name
                else:
                    continue
                said = lines[node.lineno - 1] + (lines[node.lineno - 2] if node.lineno > 1 else "")
                if module.startswith("grader") and "# lazy:" not in said:
                    bare.append(f"{path.relative_to(paths.KIT_ROOT)}:{node.lineno}")
    return sorted(set(bare))


def test_every_import_inside_a_function_says_what_it_saves():
    assert lazy_imports_without_reason() == [], (
        "move these imports to the top of their module, or say on the line why they wait "
        "(# lazy: keeps torch out of start-up, ...)")


# --- the style guide's size and naming rules, as checks --------------------------------
MAX_FUNCTION_LINES = 60
MAX_FILE_LINES = 350
MAX_GRADING_TOP_MODULES = 12
# Functions clearer whole than split, each with its reason. An entry that no longer runs
# past the limit fails the test below: delete it then.
LONG_FUNCTIONS: dict[str, str] = {
    "grader/cli/main.py::build_parser": "one argparse table: every command and its options, "
                                        "read top to bottom as the help reads",
}


def _kit_files() -> list[Path]:
    return sorted(p for p in (paths.KIT_ROOT / "grader").rglob("*.py")
                  if "__pycache__" not in p.parts)


def long_functions() -> dict[str, int]:
    found = {}
    for path in _kit_files():
        rel = path.relative_to(paths.KIT_ROOT).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    found[f"{rel}::{node.name}"] = length
    return found


def test_no_function_runs_past_sixty_lines_unless_listed_with_its_reason():
    found = long_functions()
    unlisted = {name: n for name, n in found.items() if name not in LONG_FUNCTIONS}
    assert not unlisted, ("split these functions (docs/style.md: past 60 lines), or list one "
                          f"with its reason in LONG_FUNCTIONS: {unlisted}")
    stale = [name for name in LONG_FUNCTIONS if name not in found]
    assert not stale, f"no longer past 60 lines: delete from LONG_FUNCTIONS: {stale}"


def test_no_file_of_the_kit_runs_past_350_lines():
    long = {p.relative_to(paths.KIT_ROOT).as_posix(): n for p in _kit_files()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_FILE_LINES}
    assert not long, f"split these modules by job: {long}"


def test_no_two_modules_share_a_name_across_rooms():
    """Each audience's ``subcommands.py`` (where it registers its commands) aside."""
    seen: dict[str, list[str]] = {}
    for path in _kit_files():
        if path.name not in ("__init__.py", "__main__.py", "subcommands.py"):
            seen.setdefault(path.name, []).append(path.relative_to(paths.KIT_ROOT).as_posix())
    shared = {name: where for name, where in seen.items() if len(where) > 1}
    assert not shared, f"rename one of each: {shared}"


def test_grading_keeps_its_path_on_top_and_its_machinery_below():
    top = sorted(p.name for p in (paths.KIT_ROOT / "grader" / "grading").glob("*.py"))
    assert len(top) <= MAX_GRADING_TOP_MODULES, (
        f"grader/grading/ has {len(top)} modules on top (at most {MAX_GRADING_TOP_MODULES}): "
        f"move machinery into run/, box/, training/, intake/ or worker/: {top}")
