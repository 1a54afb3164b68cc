"""Grader pieces on their own: discovery, zips, scoring, resuming without regrading."""

import json
import os
import shutil
import subprocess
import sys
import threading
import zipfile

import pytest

from grader.grading import discover, names, records
from grader.grading.box import bubblewrap as box
from grader.grading.box import safefiles
from grader.grading.run.channel import ResultChannel
from grader.grading.run.scrub import REMOVED, scrub
from grader.core import manifest, scoring
from grader.core import messages, paths
from grader.core.results import TestResult
from grader.grading import score
from grader.grading.pipeline import grade_class


def en(note) -> str:
    """A note as an English reader sees it (notes are data: core.messages)."""
    return messages.note_text(note, "en")


def _zip(path, files):
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text)


def test_discover_folders_zips_and_wrappers(tmp_path):
    subs = tmp_path / "subs"
    (subs / "an" / "01_cnn").mkdir(parents=True)
    (subs / "an" / "01_cnn" / "params.py").write_text("x = 1\n")
    subs.mkdir(exist_ok=True)
    _zip(subs / "Bình Nguyễn.zip", {"homework/exercises/01_cnn/params.py": "x = 2\n"})
    _zip(subs / "evil.zip", {"../../escape.py": "x = 3\n"})
    (subs / "empty").mkdir()
    found = {s.student: s for s in discover.discover(subs, tmp_path / "work")}
    assert found["an"].root == subs / "an"
    assert found["Binh_Nguyen"].root.name == "exercises"
    assert found["evil"].root is None and "outside" in en(found["evil"].problem)
    assert found["empty"].root is None and "no topic folder" in en(found["empty"].problem)
    assert not (tmp_path / "escape.py").exists()


def test_points_split_exactly():
    for points, n in ((40, 9), (25, 6), (20, 3), (100, 7)):
        shares = scoring.split_points(points, n)
        assert len(shares) == n and sum(shares) == pytest.approx(points, abs=1e-9)


def test_scores_follow_the_manifest_and_missing_counts_failed():
    topic = manifest.load_topic("01_cnn")
    results = {
        "tests/01_cnn/test_params.py::test_a": TestResult("tests/01_cnn/test_params.py::test_a", "passed"),
        "tests/01_cnn/test_params.py::test_b": TestResult("tests/01_cnn/test_params.py::test_b", "missing", "no result"),
        "tests/01_cnn/test_params_hidden.py::test_c": TestResult("tests/01_cnn/test_params_hidden.py::test_c", "passed"),
    }
    scores = score.score_topic(topic, results)
    assert [s.status for s in scores] == ["passed", "failed", "passed"]
    assert sum(s.max_score for s in scores) == pytest.approx(40)
    assert sum(s.score for s in scores) == pytest.approx(40 * 2 / 3, abs=0.01)
    assert [s.hidden for s in scores] == [False, False, True]


def test_check_grade_and_the_notebook_share_one_scoring_rule():
    """A failed gate zeroes its exercise wherever the points are counted: the grader's
    score, the student's check, and the nbgrader notebook's test cells."""
    from grader.core import scoring
    from grader.student.status import score_exercise
    from grader.testkit import notebook

    def run(gate_outcome):
        nodes = {"exercises/01_cnn/test_naive_conv.py::test_matches": ("passed", False),
                 "exercises/01_cnn/test_naive_conv.py::test_rule": (gate_outcome, True),
                 "exercises/01_cnn/test_naive_conv.py::test_local": ("passed", False)}
        return {n: TestResult(n, o, "E   boom" if o == "failed" else "", gate=g)
                for n, (o, g) in nodes.items()}

    exercise = manifest.load_topic("01_cnn").exercise("naive_conv")
    kept, broken = run("passed"), run("failed")
    assert sum(s.earned for s in scoring.exercise_shares(20, list(kept.values()))) == 20
    assert sum(s.earned for s in scoring.exercise_shares(20, list(broken.values()))) == 0
    assert score_exercise(exercise, kept)["got"] == 20
    assert score_exercise(exercise, broken)["got"] == 0
    assert score_exercise(exercise, broken)["failed_test"] == "test_rule"
    gates = frozenset({"tests/01_cnn/test_naive_conv.py::test_rule"})
    graded = [s.score for s in score.score_topic(manifest.load_topic("01_cnn"), {
        k.replace("exercises/", "tests/"): TestResult(k.replace("exercises/", "tests/"),
                                                      v.outcome, v.message)
        for k, v in broken.items()}, reported=frozenset(), gates=gates)]
    assert graded == [0, 0, 0]
    passed = broken["exercises/01_cnn/test_naive_conv.py::test_matches"]
    assert "scores zero" in notebook._why_no_points("01_cnn", passed, broken)
    assert notebook._why_no_points("01_cnn", kept["exercises/01_cnn/test_naive_conv.py::"
                                                   "test_matches"], kept) == ""


