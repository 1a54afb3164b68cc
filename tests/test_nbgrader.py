"""The nbgrader export, driven by the real nbgrader: reference full marks, release zero."""

import csv
import json
import shutil

import pytest

from grader.export import nbgrader as nbgrader_export

pytestmark = pytest.mark.slow


def test_export_generate_and_autograde_two_students(tmp_path):
    course = tmp_path / "course"
    nb = nbgrader_export.export(course, ["01_cnn"])[0]
    cells = json.loads(nb.read_text())["cells"]
    graded = [c for c in cells if c["metadata"].get("nbgrader", {}).get("grade")]
    hidden = [c for c in graded if "BEGIN HIDDEN TESTS" in "".join(c["source"])]
    assert graded and hidden, "expected graded cells, some of them hidden tests"
    assert sum(c["metadata"]["nbgrader"]["points"] for c in graded) == pytest.approx(100)

    nbgrader_export.nbgrader(course, "generate_assignment", "01_cnn", "--force")
    released = course / "release" / "01_cnn" / "01_cnn.ipynb"
    text = released.read_text()
    assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text
    assert "raise NotImplementedError()" in text

    for student, source in (("reference", nb), ("untouched", released)):
        dest = course / "submitted" / student / "01_cnn"
        dest.mkdir(parents=True)
        shutil.copy(source, dest / "01_cnn.ipynb")
    nbgrader_export.nbgrader(course, "autograde", "01_cnn", "--force")
    nbgrader_export.nbgrader(course, "export")
    with open(course / "grades.csv", newline="") as fh:
        scores = {row["student_id"]: (float(row["score"]), float(row["max_score"]))
                  for row in csv.DictReader(fh)}
    assert scores["reference"][0] == pytest.approx(scores["reference"][1]) == pytest.approx(100)
    assert scores["untouched"][0] == 0
