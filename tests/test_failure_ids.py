"""Every failing test carries an id of what failed, in no language (grader.testkit.failure_ids),
and the class report groups failures by it: whatever the numbers, the wording or the
reader's language, one check is one group."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from grader.core import failure_kinds, paths
from grader.core.results import read_results
from grader.grading import records
from grader.grading.classview import concepts
from grader.grading.classview.load import load_class

KIT = paths.KIT_ROOT
# params.py counts a convolution without its bias and leaves receptive_field unwritten
# (definitions after the reference's replace them); models.py does not parse; naive_conv.py
# is not there.
WRONG_PARAMS = """

def conv2d_param_count(in_channels, out_channels, kernel_size, bias=True, groups=1):
    kh, kw = _pair(kernel_size)
    return kh * kw * (in_channels // groups) * out_channels


def receptive_field(kernel_sizes, strides=None):
    raise NotImplementedError("TODO")
"""


def _student(tmp_path: Path) -> Path:
    topic = tmp_path / "student" / "01_cnn"
    shutil.copytree(KIT / "solutions" / "01_cnn", topic,
                    ignore=shutil.ignore_patterns("test_*", "__pycache__"))
    with open(topic / "params.py", "a", encoding="utf-8") as fh:
        fh.write(WRONG_PARAMS)
    (topic / "models.py").write_text("def broken(:\n", encoding="utf-8")
    (topic / "naive_conv.py").unlink()
    return topic.parent


def test_a_real_run_names_each_failure_by_an_id_in_no_language(tmp_path):
    """The kit's own tests on a student's files, in Vietnamese: a missing file, a syntax
    error, a TODO left and a wrong count each fail with an id, and the id holds nothing of
    the message."""
    target, out = _student(tmp_path), tmp_path / "results.jsonl"
    tests = [f"exercises/01_cnn/{name}" for name in
             ("test_params.py", "test_models.py", "test_naive_conv.py")]
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", *tests, "-q", "-p", "no:cacheprovider",
         f"--target={target}", f"--cnnkit-results={out}", "-k",
         "lecture_layers or three_3x3 or models or naive_conv"],
        cwd=KIT, capture_output=True, text=True, env={**os.environ, "CNNKIT_LANG": "vi"},
        timeout=300)
    results, _ = read_results(out)
    failed = {r.nodeid.split("::")[-1].split("[")[0]: r for r in results.values()
              if not r.outcome.passed and r.outcome.value != "skipped"}
    assert failed, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert all(r.failure_id for r in failed.values()), \
        {k: r.message[:200] for k, r in failed.items() if not r.failure_id}
    by_file = {}
    for name, r in failed.items():
        by_file.setdefault(r.nodeid.split("::")[0].rsplit("/", 1)[-1], set()).add(r.failure_id)
    assert by_file["test_models.py"] == {failure_kinds.SYNTAX_ERROR}, by_file
    assert by_file["test_naive_conv.py"] <= {failure_kinds.MISSING_FILE, failure_kinds.SYNTAX_ERROR}
    assert failure_kinds.MISSING_FILE in by_file["test_naive_conv.py"], by_file
    assert failed["test_receptive_field_three_3x3_is_7"].failure_id == \
        failure_kinds.NOT_ATTEMPTED
    wrong = failed["test_conv2d_param_count_lecture_layers"]
    assert wrong.failure_id.startswith(
        "01_cnn/test_params::test_conv2d_param_count_lecture_layers::"), wrong.failure_id
    assert "bias" in wrong.text("vi") and wrong.failure_id.isascii()


def _record(name: str, message: str, failure_id: str = "", vi: str = "") -> dict:
    out = f"E   AssertionError: {message}"
    return {"name": name, "score": 0.0, "max_score": 1.0, "status": "failed", "output": out,
            "visibility": "visible",
            **({"output_i18n": {"en": out, "vi": f"E   AssertionError: {vi}"}} if vi else {}),
            **({"failure_id": failure_id} if failure_id else {})}


def _class(tmp_path: Path, tests_of: dict[str, list[dict]]) -> Path:
    root = tmp_path / "class"
    for sid, tests in tests_of.items():
        passed = {"name": "01_cnn/params: test_ok", "score": 1.0, "max_score": 1.0,
                  "status": "passed", "output": "", "visibility": "visible"}
        result = {"score": 1.0, "max_score": 1.0 + len(tests), "execution_time": 1.0,
                  "output": "", "stdout_visibility": "visible", "tests": [passed, *tests],
                  "cnnkit": {"student": sid, "name": sid, "fingerprint": sid,
                             "exercises": {"01_cnn/params": {"score": 1.0, "max_score": 3.0}},
                             "not_graded": {}}}
        folder = root / "students" / sid
        folder.mkdir(parents=True)
        (folder / "results.json").write_text(
            records.dumps(records.seal(result, records.grader_key(root))), encoding="utf-8")
    return root


SITE = "01_cnn/test_params::test_conv2d_param_count_lecture_layers::1a2b3c4d"


def test_groups_follow_the_id_not_the_wording_nor_the_language(tmp_path):
    """Two students fail one check with other numbers and another wording (an older kit's
    sentence): one group. Two checks that happen to read alike: two groups. A fixed id is
    labelled in the reader's language; a record without an id groups by its text."""
    name = "01_cnn/params: test_conv2d_param_count_lecture_layers"
    students, _ = load_class(_class(tmp_path, {
        "an": [_record(name, "conv2d_param_count(3, 16, 3) returned 432; expected 448",
                       SITE, vi="conv2d_param_count(3, 16, 3) trả về 432; cần 448")],
        "binh": [_record(name, "the count misses one bias per output channel (432 != 448)",
                         SITE, vi="thiếu một bias cho mỗi kênh ra (432 != 448)"),
                 _record("01_cnn/params: test_receptive_field_three_3x3_is_7",
                         "NotImplementedError: TODO", failure_kinds.NOT_ATTEMPTED)],
        "chi": [_record(name, "conv2d_param_count(3, 16, 3) returned 432; expected 448",
                        SITE.replace("1a2b3c4d", "99999999"))],
        "dung": [_record(name, "the old kit's words for it, 400 != 448")]}))
    for lang in ("en", "vi"):
        groups = {m.key: m for m in concepts.missed_by_exercise(students, lang)["01_cnn/params"]}
        assert groups["id:" + SITE].students == {"an", "binh"}, groups
        assert groups["id:" + SITE.replace("1a2b3c4d", "99999999")].students == {"chi"}
        assert groups[failure_kinds.NOT_ATTEMPTED].text(lang) == \
            {"en": "not attempted yet (the TODO is still there)",
             "vi": "chưa làm (vẫn còn TODO)"}[lang]
        old = [m for k, m in groups.items() if k.startswith("message:")]
        assert [m.students for m in old] == [{"dung"}], groups
    # a site id's label is its first student's message, in the reader's language
    for lang, word in (("en", "returned"), ("vi", "trả về")):
        label = {m.key: m for m in concepts.missed_by_exercise(students, lang)["01_cnn/params"]}
        assert word in label["id:" + SITE].text(lang), label["id:" + SITE].text(lang)


def test_every_fixed_id_is_labelled_in_both_languages():
    for kind in failure_kinds.FIXED:
        label = concepts.fixed_label(kind)
        assert label and all(label.get(lang) for lang in ("en", "vi")), kind
        assert label["en"] != label["vi"], kind


def test_the_hint_to_read_next_follows_the_failure_id_in_every_language():
    """dung (learning rate 1e-5): the held-out check fails, and topic.toml's ``hint_for``
    names the learning-rate hint for it, whatever words the message shares with the other
    hints and in either language. A record without an id falls back to those words."""
    from grader.grading import report

    words = ("after 40 SGD steps test_acc is 0.109: train_loss in metrics.csv, "
             "log_every_n_steps, progress bar")
    record = {"name": "02_training/train: test_trained_weights_classify_held_out_images",
              "status": "failed", "visibility": "visible", "output": words,
              "output_i18n": {"en": words, "vi": "sau 40 bước SGD test_acc là 0.109"},
              "failure_id": "02_training/test_train::"
                            "test_trained_weights_classify_held_out_images::0a1b2c3d"}
    for lang, label, concept in (("en", "Hint 5 to read next", "learning rate"),
                                 ("vi", "Gợi ý 5 nên đọc", "learning rate")):
        text = "\n".join(report.failures_markdown([record], lang))
        assert label in text and concept in text.split(label)[1], text
    unnamed = {k: v for k, v in record.items() if k != "failure_id"}
    assert "Hint 4 to read next" in "\n".join(report.failures_markdown([unnamed], "en"))
