"""The student's commands, driven through a subprocess on a copy of the exercises."""

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from grader.core import paths

from support import student_cli

TOPIC = "01_cnn"


@pytest.fixture
def workspace(tmp_path):
    return student_cli.workspace(tmp_path, TOPIC)


cnnkit = student_cli.kit


def solve(ex, name):
    student_cli.solve(ex, TOPIC, name)


def _row(text, exercise):
    return next(line for line in text.splitlines() if f" {exercise} " in f" {line} ")


def test_list_check_hint_fix_list(workspace):
    ex, env = workspace
    code, out = cnnkit(env, "list", "--target", str(ex))
    assert code == 0 and "not started" in _row(out, "params") and "total: 0/13" in out

    code, out = cnnkit(env, "check", TOPIC, "--target", str(ex))
    assert code == 1 and "✗ params" in out and "NotImplementedError: TODO" in out
    assert "./kit hint 01_cnn params" in out

    code, out = cnnkit(env, "hint", TOPIC)
    assert "Hint 1/5 for 01_cnn/params" in out and " 2. " not in out
    code, out = cnnkit(env, "hint", TOPIC, "params")
    assert "Hint 2/5" in out and " 2. " in out

    solve(ex, "params.py")
    code, out = cnnkit(env, "list", "--target", str(ex))
    assert "done" in _row(out, "params") and "not started" in _row(out, "models")
    assert "2/5" in _row(out, "params"), "list shows how many hints were seen"


def test_vietnamese_everywhere(workspace):
    ex, env = workspace
    code, out = cnnkit(env, "--lang", "vi", "list", "--target", str(ex))
    assert "chưa làm" in out and "tổng:" in out
    code, out = cnnkit({**env, "CNNKIT_LANG": "vi"}, "hint", TOPIC, "params")
    assert "Gợi ý 1/5" in out and "kênh" in out
    code, out = cnnkit(env, "--lang", "vi", "check", TOPIC, "--target", str(ex))
    assert "đang kiểm tra" in out and "Còn 4 bài chưa đạt" in out


def test_solution_only_after_success(workspace):
    ex, env = workspace
    code, out = cnnkit(env, "solution", TOPIC, "params", "--target", str(ex))
    assert code == 1 and "stays hidden" in out and "BEGIN SOLUTION" not in out
    code, out = cnnkit(env, "solution", TOPIC, "params", "--force", "--target", str(ex))
    assert code == 0 and "weights = kh * kw" in out and "### BEGIN SOLUTION" not in out
    for name in ("params.py", "naive_conv.py", "models.py", "feature_maps.py"):
        solve(ex, name)
    (ex / TOPIC / "params.py").write_text((ex / TOPIC / "params.py").read_text()
                                          + "\n# my own note\n")
    code, out = cnnkit(env, "solution", TOPIC, "params", "--diff", "--target", str(ex))
    assert code == 0 and "-# my own note" in out


@pytest.mark.parametrize("mode", [[], ["--poll", "--interval", "0.2"]], ids=["events", "poll"])
def test_watch_reruns_on_save_and_stops_on_ctrl_c(workspace, mode):
    ex, env = workspace
    proc = subprocess.Popen([sys.executable, "-m", "grader", "watch", TOPIC, "--target", str(ex),
                             *mode], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, cwd=paths.KIT_ROOT, start_new_session=True)
    lines = []
    reader = threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, "")),
                              daemon=True)
    reader.start()

    def wait_for(text, count, limit=600):  # ends as soon as the text shows
        end = time.monotonic() + limit
        while time.monotonic() < end and "".join(lines).count(text) < count:
            time.sleep(0.2)
        return "".join(lines).count(text) >= count

    try:
        assert wait_for("still failing", 1), "".join(lines)
        assert ("file events" in "".join(lines)) == (not mode)
        solve(ex, "naive_conv.py")
        assert wait_for("still failing", 2), f"no re-run after saving a file:\n{''.join(lines)}"
        assert "✓ naive_conv" in "".join(lines).split("-" * 60)[-1]
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=120)  # a run under way finishes its import of torch first
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            reader.join(timeout=10)
            pytest.fail("watch did not stop on Ctrl-C within 120 s; it printed:\n"
                        + "".join(lines)[-3000:])
        reader.join(timeout=10)
    assert proc.returncode == 0 and "stopped watching" in "".join(lines)


def test_figures_are_drawn_as_png(workspace, tmp_path):
    _, env = workspace
    code, out = cnnkit(env, "figures", "--target", "solutions", "--out", str(tmp_path / "fig"))
    assert code == 0, out
    pngs = sorted((tmp_path / "fig").glob("*.png"))
    names = [p.name for p in pngs]
    always = ["augmentation_grid.png", "feature_maps_1.png", "feature_maps_2.png",
              "feature_maps_3.png"]
    curves = ["learning_curves.png", "mnist_augmentation.png"]  # they train on MNIST
    if "skipped overfitting" in out:  # no MNIST here: said in one line, nothing else lost
        assert names == always, out
    else:
        assert names == sorted(always + curves), out
    assert all(p.read_bytes()[:4] == b"\x89PNG" for p in pngs)


def test_help_answers_a_new_user():
    code, out = cnnkit(dict(os.environ), "--help")
    assert code == 0 and "check [TOPIC]" in out and "grade SUBMISSIONS" in out


def test_unknown_topic_is_a_clear_error(workspace):
    _, env = workspace
    code, out = cnnkit(env, "check", "99_nothing")
    assert code == 2 and "unknown topic" in out and "01_cnn" in out


def test_operator_errors_are_one_line(tmp_path):
    (tmp_path / "bundle").mkdir()
    (tmp_path / "bundle" / "keep.txt").write_text("mine")
    code, out = cnnkit(dict(os.environ), "release", "--out", str(tmp_path / "bundle"))
    assert code == 2 and out.strip().count("\n") == 0 and "is not empty" in out, out
    assert "Traceback" not in out and (tmp_path / "bundle" / "keep.txt").read_text() == "mine"


def test_internal_bugs_keep_their_traceback(monkeypatch):
    from grader.cli import handlers, main

    def broken(args):
        return {}["a bug in the kit"]

    monkeypatch.setattr(handlers, "cmd_list", broken)
    with pytest.raises(KeyError):
        main(["list"])
