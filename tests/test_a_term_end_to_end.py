"""A term played from end to end, as a course runs it: the bundle released; three
students solve some exercises and hand in with ``./kit submit``; their zips laid out as
Moodle's "Download all submissions" and graded for 01_cnn; a week later the same folder
graded for 02_training; a Vietnamese-headed, semicolon-separated roster exported to
Moodle and Canvas. Every student keeps both topics, and nothing is dropped in silence.

Slow: two grading runs of three students (the boxes, the machine check) and three bundles.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from support.bundle import CLI, in_bundle

from grader.cli.main import main
from grader.core import manifest, paths
from grader.export import release
from grader.grading.box import bubblewrap as box

pytestmark = pytest.mark.slow

# (name, student id, participant id in Moodle, the exercises each solves)
STUDENTS = [
    ("Nguyễn Văn An", "SV001", "501", {"01_cnn": None, "02_training": None}),
    ("Trần Thị Bình", "SV002", "502", {"01_cnn": ["params.py", "naive_conv.py"],
                                       "02_training": ["cnn.py"]}),
    ("Lê Chi", "SV003", "503", {"01_cnn": ["params.py"]}),
]
TOPICS = ("01_cnn", "02_training")


def _solve(bundle: Path, solved: dict) -> None:
    for topic, files in solved.items():
        for name in files or manifest.load_topic(topic).files:
            shutil.copy2(paths.solutions_dir() / topic / name, bundle / "exercises" / topic / name)


def _hand_in(tmp_path: Path) -> Path:
    """Each student's own bundle, solved in part, handed in with ``submit``; the zips laid
    out as Moodle names them: ``Full name_participant_assignsubmission_file_/x.zip``."""
    released = release.build(tmp_path / "released")
    download = tmp_path / "moodle-download"
    for name, _, participant, solved in STUDENTS:
        mine = tmp_path / f"bundle-{participant}"
        shutil.copytree(released, mine)
        _solve(mine, solved)
        out = tmp_path / f"handin-{participant}"
        out.mkdir()
        proc = in_bundle(mine, "-c", CLI, "submit", "--name", name, "--out", str(out),
                         "--no-check", timeout=300)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        [packed] = out.glob("*.zip")
        folder = download / f"{name}_{participant}_assignsubmission_file_"
        folder.mkdir(parents=True)
        shutil.copy2(packed, folder / packed.name)
    return download


def _roster(tmp_path: Path) -> Path:
    """What a Vietnamese school's spreadsheet exports: semicolons, a BOM, Vietnamese heads."""
    rows = ["Mã sinh viên;Họ và tên;Email"]
    rows += [f"{sid};{name};{sid.lower()}@school.edu.vn" for name, sid, _, _ in STUDENTS]
    path = tmp_path / "danh-sach.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8-sig")
    return path


def _records(out: Path) -> dict[str, dict]:
    found = {}
    for path in sorted((out / "students").glob("*/results.json")):
        found[path.parent.name] = json.loads(path.read_text(encoding="utf-8"))
    return found


def test_a_term_from_release_to_the_lms_loses_nothing(tmp_path, capsys):
    if box.available():
        pytest.skip(box.available())
    download = _hand_in(tmp_path)
    out = tmp_path / "grades"
    for topic in TOPICS:  # week 3, then week 6: the same folder each time
        assert main(["grade", str(download), "--out", str(out), "--topics", topic,
                     "--train", "off"]) == 0
    records = _records(out)
    assert len(records) == len(STUDENTS), sorted(records)
    for sid, record in records.items():
        kit = record["cnnkit"]
        assert set(kit["topics"]) == set(TOPICS), f"{sid} lost a topic: {kit['topics']}"
        assert kit.get("lms") == "moodle" and kit.get("participant") in {"501", "502", "503"}
    by_participant = {r["cnnkit"]["participant"]: r for r in records.values()}
    an, binh, chi = (by_participant[p] for p in ("501", "502", "503"))
    assert an["score"] == an["max_score"] > 0, "the student who solved everything"
    assert 0 < chi["score"] < binh["score"] < an["score"]
    gradebook = list(csv.DictReader(io.StringIO(
        (out / "gradebook.csv").read_text(encoding="utf-8"))))
    assert len(gradebook) == len(STUDENTS)
    assert all(row["01_cnn run"] and row["02_training run"] for row in gradebook), gradebook
    capsys.readouterr()
    roster = _roster(tmp_path)
    for fmt in ("moodle", "canvas"):
        target = tmp_path / f"{fmt}.csv"
        code = main(["export", str(out), "--format", fmt, "--roster", str(roster),
                     "--out", str(target)])
        said = capsys.readouterr()
        assert code == 0, f"{fmt}: {said.err}"
        text = target.read_text(encoding="utf-8")
        for name, sid, _, _ in STUDENTS:
            assert sid in text or f"{sid.lower()}@school.edu.vn" in text, (fmt, sid, text)
        assert "left out" not in said.err and "ambiguous" not in said.err, said.err
