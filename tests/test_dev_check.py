"""`cnnkit dev check` passes on the kit and fails on each defect it exists to catch."""

import shutil
import subprocess
import sys

import pytest

from grader.core import paths
from grader.dev import check

TOPIC = "01_cnn"


def test_the_kit_itself_passes():
    assert check.run_all() == []


def test_cli_reports_and_fails(tmp_path, monkeypatch):
    proc = subprocess.run([sys.executable, "-m", "grader", "dev", "check"], cwd=paths.KIT_ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "consistent" in proc.stdout, proc.stdout + proc.stderr


@pytest.fixture
def topic(tmp_path):
    """A copy of a real topic and its hidden tests, to break on purpose."""
    folder = tmp_path / "solutions" / TOPIC
    shutil.copytree(paths.solutions_dir() / TOPIC, folder,
                    ignore=shutil.ignore_patterns("__pycache__"))
    hidden = tmp_path / "hidden" / TOPIC
    shutil.copytree(paths.hidden_tests_dir() / TOPIC, hidden,
                    ignore=shutil.ignore_patterns("__pycache__"))
    assert check.check_manifest(folder, hidden) == [] and check.check_stubs(folder) == []
    return folder, hidden


def _edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


BROKEN_MANIFESTS = {
    "no format version": ("format = 2\n", "", "no format version"),
    "unused field": ("timeout_s = 180\n", "timeout_s = 180\ndata_files = []\n",
                     "'data_files' is declared but the kit never reads it"),
    "unused exercise field": ('name = "params"\n', 'name = "params"\nweight = 2\n',
                              "'weight' is declared but the kit never reads it"),
    "exercise without a test": ('name = "params"\nfile = "params.py"',
                                'name = "parameters"\nfile = "params.py"',
                                "'parameters': has no test file"),
    "missing Vietnamese hints": ("hints.vi = [\n  \"Một lớp Conv2d",
                                 "hints.xx = [\n  \"Một lớp Conv2d", "no hints in vi"),
    "missing required field": ('points = 40\n', '', "missing or malformed field"),
    "hint for a check of another exercise": (
        "hint_for.test_conv2d_param_count_lecture_layers = 1",
        "hint_for.test_conv2d_naive_matches_f_conv2d = 1",
        "'test_conv2d_naive_matches_f_conv2d', which is neither a test of this exercise"),
    "hint for a check that is no test": (
        "hint_for.test_conv2d_param_count_lecture_layers = 1",
        "hint_for.test_conv2d_param_count_lecture_layer = 1", "neither a test of this"),
    "hint for a hidden check": ("hint_for.test_conv2d_param_count_lecture_layers = 1",
                                "hint_for.test_conv2d_param_count_fixed_cases = 1",
                                "'test_conv2d_param_count_fixed_cases', which is neither"),
    "hint number past the hints": ("hint_for.test_conv2d_param_count_lecture_layers = 1",
                                   "hint_for.test_conv2d_param_count_lecture_layers = 6",
                                   "numbered 1 to 5"),
    "hint number that is no number": ("hint_for.test_conv2d_param_count_lecture_layers = 1",
                                      'hint_for.test_conv2d_param_count_lecture_layers = "1"',
                                      "numbered 1 to 5"),
}


@pytest.mark.parametrize("case", list(BROKEN_MANIFESTS))
def test_broken_manifest_is_reported(topic, case):
    folder, hidden = topic
    old, new, expected = BROKEN_MANIFESTS[case]
    _edit(folder / "topic.toml", old, new)
    problems = check.check_manifest(folder, hidden)
    assert any(expected in p for p in problems), problems


def test_test_file_of_no_exercise_is_reported(topic):
    folder, hidden = topic
    (hidden / "test_paramz_hidden.py").write_text("def test_x():\n    pass\n")
    problems = check.check_manifest(folder, hidden)
    assert any("test_paramz_hidden.py: belongs to no exercise" in p for p in problems), problems


def test_stub_that_would_not_compile_is_reported(topic):
    folder, _ = topic
    _edit(folder / "params.py", "    ### END SOLUTION\n\n\ndef linear_param_count",
          "    ### END SOLUTION\n    )\n\n\ndef linear_param_count")
    problems = check.check_stubs(folder)
    assert any("stub of 01_cnn/params.py does not compile" in p for p in problems), problems


def test_unbalanced_markers_are_reported(topic):
    folder, _ = topic
    _edit(folder / "naive_conv.py", "    ### END SOLUTION\n", "")
    problems = check.check_stubs(folder)
    assert any("is never closed" in p for p in problems), problems


def test_drift_is_reported(monkeypatch, tmp_path):
    exercises = tmp_path / "exercises"
    shutil.copytree(paths.exercises_dir(), exercises)
    (exercises / TOPIC / "params.py").write_text("# edited\n")
    monkeypatch.setattr(paths, "exercises_dir", lambda: exercises)
    problems = check.check_in_sync()
    assert problems == ["differs: exercises/01_cnn/params.py (run ./kit dev sync)"]


def test_sync_never_destroys_a_students_work(monkeypatch, tmp_path):
    from grader.core.errors import WouldOverwrite
    from grader.dev import sync

    exercises = tmp_path / "exercises"
    shutil.copytree(paths.exercises_dir(), exercises)
    monkeypatch.setattr(paths, "exercises_dir", lambda: exercises)
    assert sync.edited_files() == []
    mine = exercises / TOPIC / "params.py"
    work = mine.read_text() + "\n# my answer, half done\n"
    mine.write_text(work)
    with pytest.raises(WouldOverwrite, match="exercises/01_cnn/params.py"):
        sync.sync()
    assert mine.read_text() == work, "sync touched the student's file although it refused"
    sync.sync(force=True)
    assert mine.read_text() == (paths.KIT_ROOT / "exercises" / TOPIC / "params.py").read_text()


def test_sync_is_a_maintainer_command_not_a_student_one():
    proc = subprocess.run([sys.executable, "-m", "grader", "--help"], cwd=paths.KIT_ROOT,
                          capture_output=True, text=True, timeout=60)
    students = next(line for line in proc.stdout.splitlines() if line.startswith("Students:"))
    assert "sync" not in students and "dev sync" in proc.stdout
