"""The nbgrader export, driven by the real nbgrader: notebooks that teach, reference full
marks, release zero, no warnings; the released notebook also runs on the student bundle."""

import csv
import json
import os
import subprocess
import sys

import pytest

from grader.core import paths
from grader.export import nbgrader as nbgrader_export
from grader.export import release

pytestmark = pytest.mark.slow
TOPIC = "01_cnn"


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    nb = nbgrader_export.export(course, [TOPIC])[0]
    nbgrader_export.nbgrader(course, "generate_assignment", TOPIC, "--force")
    return course, nb


def _text(cell):
    return "".join(cell["source"])


def test_the_notebook_teaches(course):
    _, nb = course
    cells = json.loads(nb.read_text())["cells"]
    markdown = "\n".join(_text(c) for c in cells if c["cell_type"] == "markdown")
    assert "Sparse connectivity" in markdown and "Kết nối thưa" in markdown, "both READMEs"
    assert "re-running" in markdown.lower() or "run it again" in markdown.lower()
    assert "chạy lại ô" in markdown and "<details><summary>Gợi ý 1</summary>" in markdown
    assert "import torch" in _text(cells[1]) and "source .venv/bin/activate" in _text(cells[1])
    graded = [c for c in cells if c["metadata"].get("nbgrader", {}).get("grade")]
    assert sum(c["metadata"]["nbgrader"]["points"] for c in graded) == 100
    hidden = [c for c in graded if "_hidden.py" in _text(c)]
    assert hidden and all(_text(c).startswith("# Hidden test") for c in hidden)
    assert not any("BEGIN HIDDEN TESTS" in _text(c) for c in cells)
    visible = [c for c in graded if c not in hidden]
    assert all(_text(c).startswith("# Checks (") for c in visible)


def _autograde(course, students):
    released = json.loads((course / "release" / TOPIC / f"{TOPIC}.ipynb").read_text())
    source = json.loads((course / "source" / TOPIC / f"{TOPIC}.ipynb").read_text())
    for student, notebook in students(released, source).items():
        dest = course / "submitted" / student / TOPIC
        dest.mkdir(parents=True)
        (dest / f"{TOPIC}.ipynb").write_text(json.dumps(notebook))
        nbgrader_export.nbgrader(course, "db", "student", "add", student)
    return nbgrader_export.nbgrader(course, "autograde", TOPIC, "--force")


def test_reference_gets_full_marks_and_the_release_zero_without_warnings(course):
    course, _ = course
    proc = _autograde(course, lambda released, source: {
        "reference": nbgrader_export.with_solutions(released, source), "untouched": released})
    log = proc.stdout + proc.stderr
    assert "checksum" not in log.lower() and "WARNING" not in log, log[-3000:]
    nbgrader_export.nbgrader(course, "export")
    with open(course / "grades.csv", newline="") as fh:
        rows = {row["student_id"]: row for row in csv.DictReader(fh)}
    assert rows["reference"]["score"] == rows["reference"]["max_score"] == "100.0"
    assert float(rows["untouched"]["score"]) == 0


def test_the_released_notebook_runs_on_the_student_bundle(course, tmp_path):
    course, _ = course
    bundle = release.build(tmp_path / "bundle")
    released = json.loads((course / "release" / TOPIC / f"{TOPIC}.ipynb").read_text())
    source = json.loads((course / "source" / TOPIC / f"{TOPIC}.ipynb").read_text())
    work = tmp_path / "student"
    work.mkdir()
    (work / "nb.ipynb").write_text(json.dumps(nbgrader_export.with_solutions(released, source)))
    env = {**os.environ, "PYTHONPATH": str(bundle), "MPLBACKEND": "Agg"}
    proc = subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook",
                           "--execute", "--output", "ran.ipynb", "nb.ipynb"], cwd=work, env=env,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    ran = json.loads((work / "ran.ipynb").read_text())
    outputs = "".join("".join(o.get("text", "")) for c in ran["cells"]
                      if c["cell_type"] == "code" for o in c.get("outputs", []))
    assert "passed: test_conv2d_param_count_matches_nn_conv2d" in outputs
    # Only the bundle lacks hidden_tests/: this line proves the bundle's kit ran the cells.
    assert "is a hidden test: it runs when your work is graded" in outputs
    assert not (bundle / "solutions").exists() and paths.solutions_dir().is_dir()
