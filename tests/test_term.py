"""A term of grading: grading one topic keeps every other topic's record, a re-grade keeps
the earlier record in the history, and the gradebook says which run graded each topic.

The record-keeping is checked on its own first (quick); then the samples are graded
topic by topic into one folder, in the box (slow: the all tier)."""

from __future__ import annotations

import csv
import io
import json
import shutil

import pytest

from grader.core import manifest, paths
from grader.grading import discover, readiness, records, report, term
from grader.grading import pipeline
from grader.grading.box import bubblewrap as box
from grader.grading import score

KEY = b"k" * 32
RUN1 = {"id": "20260901-080000-aaaa", "date": "2026-09-01T08:00:00Z"}
RUN2 = {"id": "20261001-080000-bbbb", "date": "2026-10-01T08:00:00Z"}


def _record(topic: str, exercise: str, got: float, fp: str = "fp", run=RUN1) -> dict:
    scores = [score.TestScore(topic, exercise, "test_a", "passed" if got else "failed", got, 10.0,
                        "" if got else "wrong", False)]
    return term.topic_record(report.results_json("an", scores, [], 1.0, fp, name="An"),
                             topic, run)


def test_a_topic_record_replaces_only_its_topic_and_the_old_one_is_kept(tmp_path):
    term.store_topic(tmp_path, "an", _record("01_cnn", "params", 10.0), KEY)
    term.store_topic(tmp_path, "an", _record("02_training", "cnn", 0.0), KEY)
    first = term.refresh(tmp_path, "an", KEY, "en")
    assert (first["score"], first["max_score"]) == (10.0, 20.0)
    assert set(first["cnnkit"]["topics"]) == {"01_cnn", "02_training"}
    assert first["cnnkit"]["topics"]["01_cnn"]["run"] == RUN1["id"]
    results = tmp_path / "students" / "an" / "results.json"
    assert records.load_trusted(results, KEY) == first
    stamp = results.stat().st_mtime_ns
    assert term.refresh(tmp_path, "an", KEY, "en") == first
    assert results.stat().st_mtime_ns == stamp, "an unchanged results.json was rewritten"

    term.store_topic(tmp_path, "an", _record("02_training", "cnn", 10.0, "fp2", RUN2), KEY)
    second = term.refresh(tmp_path, "an", KEY, "en")
    assert (second["score"], second["max_score"]) == (20.0, 20.0)
    assert second["cnnkit"]["topics"]["01_cnn"]["run"] == RUN1["id"]  # untouched
    assert second["cnnkit"]["topics"]["02_training"]["run"] == RUN2["id"]
    [earlier] = term.history(tmp_path, "an", "02_training", KEY)  # sealed, as it was
    assert earlier["score"] == 0.0 and earlier["cnnkit"]["run"] == RUN1
    assert term.history(tmp_path, "an", "01_cnn", KEY) == []


def test_what_a_run_does_with_a_saved_record():
    saved = _record("01_cnn", "params", 10.0, "fp")
    assert term.state_of(None, "fp", set()) == term.ADDED
    assert term.state_of(saved, "fp", set()) == term.KEPT
    assert term.state_of(saved, "other", set()) == term.STALE  # kept unless --regrade
    crashed = _record("01_cnn", "params", 0.0, "crashed:fp")
    assert term.state_of(crashed, "fp", set()) == term.REPLACED  # it held no grade
    waiting = _record("02_training", "cnn", 10.0, "fp")
    waiting["cnnkit"]["not_graded"] = {"02_training/datamodule": ["mnist"]}
    assert term.state_of(waiting, "fp2", {"02_training/datamodule"}) == term.STALE
    assert term.state_of(waiting, "fp2", set()) == term.REPLACED  # the data is here now


