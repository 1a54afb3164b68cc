"""The third red team's attacks on the grader's own steps, each on its own (no box needed):
deep trees, ids that mimic a classmate's, non-finite numbers, crashes while grading one
student, the source rule of naive_conv and the gate that zeroes its exercise."""

import json
import os
import zipfile
from pathlib import Path

import pytest

from grader.core import manifest, messages
from grader.core.results import TestResult
from grader.grading import canary, discover, names, records, report, score
from grader.grading import pipeline
from grader.grading.run import student_run, test_list
from grader.grading.box import safefiles
from grader.grading.run import crash_blame
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
        told = messages.note_text(found[student].problem, "en")
        assert "levels deep" in told, told
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
    monkeypatch.setattr(student_run, "_grade_student", boom)
    monkeypatch.setattr(test_list, "expected_tests", lambda t: (
        "tests/01_cnn/test_params.py::test_a", "tests/01_cnn/test_models.py::test_b"))
    monkeypatch.setattr(test_list, "reported_tests", lambda t: frozenset())
    monkeypatch.setattr(test_list, "gate_tests", lambda t: frozenset())
    checked = []  # the reference, graded again now: it passes, so the machine is not blamed
    monkeypatch.setattr(canary, "check_topic", lambda t, *a, **k: checked.append(t.name) or
                        canary.TopicCheck(t.name, True, 100, 100, 1.0))
    crash_blame._RECHECKED.clear()
    key = b"k" * 32
    result = student_run.grade_student(sub, [topic], tmp_path, None, {"01_cnn": "fp1"}, "en", key)
    assert result["score"] == 0 and result["max_score"] == 65 and checked == ["01_cnn"]
    assert "RecursionError" in result["output"] and "grade it again" not in result["output"]
    assert all(t["score"] == 0 and "could not handle something in your submission"
               in t["output"] for t in result["tests"])
    saved = records.load_trusted(tmp_path / "students" / "carol" / "results.json", key)
    assert saved == result
    assert pipeline.already_graded(tmp_path, "carol", "01_cnn", "fp1", key) is None
    crashed = pipeline.crash_record(tmp_path, "carol", "01_cnn", "fp1", key)  # Slurm keeps it
    assert crashed["tests"] == result["tests"] and crashed["score"] == 0


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


P, R = source_rules.PROOF, source_rules.REVIEW


@pytest.mark.parametrize("body,kind", [
    # a library convolution or window function, however it is named: proof
    ("    return torch.convolution(x, weight, bias, (1, 1), (0, 0), (1, 1), False, (0, 0), 1)\n",
     P),
    ("    return torch.ops.aten.convolution(x, weight, bias, [1], [0], [1], False, [0], 1)\n", P),
    ("    return torch._convolution(x, weight)\n", P),
    ("    return torch.conv_tbc(x, weight, bias)\n", P),
    ("    return torch.nn.Conv2d(1, 1, 3)(x)\n", P),
    ("    return x.unfold(2, 3, 1).sum()\n", P),
    ("    return torch.Tensor.unfold(x, 2, 3, 1).sum()\n", P),
    ("    return F.unfold(x, 3).sum()\n", P),
    ("    from torch.nn.functional import conv2d as c\n    return c(x, weight)\n", P),
    ("    g = torch\n    h = g.nn.functional\n    return h.conv_transpose2d(x, weight)\n", P),
    ("    from torch import nn as tnn\n    return tnn.LazyConv2d(3, 3)(x)\n", P),
    ("    return torch.as_strided(x, (2, 2), (1, 1))\n", P),
    ("    import numpy as np\n    return np.lib.stride_tricks.sliding_window_view(x, 3)\n", P),
    ("    import numpy\n    return numpy.convolve(x, weight)\n", P),
    ("    import numpy as np\n    a = x.numpy()\n    return np.ndarray((2, 2), a.dtype, a, 0, (8, 8))\n",
     P),
    ("    from scipy import signal\n    return signal.convolve2d(x, weight)\n", P),
    ("    import cv2\n    return cv2.filter2D(x, -1, weight)\n", P),
    # looked up by a name that is a constant, however it is spelled: proof
    ("    return getattr(F, 'conv' + '2d')(x, weight)\n", P),
    ("    return getattr(torch, 'convolution')(x, weight)\n", P),
    ("    look = getattr\n    return look(torch, ''.join(map(chr, [99, 111, 110, 118, 111, 108, 117, "
     "116, 105, 111, 110])))(x)\n", P),
    ("    return getattr(F, 'd2vnoc'[::-1])(x, weight)\n", P),
    ("    return getattr(F, bytes([99, 111, 110, 118, 50, 100]).decode())(x, weight)\n", P),
    ("    return getattr(F, f\"{'conv'}{2}d\")(x, weight)\n", P),
    ("    def pick(obj, look=getattr):\n        return look(obj, 'unfold')\n"
     "    return pick(x)(2, 3, 1)\n", P),
    ("    import operator\n    return operator.attrgetter('nn.functional.conv2d')(torch)(x)\n", P),
    ("    import operator\n    return operator.methodcaller('unfold', 2, 3, 1)(x)\n", P),
    ("    return eval('F.conv2d')(x, weight)\n", P),
    ("    return __import__('torch').nn.functional.conv2d(x, weight)\n", P),
    ("    import importlib\n    return importlib.import_module('torch.nn.functional').conv2d(x)\n",
     P),
    # what the reading cannot decide: for a person
    ("    return getattr(F, str(x.dtype))(x, weight)\n", R),
    ("    import functools\n    return functools.reduce(getattr, ['nn', 'functional'], torch)\n",
     R),
    ("    return eval(x.__repr__())\n", R),
    ("    return vars(F)['pad'](x, (0, 0))\n", R),
    ("    return globals()['F'].pad(x, (0, 0))\n", R),
    ("    return F.__dict__['pad'](x, (0, 0))\n", R),
    ("    import importlib\n    return importlib.import_module('torch').relu(x)\n", R),
    ("    import sys\n    return sys.modules['torch'].relu(x)\n", R),
    ("    import ctypes\n    return x\n", R),
    ("    return torch._C._nn.gelu(x)\n", R),
    ("    from torch.utils import _python_dispatch\n    return x\n", R),
    ("    return torch.ops.aten.relu(x)\n", R),
    ("    F.pad = lambda *a, **k: a[0]\n    return x\n", R),
    ("    from .models import ML_CNN\n    return ML_CNN()(x)\n", R),
    ("    return x.conv2d(weight)\n", R),  # named like one, on an object nobody can trace
])
def test_source_rule_tells_proof_from_what_it_cannot_decide(body, kind):
    """Proof (a library convolution, named or looked up by a constant name) zeroes; what
    the reading cannot decide is a review; the shortest expression is what is shown."""
    findings = source_rules.scan(SOLUTION.replace(BODY, body + BODY))
    kinds = {f.kind for f in findings}
    assert kinds and (P in kinds) == (kind == P), (body, findings)
    problem_kind = max(kinds, key=[R, P].index)
    assert problem_kind == kind, (body, findings)


