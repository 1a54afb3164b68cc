"""Export the kit as an nbgrader course: one source notebook per topic.

Solution cells carry the solution files, markers included, and write them
next to the notebook. Graded cells (visible tests, and hidden tests between
nbgrader's hidden-test markers) check one kit test each, with its points.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from grader.core import manifest
from grader.core import paths
from grader.core.i18n import pick
from grader.grading.sandbox import expected_tests

CONFIG = """\
c = get_config()
c.CourseDirectory.course_id = "cnnkit"
c.CourseDirectory.root = {root!r}
c.ClearSolutions.code_stub = {{"python": "# YOUR CODE HERE\\nraise NotImplementedError()"}}
c.ExecutePreprocessor.timeout = 900
"""


def _cell(kind: str, source: str, nb: dict | None = None) -> dict:
    cell = {"cell_type": kind, "metadata": {}, "source": source.splitlines(keepends=True)}
    if kind == "code":
        cell.update(execution_count=None, outputs=[])
    if nb:
        cell["metadata"]["nbgrader"] = {"schema_version": 3, "task": False, **nb}
    return cell


def _grade_id(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]+", "_", text).strip("_")[:80]


def topic_notebook(topic: str) -> dict:
    info = manifest.load_topic(topic)
    source = paths.solutions_dir() / topic
    cells = [
        _cell("markdown", f"# {pick(info.title, 'en')} / {pick(info.title, 'vi')}\n\n"
              "Write your code in the cells marked YOUR CODE HERE. Each cell saves one "
              "exercise file; the graded cells below run the kit's tests on them."),
        _cell("code", f"import os\nos.makedirs({topic!r}, exist_ok=True)",
              {"grade": False, "solution": False, "locked": True,
               "grade_id": f"{topic}_setup"}),
    ]
    tests = expected_tests(topic)
    for exercise in info.exercises:
        text = (source / exercise.file).read_text(encoding="utf-8")
        cells.append(_cell("markdown", f"## {pick(exercise.title, 'en')} "
                                       f"(`{exercise.file}`, {exercise.points:g} points)"))
        cells.append(_cell("code", f"%%writefile {topic}/{exercise.file}\n{text}",
                           {"grade": False, "solution": True, "locked": False,
                            "grade_id": _grade_id(f"{topic}_{exercise.name}_solution")}))
        own = [t for t in tests if exercise.owns_test_file(Path(t.split("::")[0]).name)]
        for nodeid, each in zip(own, manifest.split_points(exercise.points, len(own))):
            file, name = Path(nodeid.split("::")[0]).name, nodeid.split("::", 1)[1]
            call = ("from grader.testkit.notebook import run_test\n"
                    f"run_test({topic!r}, {file!r}, {name!r})")
            if file.endswith("_hidden.py"):
                call = f"### BEGIN HIDDEN TESTS\n{call}\n### END HIDDEN TESTS"
            cells.append(_cell("code", call, {
                "grade": True, "solution": False, "locked": True, "points": each,
                "grade_id": _grade_id(f"{topic}_{name}")}))
    for i, cell in enumerate(cells):
        cell["id"] = f"{topic}-{i:03d}"
    return {"cells": cells, "metadata": {"kernelspec": {"display_name": "Python 3",
                                                        "language": "python", "name": "python3"},
                                         "language_info": {"name": "python"}},
            "nbformat": 4, "nbformat_minor": 5}


def export(course: Path, topics: list[str] | None = None) -> list[Path]:
    course = Path(course).resolve()
    (course / "source").mkdir(parents=True, exist_ok=True)
    (course / "nbgrader_config.py").write_text(CONFIG.format(root=str(course)))
    written = []
    for topic in topics or paths.topics():
        folder = course / "source" / topic
        folder.mkdir(parents=True, exist_ok=True)
        nb = folder / f"{topic}.ipynb"
        nb.write_text(json.dumps(topic_notebook(topic), indent=1, ensure_ascii=False))
        for data in (paths.solutions_dir() / topic).iterdir():
            if data.suffix not in (".py", ".toml", ".md") and data.is_file():
                (folder / data.name).write_bytes(data.read_bytes())
        written.append(nb)
    return written


def nbgrader(course: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run the real nbgrader command inside ``course``."""
    bin_dir = Path(sys.executable).parent  # nbgrader calls alembic through PATH
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    proc = subprocess.run([str(bin_dir / "nbgrader"), *args], cwd=course, capture_output=True,
                          text=True, env=env)
    if check and proc.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed:\n{proc.stdout[-3000:]}"
                           f"\n{proc.stderr[-3000:]}")
    return proc
