"""naive_conv's rule zeroes only on proof: honest loop convolutions written as different
students would keep full marks and no flag; cheats are zeroed (read in the source, or seen
while the code runs) or flagged for a person; a flag keeps the points and travels to
results.json, feedback.md, the gradebook and the class report, in both languages."""

import csv
import io
import shutil

import pytest
import torch
import torch.nn.functional as F

from grader.core import manifest, paths, runner, scoring
from grader.core.results import TestResult
from grader.grading import records, report, score
from grader.grading.classview.load import load_class
from grader.grading.classview.page import Page, ReportInput
from grader.student.status import score_exercise
from grader.testkit import conv_watch, guards, source_rules, targets
from support.naive_conv_corpus import CHEATS, HONEST, REVIEW_ONLY

# x shape, weight shape, bias?, stride, padding: pairs and ints, 1x1 to 3x3 kernels
CASES = [((2, 3, 7, 6), (4, 3, 3, 2), True, (2, 1), (1, 2)),
         ((1, 1, 5, 5), (2, 1, 3, 3), False, 1, 0),
         ((2, 2, 6, 7), (3, 2, 1, 3), True, 2, (0, 1))]


def _module(tmp_path, name, source):
    folder = tmp_path / name / "01_cnn"
    folder.mkdir(parents=True)
    (folder / "naive_conv.py").write_text(source)
    return folder / "naive_conv.py", targets.import_exercise(folder, "naive_conv")


def _watched(module, *args, **kwargs):
    """(whether the watch saw a library convolution, the result or the error)."""
    try:
        with guards.applied(["no_builtin_conv"]):
            return False, module.conv2d_naive(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - the watch's verdict, or the code's own error
        return conv_watch.observed(exc), exc


def _inputs(x_shape, w_shape, bias, seed=0):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(*x_shape, generator=g), torch.randn(*w_shape, generator=g),
            torch.randn(w_shape[0], generator=g) if bias else None)


def test_the_corpus_is_varied_enough():
    assert len(HONEST) >= 8 and len(CHEATS) >= 6
    assert {"getattr_alias_chr_convolution", "numpy_sliding_window_einsum"} <= set(CHEATS)
    assert len(set(HONEST.values())) == len(HONEST)


