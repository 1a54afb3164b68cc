"""Grade hostile and broken submissions next to good ones: good ones keep full marks,
bad ones lose the tests they broke and get a clear reason in their feedback."""

import json
import shutil

import pytest

from grader.core import paths
from grader.core.limits import Limits
from grader.grading.pipeline import grade_class

pytestmark = pytest.mark.slow
TOPIC = "01_cnn"


def _prepend(code):
    """Put ``code`` at module level, right after the __future__ import."""
    future = "from __future__ import annotations\n"
    return lambda text: text.replace(future, future + code + "\n", 1)


ALWAYS_EQUAL = '''
class _Yes(int):
    def __eq__(self, other):
        return True
    __hash__ = int.__hash__


def conv2d_param_count(*args, **kwargs):
    return _Yes(0)


def linear_param_count(*args, **kwargs):
    return _Yes(0)
'''

FORGE = '''
import json, sys
for arg in sys.argv:
    if arg.startswith("--cnnkit-results="):
        with open(arg.split("=", 1)[1], "a") as fh:
            for name in ("test_conv2d_param_count_matches_nn_conv2d", "test_mlp_layer_sizes"):
                for file in ("test_params.py", "test_models.py"):
                    nodeid = f"tests/01_cnn/{file}::{name}"
                    fh.write(json.dumps({"event": "result", "nodeid": nodeid,
                                         "outcome": "passed", "message": ""}) + "\\n")
raise NotImplementedError("forger")
'''

# name: (file, edit or None to delete, expected reason in feedback, full marks expected?)
CASES = {
    "syntax_error": ("params.py", lambda t: t.replace("def linear_param_count(",
                                                      "def linear_param_count(:"),
                     "syntax error", False),
    "import_exception": ("naive_conv.py", _prepend("raise RuntimeError('boom at import')"),
                         "RuntimeError: boom at import", False),
    "infinite_loop": ("params.py", _prepend("while True:\n    pass"), "longer than", False),
    "memory_bomb": ("models.py", _prepend("hog = []\nwhile True:\n    hog.append(bytearray(10**8))"),
                    "MemoryError", False),
    "os_exit": ("feature_maps.py", _prepend("import os\nos._exit(0)"), "ended early", False),
    "sys_exit": ("naive_conv.py", _prepend("import sys\nsys.exit(0)"), "called exit", False),
    "always_equal": ("params.py", lambda t: t + ALWAYS_EQUAL, "plain int", False),
    "network": ("params.py", _prepend(
        "import socket\nsocket.create_connection(('1.1.1.1', 80), timeout=3)"),
        "network", False),
    "flood_output": ("feature_maps.py", _prepend("import sys\nsys.stdout.write('x' * 100_000_000)"),
                     "MB of output", True),
    "missing_file": ("naive_conv.py", None, "missing 01_cnn/naive_conv.py", False),
    "wrong_signature": ("params.py", lambda t: t.replace(
        "def conv2d_param_count(in_channels, out_channels, kernel_size, bias=True, groups=1)",
        "def conv2d_param_count(in_channels, out_channels, kernel_size)"), "signature", False),
    "forged_results": ("models.py", _prepend(FORGE), "forger", False),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    subs = tmp_path_factory.mktemp("submissions")
    solution = paths.solutions_dir() / TOPIC
    for name in ("good_alice", "good_bob", *CASES, "conftest_cheat"):
        shutil.copytree(solution, subs / name / TOPIC)
    for name, (file, edit, _, _) in CASES.items():
        target = subs / name / TOPIC / file
        if edit is None:
            target.unlink()
        else:
            target.write_text(edit(target.read_text()))
    cheat = subs / "conftest_cheat" / TOPIC
    shutil.copytree(paths.exercises_dir() / TOPIC, cheat, dirs_exist_ok=True)  # stubs
    (cheat / "conftest.py").write_text(
        "import pytest\n@pytest.hookimpl(hookwrapper=True)\n"
        "def pytest_runtest_makereport(item, call):\n"
        "    out = yield\n    rep = out.get_result()\n    rep.outcome = 'passed'\n")
    out = tmp_path_factory.mktemp("gradebook")
    limits = Limits(topic_timeout_s=120, memory_mb=6144, test_timeout_s=15)
    results = grade_class(subs, out, jobs=2, topics=[TOPIC], limits=limits)
    return out, results


def _feedback(out, student):
    return (out / "students" / student / "feedback.md").read_text()


@pytest.mark.parametrize("student", ["good_alice", "good_bob"])
def test_good_submissions_get_full_marks(graded, student):
    out, results = graded
    assert results[student]["score"] == results[student]["max_score"] == 100, \
        _feedback(out, student)


@pytest.mark.parametrize("case", list(CASES))
def test_bad_submission_is_graded_with_a_reason(graded, case):
    out, results = graded
    _, _, reason, full = CASES[case]
    res = results[case]
    feedback = _feedback(out, case)
    if full:
        assert res["score"] == res["max_score"], feedback
    else:
        assert 0 <= res["score"] < res["max_score"], f"{case} kept full marks:\n{feedback}"
    assert reason.lower() in feedback.lower(), (
        f"the feedback of {case} does not say {reason!r}:\n{feedback[:3000]}")


def test_conftest_cheat_is_ignored_and_reported(graded):
    out, results = graded
    assert results["conftest_cheat"]["score"] == 0
    assert "conftest.py files are never used" in _feedback(out, "conftest_cheat")


def test_every_expected_test_has_a_result(graded):
    out, results = graded
    counts = {s: len(r["tests"]) for s, r in results.items()}
    assert len(set(counts.values())) == 1, f"students got different test counts: {counts}"


def test_outputs_are_gradescope_shaped_and_gradebook_complete(graded):
    out, results = graded
    data = json.loads((out / "students" / "good_alice" / "results.json").read_text())
    assert {"score", "max_score", "tests"} <= set(data)
    assert all({"name", "score", "max_score", "output", "visibility"} <= set(t)
               for t in data["tests"])
    rows = (out / "gradebook.csv").read_text().splitlines()
    assert len(rows) == 1 + len(results) and rows[0].startswith("student,01_cnn/params")
