"""Equivalents: valid answers written differently, the mirror image of the mutants.

Each equivalent rewrites a piece of a reference solution the way a student could
(``nn.Flatten()`` for ``torch.flatten``, one shared ``nn.ReLU``, ``.relu()``...).
Every visible and hidden test must still pass. Equivalents that touch different
code are grouped, so one pytest run checks several.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from grader.core import markers, paths
from support import warm_pytest


@dataclass(frozen=True)
class Equivalent:
    """Replace ``old`` (found exactly once in the solution file) by ``new``."""

    id: str
    file: str
    old: str
    new: str


@dataclass(frozen=True)
class Answer:
    """Fill every solution region of ``file``, in order, with the given code blocks."""

    id: str
    file: str
    regions: tuple[str, ...]


def _apply_answer(text: str, answer: Answer) -> str:
    parts = markers.regions(text, answer.file)
    blocks = iter(answer.regions)
    solution_count = sum(r.solution for r in parts)
    if solution_count != len(answer.regions):
        raise ValueError(f"{answer.id}: {answer.file} has {solution_count} solution regions, "
                         f"the answer fills {len(answer.regions)}")
    out = []
    for region in parts:
        out.append(next(blocks).rstrip("\n") + "\n" if region.solution else "".join(region.lines))
    return "".join(out)


def apply_all(topic: str, changes, dest_root: Path) -> Path:
    src = paths.solutions_dir() / topic
    dest = dest_root / topic
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("__pycache__"))
    for change in changes:
        target = dest / change.file
        text = target.read_text(encoding="utf-8")
        if isinstance(change, Answer):
            text = _apply_answer(text, change)
        else:
            found = text.count(change.old)
            if found != 1:
                raise ValueError(f"equivalent {change.id}: {change.old!r} occurs {found} times "
                                 f"in {change.file}; it must occur exactly once")
            text = text.replace(change.old, change.new)
        target.write_text(text, encoding="utf-8")
    return dest


def run_group(topic: str, changes, extra=(), tests=None) -> tuple[list[str], str]:
    """Run the topic's visible and hidden tests (or only ``tests``) on the solutions changed
    by ``changes``.

    The run is forked from the session's warm pytest (``warm_pytest``), or cold.
    Returns the tests that did not pass (with their outcome) or that flagged the answer for
    review (a valid answer needs no person to read it), and the run's output.
    """
    with tempfile.TemporaryDirectory(prefix=f"cnnkit-equiv-{topic}-") as tmp:
        apply_all(topic, changes, Path(tmp))
        if tests is None:
            tests = [paths.solutions_dir() / topic]
            hidden = paths.hidden_tests_dir() / topic
            if hidden.is_dir():
                tests.append(hidden)
        out = warm_pytest.run_tests(tests, target=tmp, extra=extra, timeout=1200)
        bad = [f"{r.nodeid}: {r.outcome}\n{r.message[-1500:]}"
               for r in out.results.values() if r.outcome not in ("passed", "skipped")]
        bad += [f"{r.nodeid}: flagged for review\n{r.review[-1500:]}"
                for r in out.results.values() if r.review]
        if not out.results:
            bad.append("no test reported a result")
        return bad, out.output
