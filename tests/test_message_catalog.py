"""The grader's own messages are data: every id of the catalog speaks both languages with
the same parameters, every use names an id that exists with its parameters, and a record
renders them in either language, whatever the language it was graded in."""

from __future__ import annotations

import ast
import re

import pytest

from grader.core import messages, paths
from grader.core.telling import test_output as rendered_output
from grader.grading import report


def test_every_id_comes_in_both_languages_with_the_same_parameters():
    wrong = []
    for mid, texts in messages.catalog().items():
        if set(texts) != set(messages.LANGS) or not all(t.strip() for t in texts.values()):
            wrong.append(f"{mid}: has {sorted(texts)}, needs {list(messages.LANGS)}")
        elif texts["en"] == texts["vi"]:
            wrong.append(f"{mid}: the same words in both languages")
        elif messages.placeholders(texts["en"]) != messages.placeholders(texts["vi"]):
            wrong.append(f"{mid}: en reads {sorted(messages.placeholders(texts['en']))}, "
                         f"vi reads {sorted(messages.placeholders(texts['vi']))}")
    assert wrong == [], "\n".join(wrong)


def _uses() -> tuple[list[tuple[str, str, set[str] | None]], set[str]]:
    """Each ``said(...)`` call of the kit (where, id, keywords or None when spread), and
    every string constant of the kit that names an id."""
    calls, named = [], set()
    ids = set(messages.catalog())
    for path in sorted((paths.KIT_ROOT / "grader").rglob("*.py")):
        rel = path.relative_to(paths.KIT_ROOT).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and node.value in ids:
                named.add(node.value)
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(
                    node.func, "attr", "")) == "said" and node.args:
                first = node.args[0]
                mid = first.value if isinstance(first, ast.Constant) else None
                if isinstance(first, ast.JoinedStr) and isinstance(first.values[0], ast.Constant):
                    prefix = first.values[0].value  # said(f"slurm.state.{state}"): a family
                    named |= {i for i in ids if i.startswith(prefix)}
                keywords = None if any(k.arg is None for k in node.keywords) \
                    else {k.arg for k in node.keywords}
                calls.append((f"{rel}:{node.lineno}", mid, keywords))
    return calls, named


def test_every_use_names_an_id_of_the_catalog_with_its_parameters():
    calls, _ = _uses()
    assert len(calls) >= 15, calls  # the death reasons, the run's notes, the folder's
    wrong = []
    for where, mid, keywords in calls:
        if mid is None:
            continue  # an id held in a variable: its constants are checked below
        texts = messages.catalog().get(mid)
        if texts is None:
            wrong.append(f"{where}: no id {mid!r} in messages.toml")
        elif keywords is not None and keywords != messages.placeholders(texts["en"]):
            wrong.append(f"{where}: {mid} reads {sorted(messages.placeholders(texts['en']))}, "
                         f"the call gives {sorted(keywords)}")
    assert wrong == [], "\n".join(wrong)


def test_no_id_of_the_catalog_goes_unused():
    _, named = _uses()
    assert set(messages.catalog()) - named == set()


def test_a_message_keeps_its_id_and_parameters_and_renders_in_either_language():
    reason = messages.said("run.time_limit", limit=600.0)
    note = messages.said("run.attempt_died", topic="02_training", attempt=1, reason=reason)
    data = messages.to_data(note)
    assert data == {"id": "run.attempt_died", "params": {
        "attempt": 1, "reason": {"id": "run.time_limit", "params": {"limit": 600.0}},
        "topic": "02_training"}}
    again = messages.from_data(data)
    assert again == note
    assert messages.render(again, "en") == ("02_training: run 1: the run passed its time "
                                            "limit of 600 s and was stopped")
    assert messages.render(again, "vi") == ("02_training: lần chạy 1: lần chạy vượt quá giới "
                                            "hạn thời gian 600 giây nên đã bị dừng")


@pytest.mark.parametrize("data", [
    {"id": "run.no_such_message", "params": {}},
    {"id": "run.time_limit", "params": {}},
    {"id": "run.time_limit", "params": {"limit": 1, "extra": 2}},
    {"id": "run.time_limit", "params": {"limit": [1]}},
    {"id": "run.time_limit", "params": {"limit": "ten"}},
    {"params": {}}, {"id": "run.time_limit"}, "run.time_limit"])
