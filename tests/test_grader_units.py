"""Grader pieces on their own: discovery, zips, scoring, resuming without regrading."""

import json
import shutil
import zipfile

import pytest

from grader.grading import discover
from grader.core import manifest
from grader.core import paths
from grader.core.results import TestResult
from grader.grading import score
from grader.grading.pipeline import grade_class


def _zip(path, files):
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text)


def test_discover_folders_zips_and_wrappers(tmp_path):
    subs = tmp_path / "subs"
    (subs / "an" / "01_cnn").mkdir(parents=True)
    (subs / "an" / "01_cnn" / "params.py").write_text("x = 1\n")
    subs.mkdir(exist_ok=True)
    _zip(subs / "Bình Nguyễn.zip", {"homework/exercises/01_cnn/params.py": "x = 2\n"})
    _zip(subs / "evil.zip", {"../../escape.py": "x = 3\n"})
    (subs / "empty").mkdir()
    found = {s.student: s for s in discover.discover(subs, tmp_path / "work")}
    assert found["an"].root == subs / "an"
    assert found["B_nh_Nguy_n"].root.name == "exercises"
    assert found["evil"].root is None and "outside" in found["evil"].problem
    assert found["empty"].root is None and "no topic folder" in found["empty"].problem
    assert not (tmp_path / "escape.py").exists()


def test_points_split_exactly():
    for points, n in ((40, 9), (25, 6), (20, 3), (100, 7)):
        shares = manifest.split_points(points, n)
        assert len(shares) == n and sum(shares) == pytest.approx(points, abs=1e-9)


def test_scores_follow_the_manifest_and_missing_counts_failed():
    topic = manifest.load_topic("01_cnn")
    results = {
        "tests/01_cnn/test_params.py::test_a": TestResult("tests/01_cnn/test_params.py::test_a", "passed"),
        "tests/01_cnn/test_params.py::test_b": TestResult("tests/01_cnn/test_params.py::test_b", "missing", "no result"),
        "tests/01_cnn/test_params_hidden.py::test_c": TestResult("tests/01_cnn/test_params_hidden.py::test_c", "passed"),
    }
    scores = score.score_topic(topic, results)
    assert [s.status for s in scores] == ["passed", "failed", "passed"]
    assert sum(s.max_score for s in scores) == pytest.approx(40)
    assert sum(s.score for s in scores) == pytest.approx(40 * 2 / 3, abs=0.01)
    assert [s.hidden for s in scores] == [False, False, True]


def test_rerun_skips_graded_students_unless_forced(tmp_path):
    subs = tmp_path / "subs"
    shutil.copytree(paths.KIT_ROOT / "samples" / "submissions" / "chi", subs / "chi")
    out = tmp_path / "out"
    first = grade_class(subs, out, topics=["01_cnn"])
    stamp = (out / "students" / "chi" / "results.json").stat().st_mtime_ns
    again = grade_class(subs, out, topics=["01_cnn"])
    assert again["chi"] == first["chi"]
    assert (out / "students" / "chi" / "results.json").stat().st_mtime_ns == stamp
    grade_class(subs, out, topics=["01_cnn"], force=True)
    assert (out / "students" / "chi" / "results.json").stat().st_mtime_ns != stamp
    data = json.loads((out / "students" / "chi" / "results.json").read_text())
    assert data["score"] < data["max_score"] and "conftest.py" in data["output"]
    assert not list(out.rglob("*.tmp")), "a half-written file was left behind"


def test_fingerprint_covers_points_and_the_kit_version(tmp_path, monkeypatch):
    import grader
    from grader.grading import sandbox

    before = sandbox.kit_digest(["01_cnn"])
    monkeypatch.setattr(grader, "__version__", grader.__version__ + ".post1")
    assert sandbox.kit_digest(["01_cnn"]) != before, "a new kit version must re-grade"
    monkeypatch.undo()
    copy = tmp_path / "solutions"
    shutil.copytree(paths.solutions_dir(), copy, ignore=shutil.ignore_patterns("__pycache__"))
    toml = copy / "01_cnn" / "topic.toml"
    toml.write_text(toml.read_text().replace("points = 40", "points = 45", 1))
    monkeypatch.setattr(paths, "solutions_dir", lambda: copy)
    assert sandbox.kit_digest(["01_cnn"]) != before, "changed points must re-grade"


def test_a_teardown_failure_outranks_the_passed_call():
    passed = TestResult("t.py::a", "passed", duration=1.0)
    merged = passed.merged(TestResult("t.py::a", "failed", "left a figure open"))
    assert merged.outcome == "failed" and "figure open" in merged.message
    assert TestResult("t.py::a", "failed", "x").merged(passed).outcome == "failed"
