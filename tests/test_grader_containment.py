"""The third red team's attacks on the grader's own steps, each on its own (no box needed):
deep trees, ids that mimic a classmate's, non-finite numbers, crashes while grading one
student, the source rule of naive_conv and the gate that zeroes its exercise."""

import json
import os
import zipfile
from pathlib import Path

import pytest

from grader.core import manifest
from grader.core.results import TestResult
from grader.grading import (canary, crash_blame, discover, names, pipeline, records, report,
                            safefiles, score)
from grader.testkit import source_rules


def _deep_folder(root: Path, levels: int) -> Path:
    """``levels`` nested folders made one chdir at a time (no long path, no recursion)."""
    here = os.getcwd()
    root.mkdir(parents=True)
    os.chdir(root)
    try:
        for _ in range(levels):
            os.mkdir("d")
            os.chdir("d")
        Path("params.py").write_text("x = 1\n")
    finally:
        os.chdir(here)
    return root


@pytest.fixture
def deep_tree(tmp_path):
    """Where a test may nest a thousand folders; removed here, iteratively, because
    pytest's own clean-up of old temporary folders recurses and would fail on it."""
    yield tmp_path / "deep"
    safefiles.remove_tree(tmp_path / "deep")


def test_a_thousand_levels_deep_is_refused_for_that_student_only(tmp_path, deep_tree):
    subs = deep_tree / "subs"  # all of it removed by the fixture
    _deep_folder(subs / "deep_folder" / "01_cnn", 1000)
    with zipfile.ZipFile(tmp_path / "deep.zip", "w") as zf:
        zf.writestr("01_cnn/" + "d/" * 1000 + "params.py", "x = 1\n")
    (tmp_path / "deep.zip").rename(subs / "deep_zip.zip")
    (subs / "ok" / "01_cnn").mkdir(parents=True)
    (subs / "ok" / "01_cnn" / "params.py").write_text("x = 1\n")
    found = {s.student: s for s in discover.discover(subs, deep_tree / "work")}
    assert found["ok"].root == subs / "ok" and not found["ok"].problem
    for student in ("deep_folder", "deep_zip"):
        assert found[student].root is None, student
        assert "levels deep" in found[student].problem, found[student].problem
    safefiles.remove_tree(subs / "deep_folder")  # iterative: no RecursionError either
    assert not (subs / "deep_folder").exists()


def test_walk_is_bounded_in_entries_and_depth(tmp_path):
    _deep_folder(tmp_path / "t", 5)
    assert len(list(safefiles.walk(tmp_path / "t"))) == 6
    with pytest.raises(safefiles.TreeRefused, match="levels deep"):
        list(safefiles.walk(tmp_path / "t", max_depth=3))
    with pytest.raises(safefiles.TreeRefused, match="files and folders"):
        list(safefiles.walk(tmp_path / "t", max_entries=4))


def test_an_id_that_is_a_classmates_suffixed_id_stays_a_third_student(tmp_path):
    pair = names.unique_ids(["Trần Ánh", "Trần Ảnh"])
    for order in (["Trần Ánh", "Trần Ảnh", pair[0]], [pair[0], "Trần Ảnh", "Trần Ánh"],
                  ["Trần Ánh", pair[0], pair[1], "Trần Ảnh"]):
        ids = names.unique_ids(order)
        assert len({i.lower() for i in ids}) == len(order), (order, ids)
        again = names.unique_ids(list(reversed(order)))
        assert dict(zip(order, ids)) == dict(zip(reversed(order), again))  # deterministic
    subs = tmp_path / "subs"
    for name in ("Trần Ánh", "Trần Ảnh", pair[0]):
        (subs / name / "01_cnn").mkdir(parents=True)
    found = discover.discover(subs, tmp_path / "work")
    assert len({s.student for s in found}) == 3


def test_results_json_is_strict_json_with_non_finite_numbers_as_null(tmp_path):
    training = {"02_training/training_mnist": {"accuracy": float("nan"),
                                                "reported": {"test_acc": float("inf"),
                                                             "val_acc": -float("inf")}}}
    result = report.results_json("s", [], [], 1.0, "fp", training=training)
    sealed = records.seal(result, b"k" * 32)
    report.write_student(tmp_path, "s", sealed, "en")
    text = (tmp_path / "students" / "s" / "results.json").read_text()

    def refuse(token):
        raise ValueError(f"bare {token} in results.json")
    data = json.loads(text, parse_constant=refuse)
    run = data["cnnkit"]["training"]["02_training/training_mnist"]
    assert run["accuracy"] is None and run["reported"] == {"test_acc": None, "val_acc": None}
    assert "NaN or infinity" in data["output"] and "accuracy" in data["output"]
    assert records.load_trusted(tmp_path / "students" / "s" / "results.json",
                                b"k" * 32) == sealed
    with pytest.raises(ValueError):
        records.dumps({"x": float("nan")})