@pytest.mark.parametrize("code", [
    # the student's own names and helpers, whatever they are called
    "    self_conv_weight = weight\n    return out * 1 + 0 * self_conv_weight.sum()\n",
    "    class Conv:\n        def unfold(self, t):\n            return t\n"
    "    return Conv().unfold(out)\n",
    "    def _convolve_at(t):\n        return t\n    return _convolve_at(out)\n",
    # modules of the standard kind, and numpy for the arithmetic
    "    import collections.abc, operator, warnings, itertools, functools, math\n"
    "    warnings.warn('x')\n    return functools.reduce(operator.add, [out])\n",
    "    import numpy as np\n    return torch.from_numpy(np.einsum('ij->ij', out.numpy()))\n",
    # a lookup by a harmless constant name, and __import__ of a known module
    "    return getattr(torch, 'einsum')('nchw->nchw', out)\n",
    "    return __import__('torch').nn.functional.pad(out, (0, 0))\n",
    "    return eval('F.pad')(out, (0, 0))\n",
    # a student's own case they do not support, with TODO in its text
    "    if isinstance(padding, str):\n"
    "        raise NotImplementedError('TODO: padding strings')\n    return out\n",
])
def test_source_rule_leaves_the_students_own_code_alone(code):
    assert source_rules.scan(SOLUTION.replace(BODY, code + BODY)) == [], code


def test_source_rule_reads_only_what_can_run_when_graded():
    """A self-check against F.conv2d under __main__, or in a function that nothing the
    graded call reaches mentions, is no proof; the same call in a helper it calls is."""
    checks = ('\n\ndef _compare():\n    x, w = torch.randn(1, 1, 5, 5), torch.randn(1, 1, 3, 3)\n'
              '    return F.conv2d(x, w)\n')
    main = '\n\nif __name__ == "__main__":\n    print(_compare(), F.conv2d)\n'
    assert source_rules.scan(SOLUTION + checks + main) == []
    used = SOLUTION.replace(BODY, "    _compare()\n" + BODY) + checks
    assert [f.text for f in source_rules.scan(used)] == ["F.conv2d -> torch.nn.functional.conv2d"]
    method = SOLUTION + "\n\nclass Checker:\n    def run(self):\n        return F.conv2d\n"
    assert source_rules.scan(method) == []
    assert source_rules.scan(method.replace(BODY, "    Checker()\n" + BODY)) != []


def test_source_rule_accepts_the_solution_and_the_stub():
    assert source_rules.scan(SOLUTION) == []
    stub = (Path(__file__).resolve().parents[1] / "exercises" / "01_cnn" / "naive_conv.py")
    assert source_rules.scan(stub.read_text()) == []


@pytest.mark.parametrize("body", [
    "    raise NotImplementedError('TODO: pad, then slide the window')\n",
    "    # YOUR CODE HERE\n    raise NotImplementedError()\n",  # nbgrader's stub
])
def test_source_rule_gives_an_unfinished_file_nothing(tmp_path, body):
    """The rule holds for a finished file only: a conv2d_naive that is still the stub (the
    kit's or nbgrader's) earns no point from it, and the message quotes what it says. A
    student's own ``raise NotImplementedError`` beside their code, TODO or not, is theirs."""
    path = tmp_path / "naive_conv.py"
    start = SOLUTION.index("    ### BEGIN SOLUTION")  # the region a stub replaces
    end = SOLUTION.index("### END SOLUTION\n") + len("### END SOLUTION\n")
    path.write_text(SOLUTION[:start] + body + SOLUTION[end:])
    problem = source_rules.no_builtin_conv_problem(path)
    assert problem and "not finished" in problem, problem
    for unsupported in ("raise NotImplementedError('stride < 1')", "raise NotImplementedError",
                        "raise NotImplementedError('TODO: padding strings')"):
        (tmp_path / "done.py").write_text(SOLUTION.replace(
            BODY, f"    if stride < 1:\n        {unsupported}\n" + BODY))  # a student's own
        assert source_rules.naive_conv_verdict(tmp_path / "done.py") == source_rules.Verdict(), \
            unsupported