def test_rerun_skips_graded_students_unless_forced(tmp_path):
    if box.available():
        pytest.skip(box.available())
    subs = tmp_path / "subs"
    shutil.copytree(paths.KIT_ROOT / "samples" / "submissions" / "chi", subs / "chi")
    out = tmp_path / "out"
    first = grade_class(subs, out, topics=["01_cnn"])
    stamp = (out / "students" / "chi" / "results.json").stat().st_mtime_ns
    again = grade_class(subs, out, topics=["01_cnn"])
    assert again["chi"] == first["chi"]
    assert (out / "students" / "chi" / "results.json").stat().st_mtime_ns == stamp
    grade_class(subs, out, topics=["01_cnn"], force=True)
    assert (out / "students" / "chi" / "results.json").stat().st_mtime_ns != stamp
    data = json.loads((out / "students" / "chi" / "results.json").read_text())
    assert data["score"] < data["max_score"] and "conftest.py" in data["output"]
    assert not list(out.rglob("*.tmp")), "a half-written file was left behind"


def test_fingerprint_covers_points_and_the_kit_version(tmp_path, monkeypatch):
    import grader
    from grader.grading.run import test_list

    before = test_list.kit_digest(["01_cnn"])
    monkeypatch.setattr(grader, "__version__", grader.__version__ + ".post1")
    assert test_list.kit_digest(["01_cnn"]) != before, "a new kit version must re-grade"
    monkeypatch.undo()
    copy = tmp_path / "solutions"
    shutil.copytree(paths.solutions_dir(), copy, ignore=shutil.ignore_patterns("__pycache__"))
    toml = copy / "01_cnn" / "topic.toml"
    toml.write_text(toml.read_text().replace("points = 40", "points = 45", 1))
    monkeypatch.setattr(paths, "solutions_dir", lambda: copy)
    assert test_list.kit_digest(["01_cnn"]) != before, "changed points must re-grade"


def test_a_teardown_failure_outranks_the_passed_call():
    passed = TestResult("t.py::a", "passed", duration=1.0)
    merged = passed.merged(TestResult("t.py::a", "failed", "left a figure open"))
    assert merged.outcome == "failed" and "figure open" in merged.message
    assert TestResult("t.py::a", "failed", "x").merged(passed).outcome == "failed"


def test_ids_transliterate_and_stay_unique():
    ids = names.unique_ids(["Trần Ánh", "Trần Ảnh", "Đặng Bình", "an", "An.zip"],
                           key=lambda n: discover.student_id(discover.Path(n)))
    assert ids[0].startswith("Tran_Anh-") and ids[1].startswith("Tran_Anh-") and ids[0] != ids[1]
    assert ids[2] == "Dang_Binh"
    assert ids[3] != ids[4] and ids[3].startswith("an-") and ids[4].startswith("An-")


