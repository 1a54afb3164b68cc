"""The class view: report page, concepts missed, similar submissions (synthetic classes)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from grader.grading import records

from grader.grading.classview import concepts, similarity, summary
from grader.grading.classview.load import load_class
from grader.grading.classview.class_report import write_report
from grader.testkit import checks

HOSTILE = '<script>alert("x")</script> Trần & <b>Ánh</b>'


def pytest_output(message: str) -> str:
    """A failure as results.json holds it: pytest's source lines, then ``E`` lines."""
    return ("    def test_it():\n>       check()\n"
            + "\n".join(f"E   {line}" for line in f"AssertionError: {message}".splitlines()))


def check_failure(call, got, expected, concept) -> str:
    with pytest.raises(AssertionError) as err:
        checks.check_int(call, got, expected, concept)
    return pytest_output(str(err.value))


KERNEL = "a kernel has in_channels*k*k weights, plus one bias per output channel"


def result(sid: str, name: str, scores: dict[str, tuple[float, float]],
           failures: dict[str, list[str]] | None = None, notes: str = "",
           training: dict | None = None, seconds: float = 12.0) -> dict:
    tests = []
    for ex, (score, top) in scores.items():
        tests.append({"name": f"{ex}: test_ok", "score": score, "max_score": top,
                      "status": "passed", "output": "", "visibility": "visible"})
        for i, out in enumerate((failures or {}).get(ex, [])):
            tests.append({"name": f"{ex}: test_fail_{i}", "score": 0, "max_score": 1,
                          "status": "failed", "output": out, "visibility": "visible"})
    res = {"score": sum(s for s, _ in scores.values()),
           "max_score": sum(t for _, t in scores.values()), "execution_time": seconds,
           "output": notes, "tests": tests,
           "cnnkit": {"student": sid, "name": name, "fingerprint": "f" + sid,
                      "exercises": {ex: {"score": s, "max_score": t}
                                    for ex, (s, t) in scores.items()},
                      "not_graded": {}}}
    if training is not None:
        res["cnnkit"]["training"] = training
    return res


def build_class(root: Path) -> Path:
    """Five students: two miss the same concept, one has a hostile name and a timeout,
    one a crashed graded training."""
    full = {"01_cnn/params": (20, 20), "01_cnn/models": (20, 20), "02_training/cnn": (20, 20)}
    kernel = [check_failure("conv2d_param_count(3, 8, 3)", 224, 224 - 8, KERNEL)]
    trained = {"accuracy": 0.981, "floor": 0.9, "threshold": 0.97, "profile": "quick",
               "device": "cpu (2 threads)", "device_class": "cpu", "points": 20,
               "max_points": 20, "reason": {"en": "accuracy 0.9810 reaches the threshold",
                                            "vi": "độ chính xác 0.9810 đạt ngưỡng"}}
    crashed = dict(trained, accuracy=None, points=0,
                   reason={"en": "the training run failed: WorkerTimeout: no answer in 600 s; "
                                 "no accuracy was measured",
                           "vi": "lần huấn luyện bị lỗi: WorkerTimeout: không trả lời"})
    students = {
        "an": result("an", "An", full, training={"02_training/training_mnist": trained}),
        "binh": result("binh", "Bình", dict(full, **{"01_cnn/params": (10, 20)}),
                       {"01_cnn/params": kernel},
                       training={"02_training/training_mnist": trained}),
        "cuong": result("cuong", "Cường", dict(full, **{"01_cnn/params": (5, 20)}),
                        {"01_cnn/params": [check_failure("conv2d_param_count(1, 4, 5)", 100,
                                                         104, KERNEL)]},
                        training={"02_training/training_mnist": crashed}),
        "tran_anh": result("tran_anh", HOSTILE, {"01_cnn/params": (0, 20),
                                                 "01_cnn/models": (0, 20),
                                                 "02_training/cnn": (0, 20)},
                           {"01_cnn/models": [pytest_output(
                               f"ML_CNN: the architecture differs from the lecture's, {HOSTILE}.\n"
                               f"/home/{HOSTILE}/01_cnn/models.py line 3")]},
                           notes="02_training: run 1: the run passed its time limit of 300 s "
                                 "and was stopped"),
        "dung": result("dung", "Dũng", dict(full, **{"02_training/cnn": (0, 20)}),
                       {"02_training/cnn": [pytest_output(
                           "grader.testkit.harness.ExerciseImportError: the exercise file "
                           "02_training/cnn.py does not exist")]}),
    }
    for sid, res in students.items():
        folder = root / "students" / sid
        folder.mkdir(parents=True)
        (folder / "results.json").write_text(  # sealed, as the grader writes it
            records.dumps(records.seal(res, records.grader_key(root))), encoding="utf-8")
    return root


