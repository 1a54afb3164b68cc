"""Messages are kept as data: a class graded in English renders in Vietnamese later (the
graded class itself: tests/test_hostile_submissions.py, test_the_class_renders_in_...)."""

from __future__ import annotations

from grader.core import i18n


def test_render_picks_one_language_even_nested_or_cut(monkeypatch):
    monkeypatch.setenv("CNNKIT_LANG", i18n.BOTH)
    inner = i18n.msg("layer", "lớp")
    text = "E   AssertionError: " + i18n.msg(f"first {inner} differs", f"{inner} đầu tiên khác")
    assert i18n.render(text, "en") == "E   AssertionError: first layer differs"
    assert i18n.render(text, "vi") == "E   AssertionError: lớp đầu tiên khác"
    assert i18n.render(text[:-8], "vi").startswith("E   AssertionError: lớp")  # cut: no mark left
    assert not set(i18n.render(text[:-8], "vi")) & {i18n.OPEN, i18n.SEP, i18n.CLOSE}
    assert i18n.translations("plain") is None


def test_labels_keep_both_languages_and_pad_each_on_its_own(monkeypatch):
    monkeypatch.setenv("CNNKIT_LANG", i18n.BOTH)
    returned, _ = i18n.pick({"en": ("returned:", "expected:"), "vi": ("trả về:", "mong đợi:")})
    line = i18n.ljust(returned, 10) + "2"
    assert (i18n.render(line, "en"), i18n.render(line, "vi")) == ("returned: 2", "trả về:   2")
    assert i18n.pick({"en": 1, "vi": 2}) == 1  # not text: one language, as before


def test_the_graders_own_notes_render_in_either_language_later(monkeypatch):
    """A note the grader writes (a file ignored, a run stopped) is stored as data, in both
    languages: feedback renders it in Vietnamese from a class graded in English."""
    from grader.grading import report

    monkeypatch.setenv("CNNKIT_LANG", "en")
    note = {"en": "ignored 01_cnn/conftest.py: never used",
            "vi": "bỏ qua 01_cnn/conftest.py: không bao giờ được dùng"}
    result = report.results_json("an", [], [note, "plain line"], 1.0, "fp")
    assert result["output"] == "ignored 01_cnn/conftest.py: never used\nplain line"
    assert result["output_i18n"]["vi"].startswith("bỏ qua 01_cnn/conftest.py")
    vi = report.feedback_markdown("an", result, "vi")
    assert "không bao giờ được dùng" in vi and "never used" not in vi
    assert "never used" in report.feedback_markdown("an", result, "en")


def test_a_crashed_record_says_why_in_both_languages(monkeypatch, tmp_path):
    from grader.grading import discover
    from grader.grading.run import student_run

    monkeypatch.setenv("CNNKIT_LANG", "en")
    sub = discover.Submission("an", tmp_path, None)
    result = student_run.crashed_result(sub, [], tmp_path, "fp", "en", b"", None,
                                     RuntimeError("cannot show this name"))
    assert "could not handle something in your submission" in result["output"]
    assert "Bộ chấm không xử lý được" in result["output_i18n"]["vi"]
    result = student_run.crashed_result(sub, [], tmp_path, "fp", "en", b"", None,
                                     OSError(28, "No space left on device"))
    assert "the machine's fault" in result["output"] and "ENOSPC" in result["output"]
    assert "lỗi của máy" in result["output_i18n"]["vi"]
