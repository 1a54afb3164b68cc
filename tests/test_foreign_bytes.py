"""A submission's bytes in any encoding belong to that submission: file and folder names
that are not UTF-8, zips whose member names are cp437, exercise files in Latin-1 are
handled, shown escaped (``test_b\\xe0i.py``) and never crash the trusted side (feedback,
results.json, gradebook, class report, similarity, export). A crash of the grader itself
is blamed on the machine only with evidence; otherwise the record says that the grader
could not handle something in the submission, and keeps the topics graded to the end."""

from __future__ import annotations

import errno
import io
import json
import os
import shutil
import zipfile
from pathlib import Path

import pytest

from grader.core import manifest, messages, paths
from grader.core.limits import DEFAULTS
from grader.core.results import Outcome, TestResult
from grader.grading import canary, discover, names, readiness, records, report, score, term
from grader.grading.run import student_run
from grader.grading.run import run_folder
from grader.grading.run import test_list
from grader.grading.run import crash_blame
from grader.grading.classview import lms
from grader.grading.classview.load import load_class
from grader.grading.classview.class_report import write_report
from grader.testkit import source_rules

TOPIC = "01_cnn"
BAD_NAME = b"test_b\xe0i.py"  # Latin-1 "bài": not UTF-8
SHOWN = "test_b\\xe0i.py"  # how every report shows it


def _honest(folder: Path) -> Path:
    """The reference's exercise files of topic 01 in ``folder/01_cnn``."""
    topic = folder / TOPIC
    topic.mkdir(parents=True)
    for name in manifest.load_topic(TOPIC).files:
        shutil.copy(paths.solutions_dir() / TOPIC / name, topic / name)
    return topic


