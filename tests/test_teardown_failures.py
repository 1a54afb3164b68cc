"""A check made when a fixture tears down costs points, as it fails the test in pytest:
here, a pyplot figure that plot_feature_maps opened, neither returned nor closed."""

import os
import shutil
import subprocess
import sys

import pytest

from grader.core import paths
from grader.core.runner import run_tests

TOPIC = "01_cnn"
LEAVES_FIGURE_OPEN = '''

def plot_feature_maps(maps, title):
    import matplotlib.pyplot as plt

    channels = maps.shape[1]
    plt.figure(figsize=(2 * channels, 3))  # leaked: plt.subplots below opens another
    fig, axes = plt.subplots(1, channels, squeeze=False)
    for i, ax in enumerate(axes[0]):
        ax.imshow(maps[0, i].detach().cpu().numpy(), cmap="gray")
        ax.axis("off")
    fig.suptitle(title)
    return fig
'''
TEST = "test_plot_feature_maps_one_gray_panel_per_channel"


@pytest.fixture(scope="module")
def submission(tmp_path_factory):
    root = tmp_path_factory.mktemp("teardown") / "leaves_figure_open"
    shutil.copytree(paths.solutions_dir() / TOPIC, root / TOPIC,
                    ignore=shutil.ignore_patterns("__pycache__", "test_*"))
    fm = root / TOPIC / "feature_maps.py"
    fm.write_text(fm.read_text() + LEAVES_FIGURE_OPEN)  # overrides the reference at import
    return root


def test_plain_results_keep_the_teardown_failure(submission):
    out = run_tests([paths.solutions_dir() / TOPIC / "test_feature_maps.py"],
                    target=str(submission), timeout=300)
    result = next(r for r in out.results.values() if r.name == TEST)
    assert result.outcome == "failed" and "neither returned nor" in result.message, result


def test_check_counts_it_as_failed(submission, tmp_path):
    env = {**os.environ, "CNNKIT_STATE": str(tmp_path / "state.json"), "MPLBACKEND": "Agg",
           "CNNKIT_LANG": "en"}
    proc = subprocess.run([sys.executable, "-m", "grader", "check", TOPIC, "--target",
                           str(submission)], env=env, capture_output=True, text=True,
                          timeout=600, cwd=paths.KIT_ROOT)
    row = next(ln for ln in proc.stdout.splitlines() if " feature_maps " in f" {ln} ")
    assert proc.returncode == 1 and "✗" in row, proc.stdout
    assert "neither returned nor" in proc.stdout


def test_grade_counts_it_as_failed(submission, tmp_path):
    from grader.grading.pipeline import grade_class

    results = grade_class(submission.parent, tmp_path / "out", topics=[TOPIC])
    tests = {t["name"].split(": ", 1)[1]: t for t in results["leaves_figure_open"]["tests"]}
    assert tests[TEST]["status"] == "failed" and tests[TEST]["score"] == 0
    assert results["leaves_figure_open"]["score"] < results["leaves_figure_open"]["max_score"]