def test_concepts_group_by_the_named_concept_across_students(tmp_path):
    students, _ = load_class(build_class(tmp_path))
    groups = concepts.missed_by_exercise(students)
    params = groups["01_cnn/params"]
    assert len(params) == 1, [m.key for m in params]  # two different numbers, one concept
    assert params[0].students == {"binh", "cuong"} and params[0].text("en") == KERNEL
    assert groups["01_cnn/models"][0].key == "architecture"
    assert groups["02_training/cnn"][0].key == "missing_file"


def test_concept_of_masks_numbers_but_keeps_the_shape():
    a = concepts.concept_of(pytest_output("after 40 SGD steps test_acc is 0.109; check it"))
    b = concepts.concept_of(pytest_output("after 40 SGD steps test_acc is 0.113; check it"))
    c = concepts.concept_of(pytest_output("the loss is not cross-entropy"))
    assert a[0] == b[0] != c[0]
    vi = concepts.concept_of(pytest_output("gọi f()\n  khái niệm: mỗi kênh ra có một bias"))
    assert vi[1]["vi"] == "mỗi kênh ra có một bias"


def test_examples_are_anonymised(tmp_path):
    students, _ = load_class(build_class(tmp_path))
    example = concepts.missed_by_exercise(students)["01_cnn/models"][0].example
    assert "architecture differs" in example
    assert "Trần" not in example and "script" not in example and "<student>" in example


def test_report_page_is_self_contained_and_escapes_names(tmp_path):
    out = build_class(tmp_path)
    page = write_report(out, "en").read_text(encoding="utf-8")
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page
    assert "<b>Ánh</b>" not in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)  # no CDN, no server
    images = re.findall(r'<img src="([^"]+)"', page)
    assert len(images) >= 5 and all(i.startswith("data:image/png;base64,") for i in images)
    for needed in (KERNEL, "02_training/training_mnist", "WorkerTimeout", "0.97",
                   "time limit of 300 s", "Not computed"):
        assert needed in page, needed


def test_report_in_vietnamese(tmp_path):
    page = write_report(build_class(tmp_path), "vi").read_text(encoding="utf-8")
    assert "Khái niệm bị sai nhiều nhất" in page and "Sinh viên cần chú ý" in page
    assert "Concepts missed most" not in page


def test_students_at_risk_include_timeouts_and_crashed_training(tmp_path):
    students, _ = load_class(build_class(tmp_path))
    risky = {r.student.sid: r for r in summary.at_risk(students, lowest=1)}
    assert risky["tran_anh"].why_low and risky["tran_anh"].trouble
    assert "WorkerTimeout" in " ".join(risky["cuong"].trouble)
    assert "an" not in risky
    stats = summary.training_stats(students)["02_training/training_mnist"]
    assert (stats.runs, stats.timed_out, stats.crashed) == (3, 1, 0)
    assert stats.accuracies == [0.981, 0.981]