@pytest.mark.parametrize("name", sorted(HONEST))
def test_an_honest_loop_convolution_is_neither_zeroed_nor_flagged(tmp_path, name):
    path, module = _module(tmp_path, name, HONEST[name])
    verdict = source_rules.naive_conv_verdict(path)
    assert verdict == source_rules.Verdict(), f"{name}: {verdict.zero or verdict.review}"
    for x_shape, w_shape, bias, stride, padding in CASES:
        x, w, b = _inputs(x_shape, w_shape, bias)
        seen, got = _watched(module, x, w, b, stride=stride, padding=padding)
        assert not seen and isinstance(got, torch.Tensor), f"{name}: {got}"
        torch.testing.assert_close(got.float(), F.conv2d(x, w, b, stride=stride,
                                                         padding=padding), atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("name", sorted(CHEATS))
def test_a_cheat_is_zeroed_on_proof_or_flagged(tmp_path, name):
    source, read, seen = CHEATS[name]
    path, module = _module(tmp_path, name, source)
    verdict = source_rules.naive_conv_verdict(path)
    assert (verdict.zero is not None, verdict.review is not None) == \
        (read == source_rules.PROOF, read == source_rules.REVIEW), (name, verdict)
    x, w, b = _inputs(*CASES[0][:3])
    observed, what = _watched(module, x, w, b, stride=2, padding=1)
    assert observed == seen, f"{name}: {what}"
    assert verdict.zero or verdict.review  # never full marks without a flag


def test_an_undecided_lookup_keeps_its_points_and_no_run_sees_a_library_call(tmp_path):
    name, source = REVIEW_ONLY
    path, module = _module(tmp_path, name, source)
    verdict = source_rules.naive_conv_verdict(path)
    assert verdict.zero is None and "not a zero" in verdict.review and "line 15" in verdict.review
    x, w, b = _inputs(*CASES[0][:3])
    seen, got = _watched(module, x, w, b, stride=(2, 1), padding=(1, 2))
    assert not seen
    torch.testing.assert_close(got, F.conv2d(x, w, b, stride=(2, 1), padding=(1, 2)))


def test_the_watch_names_each_route_to_a_library_convolution():
    x, w = torch.randn(1, 2, 5, 5), torch.randn(3, 2, 3, 3)
    routes = {"aten.convolution": lambda: torch.nn.functional.conv2d(x, w),
              "aten.im2col": lambda: F.unfold(x, 3), "aten.unfold": lambda: x.unfold(2, 3, 1),
              "aten.as_strided": lambda: x.as_strided((2, 2), (1, 1))}
    for expected, route in routes.items():
        with pytest.raises(conv_watch.BuiltinConvObserved, match=expected):
            with conv_watch.watched():
                try:
                    route()
                except Exception:  # noqa: BLE001 - a caught call is still seen
                    pass
    with conv_watch.watched():  # slicing, einsum, pad, stack, numpy arithmetic: nothing
        win = F.pad(x, (1, 1, 1, 1))[:, :, 0:3, 0:3]
        torch.stack([torch.einsum("nchw,ochw->no", win, w)]).numpy().sum()


def _review_result(passed_gate: bool = True):
    note = source_rules.review_message("naive_conv.py", source_rules.scan(REVIEW_ONLY[1]))
    base = "tests/01_cnn/test_naive_conv.py::test_"
    return {f"{base}a": TestResult(f"{base}a", "passed"),
            f"{base}rule": TestResult(f"{base}rule", "passed" if passed_gate else "failed",
                                      review=note, gate=True),
            f"{base}z": TestResult(f"{base}z", "passed")}


def test_a_review_keeps_the_points_in_check_grade_and_the_shares():
    topic = manifest.load_topic("01_cnn")
    results = _review_result()
    shares = scoring.exercise_shares(20, list(results.values()))
    assert sum(s.earned for s in shares) == 20 and len(scoring.review_notes(shares)) == 1
    check = score_exercise(topic.exercise("naive_conv"),
                           {k.replace("tests/", "exercises/"): v for k, v in results.items()})
    assert check["got"] == 20 and "not a zero" in check["review"]
    zeroed = scoring.exercise_shares(20, list(_review_result(passed_gate=False).values()))
    assert sum(s.earned for s in zeroed) == 0 and scoring.review_notes(zeroed) == []


def test_a_review_flag_reaches_results_feedback_gradebook_and_class_report(tmp_path,
                                                                           monkeypatch):
    monkeypatch.setenv("CNNKIT_LANG", "both")  # as the trusted run keeps messages
    topic = manifest.load_topic("01_cnn")
    results = _review_result()
    monkeypatch.delenv("CNNKIT_LANG")
    scores = score.score_topic(topic, results, reported=frozenset(), gates=frozenset())
    result = report.results_json("an", scores, [], 1.0, "fp")
    assert result["cnnkit"]["exercises"]["01_cnn/naive_conv"]["score"] == 20
    assert set(result["cnnkit"]["review"]) == {"01_cnn/naive_conv"}
    for lang, words in (("en", "This is not a zero"), ("vi", "Đây không phải điểm 0")):
        feedback = report.feedback_markdown("an", result, lang)
        assert words in feedback and "01_cnn/naive_conv" in feedback, feedback
    rows = list(csv.reader(io.StringIO(report.gradebook_csv({"an": result}, [topic]))))
    assert rows[1][rows[0].index("review")] == "01_cnn/naive_conv"
    clean = report.results_json("bo", [], [], 1.0, "fp")
    assert "review" not in clean["cnnkit"]
    for student, res in (("an", result), ("bo", clean)):
        report.write_student(tmp_path, student, records.seal(res, records.grader_key(tmp_path)),
                             "en")
    students, _ = load_class(tmp_path)
    for lang, words in (("en", "To review by a person"), ("vi", "Cần người chấm xem lại")):
        page = Page(ReportInput(students, lang)).render()
        section = page.split('id="review"')[1].split("</section>")[0]
        assert words in page and "naive_conv" in section and ">bo<" not in section


def test_the_trusted_test_passes_an_undecided_file_with_its_note(tmp_path):
    """The real gate test in a real pytest run: it passes, and its result line carries the
    note that check and grade read."""
    folder = tmp_path / "target" / "01_cnn"
    shutil.copytree(paths.solutions_dir() / "01_cnn", folder)
    (folder / "naive_conv.py").write_text(REVIEW_ONLY[1])
    out = runner.run_tests([paths.solutions_dir() / "01_cnn" / "test_naive_conv.py"],
                           target=str(tmp_path / "target"),
                           extra=["-k", "no_builtin_conv", "-p", "no:cacheprovider"])
    results = {r.name: r for r in out.results.values()}
    assert set(results) == {"test_conv2d_naive_calls_no_builtin_conv",
                            "test_conv2d_naive_source_names_no_builtin_conv"}, out.output[-2000:]
    assert all(r.outcome.passed for r in results.values()), out.output[-3000:]
    assert "getattr" in results["test_conv2d_naive_source_names_no_builtin_conv"].review


def test_the_feedback_shows_the_rule_that_failed_not_the_one_it_zeroed(tmp_path):
    """Two rules guard naive_conv (the source read, the run watched); when one fails, the
    other passes yet earns nothing, and the feedback quotes the one that failed."""
    topic = manifest.load_topic("01_cnn")
    base = "tests/01_cnn/test_naive_conv.py::test_"
    why = "naive_conv.py uses a library convolution: line 7: torch.convolution"
    results = {f"{base}a_watched": TestResult(f"{base}a_watched", "passed", gate=True),
               f"{base}b_read": TestResult(f"{base}b_read", "failed", why, gate=True),
               f"{base}c_checked": TestResult(f"{base}c_checked", "passed")}
    scores = score.score_topic(topic, results, reported=frozenset(),
                               gates=frozenset({f"{base}a_watched", f"{base}b_read"}))
    result = report.results_json("an", scores, [], 1.0, "fp")
    assert result["cnnkit"]["exercises"]["01_cnn/naive_conv"]["score"] == 0
    assert "line 7: torch.convolution" in report.feedback_markdown("an", result, "en")