def test_names_are_escaped_for_markdown_and_csv():
    shown = names.markdown("x\n\n**Score: 100 / 100** [link](http://e) 01_cnn/naive_conv.py\x1b[2J")
    assert "\n" not in shown and "**" not in shown and "\x1b" not in shown
    assert "01_cnn/naive_conv.py" in shown
    assert names.csv_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    fence, body, close = names.code_block("```\nend")
    assert fence == close == "````" and body == "```\nend"


def test_links_and_fifos_in_a_submission_are_never_followed(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "01_cnn").symlink_to(tmp_path, target_is_directory=True)
    os.mkfifo(tmp_path / "fifo.py")
    assert safefiles.links_in(tmp_path / "sub") == ["01_cnn"]
    assert not safefiles.is_plain_dir(tmp_path / "sub" / "01_cnn")
    with pytest.raises(safefiles.UnsafeFile):
        safefiles.read_bytes(tmp_path / "sub" / "01_cnn" / "fifo.py")  # would block if opened
    with pytest.raises(safefiles.UnsafeFile):
        safefiles.read_bytes(tmp_path / "fifo.py")


def test_results_json_is_trusted_only_with_the_graders_mac(tmp_path):
    key = records.grader_key(tmp_path)
    assert records.grader_key(tmp_path) == key
    assert oct((tmp_path / records.KEY_NAME).stat().st_mode & 0o777) == "0o600"
    sealed = records.seal({"score": 3, "max_score": 10, "cnnkit": {"student": "a"}}, key)
    path = tmp_path / "results.json"
    path.write_text(json.dumps(sealed))
    assert records.load_trusted(path, key) == sealed
    path.write_text(json.dumps({**sealed, "score": 10}))
    assert records.load_trusted(path, key) is None
    assert records.load_trusted(path, b"another key" * 4) is None
    path.unlink()
    os.mkfifo(path)  # a FIFO in place of results.json must not block the grader
    done = []
    t = threading.Thread(target=lambda: done.append(records.load_trusted(path, key)), daemon=True)
    t.start()
    t.join(5)
    assert done == [None]


def test_kit_source_lines_are_scrubbed_from_messages():
    hidden = next((paths.hidden_tests_dir() / "01_cnn").glob("test_*.py")).read_text()
    line = max(hidden.splitlines(), key=len).strip()
    text = scrub(f"E   AssertionError: wrong\nE   {line}\nE   expected 3")
    assert line not in text and REMOVED in text and "expected 3" in text


def test_result_channel_is_capped_and_tracks_the_running_test():
    channel = ResultChannel(cap_bytes=300)
    w = os.dup(channel.write_fd)
    channel.start()
    os.write(w, b'{"event": "start", "nodeid": "t::a"}\n')
    deadline = __import__("time").monotonic() + 5
    while channel.current() is None and __import__("time").monotonic() < deadline:
        pass
    assert channel.current()[0] == "t::a"
    os.write(w, b'{"event": "result", "nodeid": "t::a", "outcome": "passed"}\n'
                b'{"event": "end", "nodeid": "t::a"}\n' + b"x" * 1000)
    os.close(w)
    channel.finish()
    assert channel.results["t::a"].outcome == "passed" and channel.current() is None
    assert channel.overflow


def test_assertion_only_messages_show_no_test_source(tmp_path):
    test = tmp_path / "test_secret.py"
    test.write_text("def test_x():\n    expected_secret_value = 41 + 1\n"
                    "    assert expected_secret_value == 3, 'the answer differs'\n")
    results = tmp_path / "r.jsonl"
    subprocess.run([sys.executable, "-m", "pytest", str(test), "-p", "grader.testkit.plugin",
                    "-p", "no:cacheprovider", "-q", f"--cnnkit-results={results}",
                    "--cnnkit-assertions-only", "--rootdir", str(tmp_path)],
                   cwd=tmp_path, capture_output=True)
    [rec] = [json.loads(x) for x in results.read_text().splitlines() if '"result"' in x]
    assert "the answer differs" in rec["message"]
    assert "expected_secret_value = 41 + 1" not in rec["message"]


