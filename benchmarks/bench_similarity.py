"""Similar-submission search on a synthetic class: 300 submissions, every exercise file.

Each synthetic student starts from the reference solution (or, one in six, the stub),
takes some of the suite's equivalent answers (tests/support/corpus.py), adds a helper of
their own, renames variables and reorders top-level functions. Twenty of them are planted
copies of another student's files (renamed and reordered again). The script times
``similarity.find_pairs`` over the whole class and reports how many planted copies it
lists and how many other pairs it lists.

    ./kit exec python benchmarks/bench_similarity.py   (or .venv/bin/python ...)
"""

from __future__ import annotations

import ast
import io
import keyword
import random
import sys
import tempfile
import time
import tokenize
from pathlib import Path

from _timing import KIT, table

sys.path.insert(0, str(KIT / "tests"))

from grader.grading.classview import similarity  # noqa: E402
from grader.core import manifest, paths  # noqa: E402
from support import corpus  # noqa: E402
from support.equivalents import Equivalent  # noqa: E402

STUDENTS = 300
PLANTED = 20
OPS = ["+", "-", "*", "//", "%"]


def equivalents() -> dict[str, list[Equivalent]]:
    found: dict[str, list[Equivalent]] = {}
    for name in dir(corpus):
        group = getattr(corpus, name)
        if isinstance(group, list):
            for item in group:
                if isinstance(item, Equivalent):
                    found.setdefault(item.file, []).append(item)
    return found


def own_helper(rng: random.Random) -> str:
    """A function of the student's own: random statements of a few shapes."""
    lines = [f"def helper_{rng.randrange(10**6)}(a, b):", "    v0 = a"]
    for i in range(1, rng.randint(6, 12)):
        j = rng.randrange(i)
        shape = rng.randrange(5)
        if shape == 0:
            lines.append(f"    v{i} = v{j} {rng.choice(OPS)} {rng.randint(1, 9)}")
        elif shape == 1:
            lines += [f"    if v{j} > b:", f"        v{i} = v{j} {rng.choice(OPS)} b",
                      "    else:", f"        v{i} = b"]
        elif shape == 2:
            lines += [f"    v{i} = 0", f"    for t in range(v{j}):",
                      f"        v{i} {rng.choice(OPS)}= t"]
        elif shape == 3:
            lines.append(f"    v{i} = [x {rng.choice(OPS)} v{j} for x in range(b)]")
        else:
            lines.append(f"    v{i} = max(v{j}, b, key=abs)")
    lines.append(f"    return v{rng.randrange(i + 1)}")
    return "\n".join(lines) + "\n"


def rename(source: str, rng: random.Random) -> str:
    """Parameters and assigned names renamed everywhere (a student's own names)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    local = {n.arg for n in ast.walk(tree) if isinstance(n, ast.arg)}
    local |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)
              and isinstance(n.ctx, ast.Store)}
    local -= {"self", "cls"}
    chosen = {name: f"{name[:1]}_{rng.randrange(10**5)}" for name in local if rng.random() < 0.7}
    out, previous = [], None
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        text = tok.string
        if (tok.type == tokenize.NAME and text in chosen and not keyword.iskeyword(text)
                and previous != "."):
            text = chosen[text]
        out.append((tok.type, text))
        previous = tok.string
    return tokenize.untokenize(out)


def reorder(source: str, rng: random.Random) -> str:
    """Top-level functions and classes shuffled; imports and the rest stay first."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    lines = source.splitlines(keepends=True)
    blocks, head_end = [], None
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            start = min([node.lineno] + [d.lineno for d in node.decorator_list]) - 1
            blocks.append("".join(lines[start:node.end_lineno]))
            head_end = start if head_end is None else head_end
    if head_end is None:
        return source
    rng.shuffle(blocks)
    return "".join(lines[:head_end]) + "\n\n".join(blocks) + "\n"


def make_class(root: Path, rng: random.Random) -> tuple[dict[str, Path], set[tuple[str, str]]]:
    eqs = equivalents()
    files = similarity.exercise_files()
    roots: dict[str, Path] = {}
    for i in range(STUDENTS - PLANTED):
        sid = f"s{i:03d}"
        for rel in files:
            base = paths.exercises_dir() if rng.random() < 1 / 6 else paths.solutions_dir()
            text = (base / rel).read_text(encoding="utf-8")
            for eq in eqs.get(rel.split("/", 1)[1], []):
                if eq.old in text and text.count(eq.old) == 1 and rng.random() < 0.5:
                    text = text.replace(eq.old, eq.new)
            text = reorder(rename(text + "\n\n" + own_helper(rng), rng), rng)
            target = root / sid / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        roots[sid] = root / sid
    planted = set()
    for j in range(PLANTED):
        original = f"s{rng.randrange(STUDENTS - PLANTED):03d}"
        sid = f"z{j:03d}"
        for rel in files:
            text = (root / original / rel).read_text(encoding="utf-8")
            target = root / sid / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(reorder(rename(text, rng), rng), encoding="utf-8")
        roots[sid] = root / sid
        planted.add(tuple(sorted((original, sid))))
    return roots, planted


def main() -> None:
    rng = random.Random(7)
    with tempfile.TemporaryDirectory(prefix="cnnkit-bench-sim-") as folder:
        t0 = time.perf_counter()
        roots, planted = make_class(Path(folder), rng)
        built = time.perf_counter() - t0
        t0, c0 = time.perf_counter(), time.process_time()
        pairs = similarity.find_pairs(roots)
        took, cpu = time.perf_counter() - t0, time.process_time() - c0
    listed = {(p.a, p.b) for p in pairs}
    found = planted & listed
    print(f"similar submissions: {len(roots)} synthetic submissions, "
          f"{len(similarity.exercise_files())} exercise files each")
    table([("class built in", f"{built:.1f} s"),
           ("find_pairs took", f"{took:.1f} s wall, {cpu:.1f} s CPU "
                               f"({'under' if took < 60 else 'OVER'} a minute)"),
           ("pairs listed", str(len(pairs))),
           ("planted copies listed", f"{len(found)} / {len(planted)}"),
           ("other pairs listed", str(len(listed - planted)))])


if __name__ == "__main__":
    main()