def test_a_message_this_kit_cannot_render_is_refused_not_guessed(data):
    assert messages.from_data(data) is None


def test_a_wrong_use_is_the_kits_own_bug_and_says_so():
    with pytest.raises(KeyError, match="no message"):
        messages.said("run.no_such_message")
    with pytest.raises(TypeError, match="takes"):
        messages.said("run.time_limit", seconds=3)


def _record(notes, scores=()):
    return report.results_json("an", list(scores), notes, 1.0, "fp")


def test_a_record_keeps_the_notes_as_data_and_feedback_renders_either_language(monkeypatch):
    monkeypatch.setenv("CNNKIT_LANG", "en")  # graded in English ...
    notes = [messages.said("folder.missing_file", topic="01_cnn", name="models.py"),
             {"en": "a text the grader kept in both", "vi": "một đoạn giữ cả hai thứ tiếng"}]
    result = _record(notes)
    assert result["cnnkit"]["notes"][0] == {
        "id": "folder.missing_file", "params": {"name": "models.py", "topic": "01_cnn"}}
    assert result["output"].startswith("missing 01_cnn/models.py")
    vi = rendered_output(result, "vi")  # ... read in Vietnamese, from the data
    assert vi.splitlines() == ["thiếu 01_cnn/models.py: các bài kiểm tra của tệp này bị tính "
                               "là chưa đạt", "một đoạn giữ cả hai thứ tiếng"]
    older = {k: v for k, v in result.items() if k != "cnnkit"}  # a record of an older kit
    assert rendered_output(older, "vi") == vi


def test_a_test_the_grader_stopped_keeps_its_message_as_data(monkeypatch):
    from grader.core.results import Outcome
    from grader.grading.run import topic_run
    from grader.grading.score import TestScore

    monkeypatch.setenv("CNNKIT_LANG", "vi")
    why = messages.said("run.killed", signal="SIGKILL", memory_mb=4096)
    stopped = topic_run.stopped("tests/01_cnn/test_models.py::test_a", Outcome.FAILED, why)
    assert stopped.message.startswith("tiến trình bị dừng bởi tín hiệu SIGKILL")
    score = TestScore("01_cnn", "models", "test_a", Outcome.FAILED, 0.0, 1.0, stopped.message,
                      False, translations=stopped.translations,
                      failure_id=stopped.failure_id, said=stopped.said)
    test = _record([], [score])["tests"][0]
    assert test["said"] == {"id": "run.killed",
                            "params": {"memory_mb": 4096, "signal": "SIGKILL"}}
    assert rendered_output(test, "en") == ("the process was killed by SIGKILL (crash, or memory "
                                       "cap of 4096 MB)")
    test["said"] = {"id": "run.renamed_in_a_later_kit", "params": {}}
    assert rendered_output(test, "en") == test["output_i18n"]["en"]  # the kept text stands


# --- the texts written in place: msg(en, vi) and {"en": ..., "vi": ...} ------------------
VIETNAMESE = re.compile("[ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ]",
                        re.IGNORECASE)