def test_feedback_is_one_entry_per_exercise_with_the_telling_message_and_its_hint():
    from grader.grading import report

    def test(name, output, hidden=False):
        return {"name": name, "score": 0, "max_score": 1, "status": "failed", "output": output,
                "visibility": "after_published" if hidden else "visible"}

    missing = "E   the exercise file 01_cnn/naive_conv.py does not exist"
    result = {"score": 0, "max_score": 100, "output": "", "tests": [
        test("01_cnn/params: test_a", "E   AssertionError: 3 != 4"),
        test("01_cnn/params: test_b", "E   f(1)\nE     returned: 2\nE     expected: 3\n"
                                      "E     concept:  padding adds to both sides"),
        test("01_cnn/params: test_c", "E   hidden detail", hidden=True),
        test("01_cnn/naive_conv: test_d", missing),
        test("01_cnn/naive_conv: test_e", missing),
    ], "cnnkit": {"student": "s", "exercises": {}, "not_graded": {}}}
    text = report.feedback_markdown("s", result, "en")
    assert text.count("### 01_cnn/params") == 1 and text.count("### 01_cnn/naive_conv") == 1
    assert "padding adds to both sides" in text and "3 != 4" not in text
    assert text.count("does not exist") == 1, "the same cause is shown once"
    assert "1 hidden test(s) failed too" in text and "hidden detail" not in text
    params_hint = text.split("### 01_cnn/params")[1].split("###")[0]
    assert "to read next: Output size:" in params_hint, "the hint about padding"
    assert "`./kit hint 01_cnn params`" in params_hint


def test_a_topics_test_list_is_collected_once_then_read_from_the_cache(tmp_path, monkeypatch):
    from grader.grading.run import test_list

    monkeypatch.setenv("CNNKIT_CACHE", str(tmp_path))
    test_list._kit_tests.cache_clear()
    collected = test_list._kit_tests("01_cnn")
    assert list((tmp_path / "tests").glob("01_cnn-*.json"))
    test_list._kit_tests.cache_clear()

    def no_second_collection(topic):
        raise AssertionError("collected again although the cache holds the list")

    monkeypatch.setattr(test_list, "_collect_kit_tests", no_second_collection)
    assert test_list._kit_tests("01_cnn") == collected
    test_list._kit_tests.cache_clear()
    (next((tmp_path / "tests").glob("01_cnn-*.json"))).write_text("{not json")
    monkeypatch.setattr(test_list, "_collect_kit_tests", lambda topic: {"t": frozenset()})
    assert test_list._kit_tests("01_cnn") == {"t": frozenset()}  # a broken cache: collected
    test_list._kit_tests.cache_clear()


def test_a_training_probe_leaves_nothing_in_the_temp_folder(tmp_path, monkeypatch):
    """A student's own pytest runs the training probes in-process: the folder each run
    writes into is read, then removed, whether the run returned or raised."""
    import types

    from grader.testkit import probes

    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr("tempfile.tempdir", None)
    seen = []

    def train(out_dir, fail=False):
        seen.append(out_dir)
        (out_dir / "metrics.csv").write_text("epoch,val_acc\n0,0.5\n")
        (out_dir / "curves.png").write_bytes(b"\x89PNG\r\n\x1a\n")
        (out_dir / "result.json").write_text('{"test_acc": 0.5}')
        if fail:
            raise RuntimeError("the student's run failed")
        return {"metrics_csv": str(out_dir / "metrics.csv"),
                "curves_png": str(out_dir / "curves.png")}

    module = types.SimpleNamespace(train=train)
    facts = probes.training_run(module, "train", {})
    assert facts["columns"] == ["epoch", "val_acc"] and facts["saved"] == {"test_acc": 0.5}
    with pytest.raises(RuntimeError):
        probes.training_run(module, "train", {"fail": True})
    assert len(seen) == 2 and not any(p.exists() for p in seen)
    assert not list(tmp_path.iterdir())