def test_weights_not_trained_in_the_run_are_counted_and_put_at_risk(tmp_path):
    """A run whose weights answer by MNIST's public labels (grader/grading/secret_labels.py)
    is counted apart from crashes, and its student is listed for the instructor."""
    record = {"accuracy": 0.0021, "public_label_accuracy": 0.9612, "not_trained_here": True,
              "secret_labels": True, "floor": 0.85, "threshold": 0.93, "profile": "quick",
              "device_class": "cpu", "points": 0, "max_points": 40,
              "reason": {"en": "weights not trained in this run: ...",
                         "vi": "trọng số không được huấn luyện trong lần chạy này: ..."}}
    full = {"01_cnn/params": (20, 20)}
    for sid, rec in (("eve", record), ("an", dict(record, accuracy=0.96,
                                                   public_label_accuracy=0.002,
                                                   not_trained_here=False, points=40))):
        folder = tmp_path / "students" / sid
        folder.mkdir(parents=True)
        (folder / "results.json").write_text(records.dumps(records.seal(result(
            sid, sid, full, training={"02_training/training_mnist": rec}),
            records.grader_key(tmp_path))), encoding="utf-8")
    students, _ = load_class(tmp_path)
    stats = summary.training_stats(students)["02_training/training_mnist"]
    assert (stats.runs, stats.not_trained_here, stats.crashed) == (2, 1, 0)
    risky = {r.student.sid: r for r in summary.at_risk(students, lowest=0)}
    assert "not trained in this run" in " ".join(risky["eve"].trouble)
    assert "an" not in risky
    for lang, words in (("en", "weights not trained in the run"),
                        ("vi", "trọng số không huấn luyện trong lần chạy")):
        assert words in write_report(tmp_path, lang).read_text(encoding="utf-8")


# --- similarity ---------------------------------------------------------------------------

CODE = '''
def receptive_field(kernel_sizes, strides=None):
    strides = strides or [1] * len(kernel_sizes)
    field, jump = 1, 1
    for k, s in zip(kernel_sizes, strides):
        field += (k - 1) * jump
        jump *= s
    return field


def linear_param_count(in_features, out_features, bias=True):
    # weights, then one bias per output
    return in_features * out_features + (out_features if bias else 0)


def conv2d_output_shape(input_hw, kernel_size, stride=1, padding=0, dilation=1):
    h, w = input_hw
    kh = kw = kernel_size
    out_h = (h + 2 * padding - dilation * (kh - 1) - 1) // stride + 1
    out_w = (w + 2 * padding - dilation * (kw - 1) - 1) // stride + 1
    return out_h, out_w
'''

RENAMED_REORDERED = '''
def conv2d_output_shape(size, k, stride=1, padding=0, dilation=1):
    """My own docstring."""
    height, width = size
    a = b = k
    new_h = (height + 2 * padding - dilation * (a - 1) - 1) // stride + 1
    new_w = (width + 2 * padding - dilation * (b - 1) - 1) // stride + 1
    return new_h, new_w


def receptive_field(ks, ss=None):
    ss = ss or [1] * len(ks)
    rf, j = 1, 1
    for kk, st in zip(ks, ss):
        rf += (kk - 1) * j
        j *= st
    return rf


def linear_param_count(n_in, n_out, bias=True):
    return n_in * n_out + (n_out if bias else 0)
'''

OTHER = '''
import math


def receptive_field(kernel_sizes, strides=None):
    result = 1
    product = 1
    if strides is None:
        strides = [1 for _ in kernel_sizes]
    index = 0
    while index < len(kernel_sizes):
        result = result + (kernel_sizes[index] - 1) * product
        product = product * strides[index]
        index += 1
    return int(result)


def linear_param_count(in_features, out_features, bias=True):
    total = in_features * out_features
    if bias:
        total = total + out_features
    return total


def conv2d_output_shape(input_hw, kernel_size, stride=1, padding=0, dilation=1):
    return tuple(math.floor((n + 2 * padding - dilation * (kernel_size - 1) - 1) / stride + 1)
                 for n in input_hw)
'''


def test_renamed_and_reordered_code_is_found_different_code_is_not():
    found = similarity.compare_file({"a": CODE, "b": RENAMED_REORDERED, "c": OTHER},
                                    frozenset())
    assert ("a", "b") in found and found[("a", "b")] >= 0.6
    assert ("a", "c") not in found and ("b", "c") not in found


def test_the_stub_everyone_starts_from_does_not_count():
    extra_a = "\n\ndef helper(x):\n    return x + 1\n"
    extra_b = "\n\ndef helper(values):\n    return [v * 2 for v in values if v]\n"
    stub = similarity.fingerprints(similarity.tokens(CODE))
    sources = {"a": CODE + extra_a, "b": CODE + extra_b}
    assert ("a", "b") in similarity.compare_file(sources, frozenset())  # without exclusion
    assert similarity.compare_file(sources, stub) == {}


def test_comments_and_names_do_not_change_the_tokens():
    assert similarity.tokens("x = 1  # one\n") == similarity.tokens("value = 2\n")
    assert similarity.tokens("def f(:\n") is not None  # broken code: best effort, no raise