def test_a_crash_while_grading_one_student_gives_a_zero_record(tmp_path, monkeypatch):
    topic = manifest.load_topic("01_cnn")
    sub = discover.Submission("carol", tmp_path, tmp_path, name="Carol")

    def boom(*args, **kwargs):
        raise RecursionError("maximum recursion depth exceeded")
    monkeypatch.setattr(pipeline, "_grade_student", boom)
    monkeypatch.setattr(pipeline.isolated_run, "expected_tests", lambda t: (
        "tests/01_cnn/test_params.py::test_a", "tests/01_cnn/test_models.py::test_b"))
    monkeypatch.setattr(pipeline.isolated_run, "reported_tests", lambda t: frozenset())
    monkeypatch.setattr(pipeline.isolated_run, "gate_tests", lambda t: frozenset())
    checked = []  # the reference, graded again now: it passes, so the machine is not blamed
    monkeypatch.setattr(canary, "check_topic", lambda t, *a, **k: checked.append(t.name) or
                        canary.TopicCheck(t.name, True, 100, 100, 1.0))
    crash_blame._RECHECKED.clear()
    key = b"k" * 32
    result = pipeline.grade_student(sub, [topic], tmp_path, None, "fp1", "en", key)
    assert result["score"] == 0 and result["max_score"] == 65 and checked == ["01_cnn"]
    assert "RecursionError" in result["output"] and "grade it again" not in result["output"]
    assert all(t["score"] == 0 and "could not handle something in your submission"
               in t["output"] for t in result["tests"])
    saved = records.load_trusted(tmp_path / "students" / "carol" / "results.json", key)
    assert saved == result and pipeline.already_graded(tmp_path, "carol", "fp1", key) is None
    assert pipeline.crash_record(tmp_path, "carol", "fp1", key) == result  # Slurm keeps it


FOUR_TESTS = ["tests/01_cnn/test_naive_conv.py::test_" + n
              for n in ("a_checked", "b_gate", "c_reported", "d_checked")]


@pytest.mark.parametrize("gate_passes", [True, False])
def test_a_failed_gate_zeroes_its_exercise(gate_passes):
    topic = manifest.load_topic("01_cnn")
    results = {n: TestResult(n, "passed" if gate_passes or "gate" not in n else "failed",
                             "" if gate_passes else "names torch.convolution")
               for n in FOUR_TESTS}
    scores = score.score_topic(topic, results, reported=frozenset({FOUR_TESTS[2]}),
                               gates=frozenset({FOUR_TESTS[1]}))
    total = sum(s.score for s in scores if s.exercise == "naive_conv")
    assert total == pytest.approx(20 if gate_passes else 0)
    if not gate_passes:
        assert all("scores zero" in s.output or "torch.convolution" in s.output
                   for s in scores if s.exercise == "naive_conv")


SOLUTION = (Path(__file__).resolve().parents[1] / "solutions" / "01_cnn" /
            "naive_conv.py").read_text()
BODY = "    return out\n"


@pytest.mark.parametrize("body,dynamic", [
    ("    return torch.convolution(x, weight, bias, (1, 1), (0, 0), (1, 1), False, (0, 0), 1)\n",
     False),
    ("    return torch.ops.aten.convolution(x, weight, bias, [1], [0], [1], False, [0], 1)\n",
     None),
    ("    return torch._convolution(x, weight)\n", False),
    ("    return torch.conv_tbc(x, weight, bias)\n", False),
    ("    return torch.nn.Conv2d(1, 1, 3)(x)\n", False),
    ("    return x.unfold(2, 3, 1).sum()\n", False),
    ("    from torch.nn.functional import conv2d as c\n    return c(x, weight)\n", False),
    ("    return getattr(F, 'conv' + '2d')(x, weight)\n", True),
    ("    return getattr(torch, 'convolution')(x, weight)\n", False),
    ("    return __import__('torch').nn.functional.pad(x, (0, 0))\n", True),
    ("    return eval('F.pad')(x, (0, 0))\n", True),
    ("    return vars(F)['pad'](x, (0, 0))\n", True),
    ("    return globals()['F'].pad(x, (0, 0))\n", True),
    ("    return F.__dict__['pad'](x, (0, 0))\n", True),
    ("    import importlib\n    return importlib.import_module('torch').relu(x)\n", True),
    ("    from .models import ML_CNN\n    return ML_CNN()(x)\n", True),
])
def test_source_rule_finds_builtin_convolutions_and_run_time_lookups(body, dynamic):
    findings = source_rules.scan(SOLUTION.replace(BODY, body + BODY))
    assert findings, body
    if dynamic is not None:
        assert any(f.dynamic == dynamic for f in findings), findings


def test_source_rule_accepts_the_solution_and_the_stub():
    assert source_rules.scan(SOLUTION) == []
    stub = (Path(__file__).resolve().parents[1] / "exercises" / "01_cnn" / "naive_conv.py")
    assert source_rules.scan(stub.read_text()) == []


@pytest.mark.parametrize("body", [
    "    raise NotImplementedError('TODO: pad, then slide the window')\n",
    "    # YOUR CODE HERE\n    raise NotImplementedError()\n",  # nbgrader's stub
])
def test_source_rule_gives_an_unfinished_file_nothing(tmp_path, body):
    """The rule holds for a finished file only: a stub (the kit's or nbgrader's) earns no
    point from it, and the message quotes what the stub says."""
    path = tmp_path / "naive_conv.py"
    start = SOLUTION.index("    ### BEGIN SOLUTION")  # the region a stub replaces
    end = SOLUTION.index("### END SOLUTION\n") + len("### END SOLUTION\n")
    path.write_text(SOLUTION[:start] + body + SOLUTION[end:])
    problem = source_rules.no_builtin_conv_problem(path)
    assert problem and "not finished" in problem, problem
    for unsupported in ("raise NotImplementedError('stride < 1')", "raise NotImplementedError"):
        (tmp_path / "done.py").write_text(SOLUTION.replace(
            BODY, f"    if stride < 1:\n        {unsupported}\n" + BODY))  # a student's own
        assert source_rules.no_builtin_conv_problem(tmp_path / "done.py") is None, unsupported