def _cp437_zip(path: Path) -> None:
    """A zip as old Windows tools write it: member names in cp437 bytes, no UTF-8 flag."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name in manifest.load_topic(TOPIC).files:
            zf.writestr(f"{TOPIC}/{name}", (paths.solutions_dir() / TOPIC / name).read_bytes())
        zf.writestr(f"{TOPIC}/test_bXi.py", "x = 1\n")
    path.write_bytes(buf.getvalue().replace(b"test_bXi.py", BAD_NAME))


@pytest.fixture
def foreign(tmp_path):
    """A class of two: a folder whose own name and one file name are not UTF-8, and a
    cp437 zip; discovered, their ignored-file notes made."""
    subs = tmp_path / "subs"
    topic = _honest(Path(os.fsdecode(bytes(subs) + b"/b\xe0o")))
    (Path(os.fsdecode(bytes(topic) + b"/" + BAD_NAME))).write_text("x = 1\n")
    _cp437_zip(subs / "zipped.zip")
    found = {s.student: s for s in discover.discover(subs, tmp_path / "work")}
    files = manifest.load_topic(TOPIC).files
    notes = {sid: [messages.note_text(n, "en")
                   for n in run_folder.ignored_files(s.root / TOPIC, files)]
             for sid, s in found.items()}
    return tmp_path, found, notes


def test_names_that_are_not_utf8_are_shown_escaped(foreign):
    _, found, notes = foreign
    assert sorted(found) == ["bo", "zipped"], found
    assert found["bo"].name == "b\\xe0o" and not found["bo"].problem
    assert found["zipped"].root is not None and not found["zipped"].problem
    assert any(f"ignored {TOPIC}/{SHOWN}:" in n for n in notes["bo"]), notes
    assert any(f"ignored {TOPIC}/test_b\u03b1i.py:" in n for n in notes["zipped"]), notes  # cp437
    assert names.printable(b"caf\xe9") == "caf\\xe9" and names.clean("a\ud800b") == "a\\ud800b"


def test_a_zip_that_flags_a_name_utf8_wrongly_costs_its_student_with_a_reason(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(f"{TOPIC}/test_b\u00e0i.py", "x = 1\n")  # flagged UTF-8: c3 a0
    (subs / "flagged.zip").write_bytes(buf.getvalue().replace(b"b\xc3\xa0i", b"b\xe0ai"))
    [sub] = discover.discover(subs, tmp_path / "work")
    told = messages.note_text(sub.problem, "en")
    assert sub.root is None and "byte 0xe0 of it is not" in told, told


def test_every_record_and_report_holds_the_escaped_names(foreign):
    tmp_path, found, notes = foreign
    out = tmp_path / "out"
    results = {}
    for sid, sub in found.items():
        results[sid] = report.results_json(sid, [], notes[sid], 0.0, "fp", name=sub.name)
        out.mkdir(exist_ok=True)
        report.write_student(out, sid, records.seal(results[sid], records.grader_key(out)), "en")
    feedback = (out / "students" / "bo" / "feedback.md").read_text(encoding="utf-8")
    assert "Feedback for b\\\\xe0o" in feedback and f"01_cnn/{SHOWN.replace(chr(92), 2 * chr(92))}" \
        in feedback, feedback
    assert "\\xe0" in json.loads((out / "students" / "bo" / "results.json").read_text())["output"]
    assert SHOWN in report.gradebook_csv(results, [manifest.load_topic(TOPIC)])
    # A record an older grader wrote with the raw bytes (a lone surrogate in JSON).
    old = dict(results["bo"], output=f"ignored {os.fsdecode(BAD_NAME)}")
    old["cnnkit"] = dict(old["cnnkit"], name=os.fsdecode(b"b\xe0o"))
    (out / "students" / "old").mkdir()
    (out / "students" / "old" / "results.json").write_text(
        json.dumps(records.seal(old, records.grader_key(out))))
    page = write_report(out, "en", subs=list(found.values()))  # similarity over both roots
    assert "b\\xe0o" in page.read_text(encoding="utf-8")
    students, _ = load_class(out)
    text, _ = lms.export(students, "csv", None)
    assert "b\\xe0o" in text and text.encode("utf-8")
    for st in students:
        report.feedback_markdown(st.sid, st.result, "vi").encode("utf-8")


def test_a_latin1_exercise_file_is_judged_as_python_reads_it(tmp_path):
    """Its ``# coding:`` line honoured: an accented name is no syntax error; a NUL byte is a
    reason, never a crash of the trusted test."""
    source = (paths.solutions_dir() / TOPIC / "naive_conv.py").read_bytes()
    latin = tmp_path / "naive_conv.py"
    latin.write_bytes(b"# -*- coding: latin-1 -*-\n# auteur: Andr\xe9\n" + source
                      + b"\n\xe9t\xe9 = 1\n")
    compile(latin.read_bytes(), str(latin), "exec")  # Python itself takes it
    assert source_rules.no_builtin_conv_problem(latin) is None
    nul = tmp_path / "nul.py"
    nul.write_bytes(source + b"\x00")
    assert "does not parse" in source_rules.no_builtin_conv_problem(nul)


def _check(passed: bool, calls: list):
    def check_topic(topic, ready, limits, use_cache=True):
        calls.append((topic.name, use_cache))
        return canary.TopicCheck(topic.name, passed, 100 if passed else 80, 100, 1.0)
    return check_topic


@pytest.mark.parametrize("exc, passes, machine", [
    (OSError(errno.ENOSPC, "No space left on device"), True, True),
    (UnicodeEncodeError("utf-8", "\udce0", 0, 1, "surrogates not allowed"), True, False),
    (ValueError("a grader bug"), False, True),
], ids=["full-disk", "submission", "reference-fails-now"])
def test_a_crash_blames_the_machine_only_with_evidence(monkeypatch, exc, passes, machine):
    calls: list = []
    monkeypatch.setattr(canary, "check_topic", _check(passes, calls))
    crash_blame._RECHECKED.clear()
    found = crash_blame.blame(exc, [manifest.load_topic(TOPIC)], readiness.DataPlan(),
                              DEFAULTS)
    assert found.machine is machine, found
    assert calls == ([] if isinstance(exc, OSError) else [(TOPIC, False)])  # uncached
    evidence = messages.languages(found.evidence)
    assert evidence["en"] != evidence["vi"]
    if not machine:
        assert "still gets full marks" in evidence["en"]
    monkeypatch.setattr(paths, "solutions_dir", lambda: Path("/nonexistent-cnnkit"))
    crash_blame._RECHECKED.clear()
    if not isinstance(exc, OSError):  # a student bundle: no reference, so no evidence
        bare = crash_blame.blame(exc, [manifest.load_topic(TOPIC)], readiness.DataPlan(),
                                 DEFAULTS)
        assert bare.machine is False and bare.checked is False
        assert "Nothing shows that the machine" in messages.render(
            crash_blame.reason("X", bare), "en")


def test_a_crash_record_keeps_the_topics_graded_and_names_the_submission(tmp_path,
                                                                        monkeypatch):
    monkeypatch.setattr(canary, "check_topic", _check(True, []))
    crash_blame._RECHECKED.clear()
    first, second = manifest.load_topic(TOPIC), manifest.load_topic("02_training")
    passed = {n: TestResult(n, Outcome.PASSED) for n in test_list.expected_tests(TOPIC)}
    sub = discover.Submission("bo", tmp_path, tmp_path, name="b\\xe0o")
    key, run = records.grader_key(tmp_path), term.new_run()
    done = report.results_json("bo", score.score_topic(first, passed), [], 0.0, "fp1",
                               name=sub.name)  # the topic this run graded before the crash
    term.store_topic(tmp_path, "bo", term.topic_record(done, TOPIC, run), key)
    exc = ValueError(f"cannot show {os.fsdecode(BAD_NAME)}")  # a raw byte in the error
    result = student_run.crashed_result(sub, [first, second], tmp_path, "fp", "en", key,
                                     readiness.DataPlan(), exc, run)
    exercises = result["cnnkit"]["exercises"]
    assert all(v["score"] == v["max_score"] > 0 for k, v in exercises.items()
               if k.startswith(TOPIC)), exercises
    assert all(v["score"] == 0 for k, v in exercises.items() if k.startswith("02_")), exercises
    crashed = term.load_topic(tmp_path, "bo", "02_training", key)
    assert crashed["cnnkit"]["fingerprint"] == "crashed:fp"  # a re-run grades it again
    for lang in ("en", "vi"):
        text = report.test_output(result, lang)
        assert f"ValueError: cannot show {SHOWN}" in text, text  # escaped, never raw
    assert "could not handle something in your submission" in result["output_i18n"]["en"]
    assert "grade it again" not in result["output"]
    feedback = (tmp_path / "students" / "bo" / "feedback.md").read_text(encoding="utf-8")
    kept = sum(v["max_score"] for k, v in exercises.items() if k.startswith(TOPIC))
    assert result["score"] == kept < result["max_score"], result["score"]
    assert "not the machine's fault" in feedback, feedback
