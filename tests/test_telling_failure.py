"""feedback.md leads each exercise with its deepest real failure, names the same hint in
every language, and shows students no pytest machinery (module paths, ``Failed:``)."""

from __future__ import annotations

import pytest

from grader.core import i18n, manifest, messages, scoring
from grader.core.failure_lines import key_lines, rank, waits_on_others
from grader.grading import report

# The failure of a run that trains with learning rate 1e-5 (the sample student dung), as the
# smoke test of 02_training/test_train.py writes it.
SLOW = {"en": "after 40 SGD steps test_acc is 0.109; a working model already beats chance (0.1)"
              " by far: check the loss, the optimizer and that fit() runs before test()",
        "vi": "sau 40 bước SGD test_acc là 0.109; một mô hình chạy đúng đã vượt xa mức đoán "
              "ngẫu nhiên (0.1): hãy kiểm tra hàm loss, optimizer, và fit() phải chạy trước "
              "test()"}


def _record(test: str, texts: dict[str, str], status: str = "failed",
            tags: tuple = ()) -> dict:
    both = {lang: f"E   AssertionError: {text}" if status == "failed" else text
            for lang, text in texts.items()}
    return {"name": f"02_training/train: {test}", "status": status, "visibility": "visible",
            "output": both["en"], "output_i18n": both, **({"tags": list(tags)} if tags else {})}


def _dung(slow: dict[str, str] = SLOW) -> list[dict]:
    # record order puts a passed-but-waiting reported test first, as score_topic does
    return [_record("test_runs_are_deterministic", messages.languages(scoring.UNBACKED), "passed"),
            _record("test_smoke_run_returns_and_writes_results", slow)]


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_a_test_that_only_waits_is_never_the_telling_failure(lang):
    out = "\n".join(report.failures_markdown(_dung(), lang))
    block = out.split("```")[1]
    assert SLOW[lang].split(";")[0] in block, out
    assert messages.render(scoring.UNBACKED, lang)[:30] not in block, out


def test_waiting_messages_rank_below_every_real_failure():
    for why in (scoring.UNBACKED, messages.said("score.zeroed_by_rule", test="test_x")):
        for lang, text in messages.languages(why).items():
            assert waits_on_others(text), lang
            assert rank(text) < rank("E   AssertionError: 1 != 2")
    assert not waits_on_others("E   AssertionError: " + SLOW["en"])


# the Vietnamese message shares no word with any hint: the hint is chosen on the English one
UNSHARED = {"en": SLOW["en"], "vi": "sau bốn mươi bước, mô hình gần như không học được gì"}


@pytest.mark.parametrize("slow", [SLOW, UNSHARED], ids=["as_written", "no_shared_word"])
def test_the_hint_is_the_same_in_every_language_and_about_the_learning_rate(slow):
    hints = manifest.load_topic("02_training").exercise("train").hint_list("en")
    numbers = set()
    for lang in i18n.LANGS:
        line = report.failures_markdown(_dung(slow), lang)[-1]
        number = int(line.split()[1] if lang == "en" else line.split()[2])
        assert manifest.load_topic("02_training").exercise("train").hint_list(lang)[
            number - 1][:40] in line.replace("\\", ""), line
        numbers.add(number)
    assert len(numbers) == 1, numbers
    chosen = hints[numbers.pop() - 1]
    assert "learning rate" in chosen and "optimizer" in chosen, chosen


def test_students_see_no_module_path_and_no_failed_prefix():
    message = ("E   grader.testkit.harness.ExerciseImportError: không có tệp bài tập "
               "01_cnn/models.py\nE   Failed: thiếu tệp naive_conv.py")
    assert key_lines(message) == ("ExerciseImportError: không có tệp bài tập 01_cnn/models.py\n"
                                  "thiếu tệp naive_conv.py")
    # a dotted name inside the message stays as it is
    assert key_lines("E   AssertionError: call torch.nn.functional.relu: here") == \
        "AssertionError: call torch.nn.functional.relu: here"


# dung as graded: the smoke test (``reported``: it reads what the run says of itself) and
# the held-out check (the trusted side measures the returned weights) both fail.
HELD_OUT = {"en": "after 40 SGD steps your trained weights, in the lecture's network, classify "
                  "10% of 300 held-out test images right",
            "vi": "sau 40 bước SGD, trọng số bạn huấn luyện, đặt trong mạng của bài giảng, phân "
                  "loại đúng 10% trong 300 ảnh test giữ riêng"}


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_the_measured_failure_leads_before_what_the_code_reports(lang):
    smoke = _record("test_smoke_run_returns_and_writes_results", SLOW, tags=("reported",))
    held = _record("test_trained_weights_classify_held_out_images", HELD_OUT)
    held["failure_id"] = ("02_training/test_train::test_trained_weights_classify_held_out_images"
                          "::0a1b2c3d")
    out = report.failures_markdown([smoke, held], lang)
    block = "\n".join(out).split("```")[1]
    assert HELD_OUT[lang][:40] in block and SLOW[lang][:30] not in block, out
    assert out[-1].startswith(("Hint 5 ", "Gợi ý 5 ")), out[-1]