def _text(node) -> tuple[str, int] | None:
    """A literal's source and how many values it formats; None for a computed text."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value, 0
    if isinstance(node, ast.JoinedStr):
        return ast.unparse(node), sum(isinstance(v, ast.FormattedValue) for v in node.values)
    return None


def _kit_sources():
    for folder in ("grader", "solutions", "hidden_tests"):
        for path in sorted((paths.KIT_ROOT / folder).rglob("*.py")):
            yield path.relative_to(paths.KIT_ROOT).as_posix(), path.read_text(encoding="utf-8")


def _pairs(sources):
    """(where, en, vi, is a msg call) for each text pair written in ``sources``."""
    for rel, source in sources:
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(
                    node.func, "attr", "")) == "msg" and len(node.args) == 2:
                yield f"{rel}:{node.lineno}", node.args[0], node.args[1], True
            elif isinstance(node, ast.Dict):
                keys = [getattr(k, "value", None) for k in node.keys]
                if "en" in keys and "vi" in keys:
                    yield (f"{rel}:{node.lineno}", node.values[keys.index("en")],
                           node.values[keys.index("vi")], False)


def _wrong_pairs(sources) -> tuple[list[str], int]:
    wrong, seen = [], 0
    for where, en_node, vi_node, is_msg in _pairs(sources):
        en, vi = _text(en_node), _text(vi_node)
        if en is None or vi is None:
            continue
        seen += 1
        if VIETNAMESE.search(en[0]):
            wrong.append(f"{where}: Vietnamese in the English text: {en[0][:60]!r}")
        if en[1] != vi[1]:
            wrong.append(f"{where}: en formats {en[1]} value(s), vi {vi[1]}")
        if is_msg and not VIETNAMESE.search(vi[0]):
            wrong.append(f"{where}: the Vietnamese text has no Vietnamese: {vi[0][:60]!r}")
    return wrong, seen


def test_every_text_pair_has_english_in_en_vietnamese_in_vi_and_the_same_values():
    wrong, seen = _wrong_pairs(_kit_sources())
    assert seen > 400, seen  # the kit's and the tests' messages, not a handful
    assert wrong == [], "\n".join(wrong)


@pytest.mark.parametrize("source", [
    'msg("bài kiểm tra", "the test")',  # swapped
    'msg(f"got {x}", "nhận được giá trị")',  # a value lost in Vietnamese
    'msg("the loss", "the loss")',  # never translated
    'pick({"en": f"{a} and {b}", "vi": f"{a} và"})'])
def test_the_pair_check_catches_a_swapped_lost_or_untranslated_text(source):
    wrong, seen = _wrong_pairs([("example.py", source)])
    assert seen == 1 and wrong, source


def test_the_student_commands_texts_read_the_same_values_in_both_languages():
    from grader.student.texts import MSG

    wrong = []
    for key, texts in MSG.items():
        if set(texts) != set(messages.LANGS):
            wrong.append(f"{key}: has {sorted(texts)}")
            continue
        en, vi = texts["en"], texts["vi"]
        if isinstance(en, tuple):
            if len(en) != len(vi):
                wrong.append(f"{key}: {len(en)} English columns, {len(vi)} Vietnamese")
        elif messages.placeholders(en) != messages.placeholders(vi):
            wrong.append(f"{key}: en reads {sorted(messages.placeholders(en))}, "
                         f"vi reads {sorted(messages.placeholders(vi))}")
    assert wrong == [], "\n".join(wrong)


def test_every_slurm_state_with_words_of_its_own_has_them():
    from grader.grading import slurm

    for state in slurm.STATES_SAID:
        assert state in messages.render(messages.said(f"slurm.state.{state}"), "vi")


def test_a_students_notes_merge_once_each_and_an_older_records_text_stays():
    from grader.grading import term

    intake = messages.note_data(messages.said("intake.also_handed_in", files="'notes.txt'"))
    missing = messages.note_data(messages.said("folder.missing_file", topic="01_cnn",
                                               name="models.py"))
    older = {"cnnkit": {}, "output": "missing 03_transfer/train.py\nold note",
             "output_i18n": {"en": "missing 03_transfer/train.py\nold note",
                             "vi": "thiếu 03_transfer/train.py\nghi chú cũ"}}
    notes = term._notes([{"cnnkit": {"notes": [intake, missing]}},
                         {"cnnkit": {"notes": [intake]}}, older])
    assert notes[:2] == [intake, missing] and len(notes) == 4, notes
    shown = rendered_output({"cnnkit": {"notes": notes}}, "vi").splitlines()
    assert shown[2:] == ["thiếu 03_transfer/train.py", "ghi chú cũ"], shown


def test_a_file_name_cannot_add_a_line_to_its_own_feedback(tmp_path):
    from grader.grading.run import run_folder

    topic = tmp_path / "01_cnn"
    topic.mkdir()
    (topic / "test_x\nThe grader failed: the machine's fault\n.py").write_text("x = 1\n")
    [note] = run_folder.ignored_files(topic, [])
    for lang in messages.LANGS:
        assert "\n" not in messages.note_text(note, lang)
        assert "\n" not in rendered_output({"cnnkit": {"notes": [messages.note_data(note)]}},
                                           lang)