def test_the_plan_counts_per_topic_and_replaces_only_when_asked(tmp_path):
    sub_root = tmp_path / "subs" / "an"
    shutil.copytree(paths.solutions_dir() / "01_cnn", sub_root / "01_cnn",
                    ignore=shutil.ignore_patterns("test_*", "__pycache__"))
    sub = discover.Submission("an", sub_root, sub_root, name="An")
    infos = [manifest.load_topic("01_cnn"), manifest.load_topic("02_training")]
    ready = readiness.DataPlan()
    out = tmp_path / "out"
    fp = pipeline.topic_fingerprint(sub, infos[0], ready, None)
    term.store_topic(out, "an", _record("01_cnn", "params", 10.0, fp), KEY)

    def tally(**flags):
        plan = pipeline.ClassPlan(out, infos, [sub], {}, [], ready, KEY)
        pipeline.plan_topics(plan, flags.get("force", False), flags.get("regrade", False))
        return ({t: [k for k, v in s.items() if v] for t, s in plan.tally.items()},
                plan.todo)

    counted, todo = tally()
    assert counted == {"01_cnn": ["kept"], "02_training": ["added"]}
    assert [list(fps) for _, fps in todo] == [["02_training"]]  # 01_cnn is not graded again
    (sub_root / "01_cnn" / "params.py").write_text("# changed\n")
    counted, todo = tally()
    assert counted["01_cnn"] == ["stale"] and list(todo[0][1]) == ["02_training"]
    counted, todo = tally(regrade=True)
    assert counted["01_cnn"] == ["replaced"] and list(todo[0][1]) == ["01_cnn", "02_training"]


def test_a_gradebook_leaves_an_ungraded_topic_empty_and_names_each_run(tmp_path):
    term.store_topic(tmp_path, "an", _record("01_cnn", "params", 10.0), KEY)
    term.store_topic(tmp_path, "bo", _record("01_cnn", "params", 10.0), KEY)
    term.store_topic(tmp_path, "bo", _record("02_training", "cnn", 10.0, run=RUN2), KEY)
    results = {s: term.refresh(tmp_path, s, KEY, "en") for s in ("an", "bo")}
    rows = list(csv.DictReader(io.StringIO(report.gradebook_csv(
        results, [manifest.load_topic("01_cnn"), manifest.load_topic("02_training")]))))
    an, bo = rows
    assert an["01_cnn/params"] == "10.0" and an["02_training/cnn"] == ""  # no record: not 0
    assert an["01_cnn run"].startswith(RUN1["id"]) and an["02_training run"] == ""
    assert bo["02_training/cnn"] == "10.0" and bo["02_training run"].startswith(RUN2["id"])


def test_a_results_file_from_before_topic_records_is_split_not_lost(tmp_path):
    scores = [score.TestScore("01_cnn", "params", "t", "passed", 10.0, 10.0, "", False),
              score.TestScore("02_training", "cnn", "t", "failed", 0.0, 10.0, "x", False)]
    old = records.seal(report.results_json("an", scores, [], 2.0, "oldfp", name="An"), KEY)
    report.write_student(tmp_path, "an", old, "en")
    assert term.migrate_legacy(tmp_path, "an", KEY)
    assert term.topics_of(tmp_path, "an") == ["01_cnn", "02_training"]
    now = term.refresh(tmp_path, "an", KEY, "en")
    assert (now["score"], now["max_score"]) == (old["score"], old["max_score"])
    assert now["cnnkit"]["topics"]["01_cnn"]["run"] == term.LEGACY_RUN
    kept = tmp_path / "students" / "an" / "history" / "legacy-results.json"
    assert records.load_trusted(kept, KEY) == old
    saved = term.load_topic(tmp_path, "an", "01_cnn", KEY)
    assert term.state_of(saved, "newfp", set()) == term.STALE  # kept until --regrade