def test_pair_pages_from_submission_folders(tmp_path):
    out = build_class(tmp_path / "graded")
    subs = tmp_path / "subs"
    for sid, code in (("an", CODE), ("binh", RENAMED_REORDERED), ("cuong", OTHER)):
        (subs / sid / "01_cnn").mkdir(parents=True)
        (subs / sid / "01_cnn" / "params.py").write_text(code)
    page = write_report(out, "en", submissions=subs).read_text(encoding="utf-8")
    pair = (out / "similar" / "an__binh.html").read_text(encoding="utf-8")
    assert "similar/an__binh.html" in page and "never a penalty" in pair
    assert "01_cnn/params.py" in pair and "receptive_field" in pair
    assert not (out / "similar" / "an__cuong.html").exists()


def test_what_much_of_the_class_writes_is_not_a_copy():
    """Twelve students with the same right answer and each a helper of their own: no pair."""
    helpers = [f"\n\ndef own_{i}(a, b):\n" + "".join(
        f"    a = a {op} b\n" for op in ("+-*/%"[i % 5], "+-*/%"[(i // 5) % 5], "+-*/%"[i % 4]) * (i % 3 + 3))
        + "    return a\n" for i in range(12)]
    sources = {f"s{i:02d}": CODE + helpers[i] for i in range(12)}
    # a copy of s03 with names changed and its helper moved first
    sources["copy"] = helpers[3].replace("a", "x") + "\n\n" + CODE.replace("field", "rf")
    found = similarity.compare_file(sources, frozenset())
    assert set(found) == {("copy", "s03")}, found
    old = similarity.COMMON_SHARE, similarity.COMMON_MIN
    try:  # without the filter, the shared answer alone pairs everyone
        similarity.COMMON_SHARE, similarity.COMMON_MIN = 1.0, 10**6
        assert len(similarity.compare_file(sources, frozenset())) > 10
    finally:
        similarity.COMMON_SHARE, similarity.COMMON_MIN = old


def test_grade_writes_the_report_when_it_finishes(tmp_path):
    from grader.grading import readiness
    from grader.grading import pipeline

    out = build_class(tmp_path)
    students, _ = load_class(out)
    plan = pipeline.ClassPlan(out, [], [], {s.sid: s.result for s in students}, [],
                              readiness.DataPlan(), b"")
    pipeline.finish_class(plan)
    assert "Concepts missed most" in (out / "report.html").read_text(encoding="utf-8")
    assert (out / "gradebook.csv").exists()


def test_report_feedback_and_export_read_only_records_whose_seal_verifies(tmp_path, capsys):
    """As resume does: a results.json edited after grading (or written by anyone but this
    folder's grader) is named and left out, never counted or exported."""
    from grader.cli.main import main
    from grader.grading.classview.load import load_class

    root = build_class(tmp_path / "class")
    forged = root / "students" / "binh" / "results.json"
    data = json.loads(forged.read_text(encoding="utf-8"))
    data["score"] = data["max_score"]  # the seal no longer matches
    forged.write_text(json.dumps(data), encoding="utf-8")
    students, unreadable = load_class(root)
    assert unreadable == ["binh"] and "binh" not in {s.sid for s in students}
    assert main(["feedback", str(root), "--lang", "en"]) == 1
    assert main(["export", str(root), "--format", "csv", "--out", str(tmp_path / "x.csv")]) == 1
    said = capsys.readouterr().err
    assert said.count("binh: results.json could not be read or its seal does not verify") == 2
    assert "binh" not in (tmp_path / "x.csv").read_text(encoding="utf-8")
    write_report(root, "en")
    assert "binh" in (root / "report.html").read_text(encoding="utf-8").split(
        "Unreadable or unsealed results")[1][:200]


# --- what an instructor acts on -----------------------------------------------------------

def add_student(root: Path, sid: str, res: dict) -> None:
    folder = root / "students" / sid
    folder.mkdir(parents=True)
    (folder / "results.json").write_text(
        records.dumps(records.seal(res, records.grader_key(root))), encoding="utf-8")


MISSING = pytest_output("grader.testkit.harness.ExerciseImportError: the exercise file "
                        "01_cnn/params.py does not exist")


def test_student_table_links_each_student_to_their_escaped_feedback(tmp_path):
    out = build_class(tmp_path)
    empty = result("empty", "Em", {"01_cnn/params": (0, 20), "01_cnn/models": (0, 20)},
                   {"01_cnn/params": [MISSING], "01_cnn/models": [MISSING]})
    empty["tests"] = [t for t in empty["tests"] if t["status"] != "passed"]
    crashed = result("hong", "Hồng", {"01_cnn/params": (0, 20)})
    crashed["cnnkit"].update(crashed="WorkerCrash", review={"01_cnn/params": {"en": "eval"}},
                             not_graded={"02_training/cnn": ["mnist"]})
    add_student(out, "empty", empty)
    add_student(out, "hong", crashed)
    page = write_report(out, "en").read_text(encoding="utf-8")
    table = page.split('<section id="students">')[1].split("</section>")[0]
    links = re.findall(r"<a href='([^']+)'>", table)
    assert links == [f"students/{sid}/feedback.html" for sid in
                     ("an", "binh", "cuong", "dung", "empty", "hong", "tran_anh")]
    assert "&lt;script&gt;alert" in table and "<script>" not in table
    row = {sid: table.split(f"<td>{sid}</td>")[1].split("</tr>")[0]
           for sid in ("an", "cuong", "empty", "hong")}
    assert "0.981" in row["an"] and "flag" not in row["an"]
    assert "at risk" in row["cuong"] and "✗" in row["cuong"]  # its training crashed
    assert "nothing submitted" in row["empty"]
    for flag in ("grading crashed", "review", "not graded"):
        assert flag in row["hong"], flag
    for link in links:  # every page exists, escaped, and leads back
        feedback = (out / link).read_text(encoding="utf-8")
        assert "<script" not in feedback and "../../report.html" in feedback
    hostile = (out / "students/tran_anh/feedback.html").read_text(encoding="utf-8")
    assert "Feedback for &lt;script&gt;alert" in hostile and "<b>Ánh" not in hostile
    assert "<pre>AssertionError: ML_CNN: the architecture differs" in hostile


def test_feedback_page_shows_any_markdown_as_text():
    from grader.grading.classview import feedback_page

    md = ("# Feedback for \\<img src=x onerror=alert(1)\\>\n\n| a \\| b | `c` |\n|---|---|\n"
          "| <i>x</i> | **y** |\n\n```\n</pre><script>alert(1)</script>\n```\n"
          "![curves](javascript:void)\n![learning curves](curves_02_training_x.png)\n"
          "- <svg onload=alert(1)>\n")
    body = feedback_page.body(md)
    assert "<script" not in body and "<img src=x" not in body and "<svg" not in body
    assert "<i>" not in body and "javascript:" not in body and "href" not in body
    assert "<td>a | b</td>" in body.replace("<th>", "<td>").replace("</th>", "</td>")
    assert '<img src="curves_02_training_x.png"' in body and "<strong>y</strong>" in body
    assert "&lt;/pre&gt;&lt;script&gt;" in body


def test_exercises_in_course_order_as_the_gradebook(tmp_path):
    from grader.core import manifest, paths
    from grader.grading import report

    out = build_class(tmp_path)
    students, _ = load_class(out)
    order = list(summary.exercise_stats(students))
    header = next(iter(report.gradebook_csv(
        {s.sid: s.result for s in students},
        [manifest.load_topic(t) for t in paths.topics()]).splitlines())).split(",")
    assert order == [c for c in header if c in order]
    assert order.index("01_cnn/params") < order.index("01_cnn/models")  # not alphabetical
    page = write_report(out, "en").read_text(encoding="utf-8")
    shown = page.split('<section id="exercises">')[1]
    assert [m for m in re.findall(r"<tr><td>([^<]+)</td>", shown) if m in order] == order
    assert list(concepts.missed_by_exercise(students)) == [
        c for c in order if c in concepts.missed_by_exercise(students)]


def test_plots_suit_the_class_size():
    from grader.grading.classview import plots

    small = plots.distribution([10, 20, 20, 40], 40, "t", "x", "y")
    assert isinstance(small, plots.DotPlot)
    assert (small.values, small.counts) == ([10, 20, 40], [1, 2, 1])
    large = plots.distribution([i % 40 for i in range(plots.SMALL_CLASS)], 40, "t", "x", "y")
    assert isinstance(large, plots.Histogram) and sum(large.counts) == plots.SMALL_CLASS


def test_time_per_student_counts_graded_training(tmp_path):
    out = tmp_path
    record = {"accuracy": 0.98, "train_seconds": 500.0, "profile": "quick",
              "device_class": "cpu", "points": 20, "max_points": 20}
    add_student(out, "an", result("an", "An", {"01_cnn/params": (20, 20)}, seconds=12.0,
                                  training={"02_training/training_mnist": record}))
    students, _ = load_class(out)
    facts = summary.machine_facts(students)
    assert facts.seconds == [512.0] and facts.training_seconds == [500.0]
    page = write_report(out, "en").read_text(encoding="utf-8")
    assert "512.0 s" in page and "fingerprint" not in page


def test_concepts_count_students_and_show_nothing_submitted_once(tmp_path):
    out = build_class(tmp_path)
    twice = result("ha", "Hà", {"01_cnn/params": (0, 20)},
                   {"01_cnn/params": [check_failure("conv2d_param_count(3, 8, 3)", 1, 2,
                                                    KERNEL)] * 3})
    empty = result("empty", "Em", {"01_cnn/params": (0, 20), "01_cnn/models": (0, 20)},
                   {"01_cnn/params": [MISSING], "01_cnn/models": [MISSING]})
    empty["tests"] = [t for t in empty["tests"] if t["status"] != "passed"]
    add_student(out, "ha", twice)
    add_student(out, "empty", empty)
    students, _ = load_class(out)
    groups = concepts.missed_by_exercise(students)
    assert {s for ms in groups.values() for m in ms for s in m.students} >= {"ha"}
    assert "empty" not in {s for ms in groups.values() for m in ms for s in m.students}
    kernel = groups["01_cnn/params"][0]
    assert kernel.students == {"binh", "cuong", "ha"} and kernel.tests == 5
    page = write_report(out, "en").read_text(encoding="utf-8")
    section = page.split('<section id="concepts">')[1].split("</section>")[0]
    assert section.count("Nothing submitted (1)") == 1 and "Em" in section
    assert "3 / 6" in section  # three students of the six who handed something in


def test_similar_pairs_survive_a_re_render_and_stale_pages_go(tmp_path):
    out = build_class(tmp_path / "graded")
    subs = tmp_path / "subs"
    for sid, code in (("an", CODE), ("binh", RENAMED_REORDERED), ("cuong", OTHER)):
        (subs / sid / "01_cnn").mkdir(parents=True)
        (subs / sid / "01_cnn" / "params.py").write_text(code)
    (out / "similar").mkdir()
    (out / "similar" / "old__pair.html").write_text("stale")
    write_report(out, "en", submissions=subs)
    assert not (out / "similar" / "old__pair.html").exists()
    for lang, words in (("en", "Found when the class was graded"), ("vi", "Tìm thấy khi chấm")):
        (out / "similar" / "an__binh.html").unlink()
        page = write_report(out, lang).read_text(encoding="utf-8")  # no submissions now
        assert words in page and "similar/an__binh.html" in page
        pair = (out / "similar" / "an__binh.html").read_text(encoding="utf-8")
        assert "receptive_field" in pair and f'lang="{lang}"' in pair
    kept = out / "similar" / "pairs.json"
    data = json.loads(kept.read_text(encoding="utf-8"))
    data["cnnkit"]["pairs"][0]["b"] = "dung"  # edited by hand: the seal no longer matches
    kept.write_text(json.dumps(data), encoding="utf-8")
    page = write_report(out, "en").read_text(encoding="utf-8")
    assert "Not computed" in page and "similar/an__" not in page
    assert list((out / "similar").glob("*.html")) == []


def test_new_report_sentences_in_vietnamese(tmp_path):
    out = build_class(tmp_path)
    page = write_report(out, "vi").read_text(encoding="utf-8")
    assert "Mỗi tên mở trang nhận xét" in page and "Each name opens" not in page
    assert "trong đó huấn luyện có chấm" in page and "of which graded training" not in page
    feedback = (out / "students/binh/feedback.html").read_text(encoding="utf-8")
    assert "Nhận xét cho" in feedback and "Về trang báo cáo lớp" in feedback
