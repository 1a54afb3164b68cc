"""The student's loop as a student meets it: options anywhere, points, locks, time limits,
closed pipes, and a check that never reports a pass it did not see."""

import sys

import pytest

from grader.core.runner import run_tests
from grader.core.testfiles import visible_test_files

from support import student_cli

TOPIC = "01_cnn"


@pytest.fixture
def workspace(tmp_path):
    """exercises/01_cnn as a student has it, without the test files (a submission folder)."""
    return student_cli.workspace(tmp_path, TOPIC, with_tests=False)


kit = student_cli.kit


def solve(ex, name):
    student_cli.solve(ex, TOPIC, name)


def test_lang_is_accepted_after_the_command(workspace):
    ex, env = workspace
    code, out = kit(env, "hint", TOPIC, "params", "--lang", "vi")
    assert code == 0 and "Gợi ý 1/" in out, out
    code, out = kit(env, "--help", "--lang", "vi")
    assert code == 0 and "Sinh viên:" in out and "Giảng viên:" in out, out


def test_check_runs_the_kits_tests_on_a_folder_without_tests(workspace):
    ex, env = workspace
    solve(ex, "params.py")
    models = ex / TOPIC / "models.py"
    solve(ex, "models.py")
    models.write_text(models.read_text().replace("nn.Linear(1000, 100)", "nn.Linear(1000, 10)"))
    code, out = kit(env, "check", TOPIC, "--target", str(ex))
    plain = run_tests(visible_test_files(TOPIC), target=str(ex), timeout=600)
    failed_plain = {r.name for r in plain.results.values() if not r.outcome.passed}
    assert code == 1 and "✓ params" in out and "✗ models" in out, out
    assert len(plain.results) == sum(1 for _ in plain.results) > 20
    assert any(name in out for name in failed_plain if "mlp" in name), (out, failed_plain)
    assert "pass" not in out.splitlines()[-1].lower()


def test_check_never_reports_a_pass_it_did_not_see(workspace, monkeypatch):
    from grader.core import testfiles
    from grader.student import loop

    ex, _ = workspace
    for name in ("params.py", "naive_conv.py", "models.py", "feature_maps.py"):
        solve(ex, name)
    # The kit's test file of one exercise vanished: its tests never report.
    real = testfiles.visible_test_files
    monkeypatch.setattr("grader.student.status.visible_test_files",
                        lambda topic: [f for f in real(topic) if f.name != "test_models.py"])
    monkeypatch.setenv("CNNKIT_STATE", str(ex.parent / "state.json"))
    code = loop.cmd_check(TOPIC, str(ex), "en", full=False)
    assert code == 1


def test_points_and_states_agree_between_list_and_check(workspace):
    ex, env = workspace
    params = ex / TOPIC / "params.py"
    solve(ex, "params.py")  # partly done: one function wrong, the rest right
    params.write_text(params.read_text().replace("return int(in_features * out_features + "
                                                 "(out_features if bias else 0))",
                                                 "return in_features * out_features"))
    code, out = kit(env, "check", TOPIC, "--target", str(ex))
    row = next(ln for ln in out.splitlines() if " params " in f" {ln} ")
    points = row.split()[-1]
    code, listed = kit(env, "list", "--target", str(ex))
    list_row = next(ln for ln in listed.splitlines() if " params " in f" {ln} ")
    assert "failing" in list_row and points in list_row, (row, list_row)
    assert 0 < float(points.split("/")[0]) < 40


def test_solution_unlocks_per_exercise(workspace):
    ex, env = workspace
    solve(ex, "params.py")
    kit(env, "check", TOPIC, "--target", str(ex))
    code, out = kit(env, "solution", TOPIC, "params", "--target", str(ex))
    assert code == 0 and "def conv2d_param_count" in out and "BEGIN SOLUTION" not in out
    code, out = kit(env, "solution", TOPIC, "models", "--target", str(ex))
    assert code == 1 and "stays hidden" in out and "class ML_CNN" not in out


def test_an_endless_loop_is_stopped_and_named(workspace):
    ex, env = workspace
    params = ex / TOPIC / "params.py"
    solve(ex, "params.py")
    params.write_text(params.read_text().replace(
        "def receptive_field(kernel_sizes, strides=None) -> int:",
        "def receptive_field(kernel_sizes, strides=None) -> int:\n    while True:\n        pass"))
    code, out = kit({**env, "CNNKIT_TEST_TIMEOUT": "10"},  # the others pass on a busy machine too
                    "--lang", "vi", "check", TOPIC,
                    "--target", str(ex), timeout=300)
    assert code == 1 and "vòng lặp vô hạn" in out and "while True" in out, out
    assert "test_receptive_field" in out


def test_a_closed_pipe_ends_quietly(workspace, monkeypatch, capfd):
    """`./kit list | head`: the reader is gone before list is done writing."""
    import io

    from grader.cli import main

    class ClosedPipe(io.StringIO):
        def write(self, text):
            raise BrokenPipeError(32, "Broken pipe")

        def fileno(self):
            return sys.__stdout__.fileno()

    ex, env = workspace
    monkeypatch.setenv("CNNKIT_STATE", env["CNNKIT_STATE"])
    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    try:
        assert main(["list", "--target", str(ex)]) == 0
    finally:
        monkeypatch.undo()
    assert "Traceback" not in capfd.readouterr().err


def test_figures_skip_unfinished_work_with_one_line(workspace, tmp_path):
    _, env = workspace
    code, out = kit(env, "figures", "--out", str(tmp_path / "fig"))
    assert code == 0 and "Traceback" not in out, out
    assert "skipped feature maps (01_cnn): feature_maps.py is not done yet" in out