@pytest.mark.slow
def test_grading_topic_by_topic_keeps_every_topic(tmp_path, capsys):
    if box.available():
        pytest.skip(box.available())
    samples = paths.KIT_ROOT / "samples" / "submissions"
    out = tmp_path / "grades"
    first = pipeline.grade_class(samples, out, topics=["01_cnn"], train="off")
    assert {t: {k: len(v) for k, v in s.items()} for t, s in first.tally.items()} == \
        {"01_cnn": {"kept": 0, "stale": 0, "added": 4, "replaced": 0}}
    second = pipeline.grade_class(samples, out, topics=["02_training"], train="off")
    assert second.tally["02_training"]["added"] == sorted(second)
    assert "02_training: 0 already graded, 4 to grade" in capsys.readouterr().err
    rows = list(csv.DictReader(io.StringIO((out / "gradebook.csv").read_text())))
    assert [r["student"] for r in rows] == ["alice", "bao", "chi", "dung"]
    for row in rows:
        saved = json.loads((out / "students" / row["student"] / "results.json").read_text())
        assert set(saved["cnnkit"]["topics"]) == {"01_cnn", "02_training"}, row["student"]
        assert {k.split("/")[0] for k in saved["cnnkit"]["exercises"]} == \
            {"01_cnn", "02_training"}
        assert row["01_cnn/params"] != "" and row["02_training/cnn"] != ""
        assert row["01_cnn run"] and row["02_training run"] and \
            row["01_cnn run"] != row["02_training run"]
    assert second["alice"]["cnnkit"]["topics"]["01_cnn"] == \
        first["alice"]["cnnkit"]["topics"]["01_cnn"]

    # the same topic again: kept; from a folder with alice alone, forced: replaced, the
    # earlier record in her history, and the other students stay in the gradebook
    again = pipeline.grade_class(samples, out, topics=["01_cnn"], train="off")
    assert len(again.tally["01_cnn"]["kept"]) == 4
    assert "01_cnn: 4 already graded, 0 to grade" in capsys.readouterr().err
    only = tmp_path / "late"
    only.mkdir()
    shutil.copy(samples / "alice.zip", only / "alice.zip")
    third = pipeline.grade_class(only, out, topics=["01_cnn"], train="off", force=True)
    assert third.tally["01_cnn"]["replaced"] == ["alice"] and len(third) == 4
    key = records.grader_key(out)
    [earlier] = term.history(out, "alice", "01_cnn", key)
    assert earlier["cnnkit"]["run"]["id"] == first["alice"]["cnnkit"]["topics"]["01_cnn"]["run"]
    assert third["alice"]["cnnkit"]["topics"]["01_cnn"]["run"] != earlier["cnnkit"]["run"]["id"]
    assert set(third["alice"]["cnnkit"]["topics"]) == {"01_cnn", "02_training"}
    assert len((out / "gradebook.csv").read_text().splitlines()) == 5


# --- paths and arguments as a shell user expects ------------------------------------

def test_a_missing_submissions_folder_is_named_before_any_slow_step(tmp_path, monkeypatch):
    from grader.core.errors import NotFound
    from grader.grading import canary

    def slow(*args, **kwargs):
        raise AssertionError("the machine check ran before the arguments were checked")
    monkeypatch.setattr(canary, "check", slow)
    monkeypatch.setattr(box, "require", slow)
    with pytest.raises(NotFound, match="no submissions folder at .*nowhere"):
        pipeline.plan_class(tmp_path / "nowhere", tmp_path / "out", topics=["01_cnn"])


def test_a_topic_is_known_by_its_folder_and_a_typo_gets_a_suggestion():
    from grader.core.errors import UnknownName

    for given in ("01_cnn", "01_cnn/", "exercises/01_cnn", "./exercises/01_cnn/", "1", "cnn"):
        assert paths.resolve_topic(given) == "01_cnn", given
    with pytest.raises(UnknownName, match="did you mean 02_training"):
        paths.resolve_topic("02_trainig")
    with pytest.raises(UnknownName, match="Did you mean params"):
        manifest.load_topic("01_cnn").exercise("param")


def test_relative_paths_are_read_from_where_kit_was_run(tmp_path):
    import os
    import subprocess
    import sys
    import zipfile

    work = tmp_path / "mine"
    shutil.copytree(paths.exercises_dir() / "01_cnn", work / "01_cnn")
    (tmp_path / "handin").mkdir()
    env = {**os.environ, "CNNKIT_CWD": str(tmp_path), "CNNKIT_LANG": "en",
           "PYTHONPATH": str(paths.KIT_ROOT)}
    proc = subprocess.run([sys.executable, "-m", "grader", "submit", "--name", "An", "--out",
                           "handin", "--target", "mine", "--no-check"], cwd=paths.KIT_ROOT,
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with zipfile.ZipFile(tmp_path / "handin" / "An.zip") as zf:
        assert "01_cnn/params.py" in zf.namelist()
    proc = subprocess.run([sys.executable, "-m", "grader", "grade", "subs", "--out", "out"],
                          cwd=paths.KIT_ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2 and f"no submissions folder at {tmp_path / 'subs'}" in \
        proc.stderr, proc.stderr
    assert not (paths.KIT_ROOT / "out").exists()
