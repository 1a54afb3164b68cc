"""Roster matching and the gradebook files Moodle and Canvas import."""

from __future__ import annotations

import csv
import io
import json

import pytest

from grader.grading import records

from grader.grading.classview import lms, roster
from grader.grading.classview import roster_file as rosters
from grader.grading.classview.load import load_class
from grader.cli.main import main
from grader.core import manifest, paths
from grader.core.errors import BadInput, NotFound

# A Canvas gradebook export as Canvas's guides show it: Student, ID, SIS User ID, SIS Login
# ID, Section, then one column per assignment; the second row gives Points Possible.
CANVAS_EXAMPLE = (
    "Student,ID,SIS User ID,SIS Login ID,Section,Homework 1 (1234),Current Score\n"
    "    Points Possible,,,,,10,(read only)\n"
    '"Nguyen, An",101,SV001,an@school.edu,CNN 2026,8,80\n')

# A Moodle grade export ("plain text file"): identity columns, then "<item> (Real)" ones.
MOODLE_EXAMPLE = ("First name,Last name,ID number,Institution,Department,Email address,"
                  "Assignment: Homework 1 (Real),Last downloaded from this course\n"
                  "An,Nguyen,SV001,,,an@school.edu,8.00,1733300000\n")


def write_class(root, students: dict[str, tuple[str, dict]]):
    for sid, (name, exercises) in students.items():
        folder = root / "students" / sid
        folder.mkdir(parents=True)
        res = {"score": sum(s for s, _ in exercises.values()),
               "max_score": sum(t for _, t in exercises.values()),
               "output": "", "tests": [],
               "cnnkit": {"student": sid, "name": name,
                          "exercises": {k: {"score": s, "max_score": t}
                                        for k, (s, t) in exercises.items()},
                          "not_graded": {}}}
        (folder / "results.json").write_text(  # sealed, as the grader writes it
            records.dumps(records.seal(res, records.grader_key(root))), encoding="utf-8")
    return root


EXERCISES = {"01_cnn/params": (15.5, 40), "01_cnn/models": (25, 25)}


def course() -> dict[str, float]:
    """Every gradebook item of the kit, read from the topics' own topic.toml files."""
    items = {}
    for topic in paths.topics():
        info = manifest.load_topic(topic)
        items.update({f"{topic}/{e.name}": e.points for e in info.exercises})
        items.update({f"{topic}/training_{t.name}": t.points for t in info.graded_trainings})
    return items


@pytest.fixture
def graded(tmp_path):
    return write_class(tmp_path / "out", {
        "SV001": ("SV001", EXERCISES),  # the folder is the student id: exact
        "Tran_Anh": ("Trần Ánh", EXERCISES),  # the folder is the name with accents
        "tran_anh_2": ("tran anh 2", EXERCISES),  # no roster row: unmatched
        "HYPERLINK_x": ("=HYPERLINK(\"x\")", EXERCISES),
    })


@pytest.fixture
def roster_file(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text("Student ID,Name,Email\n"
                    "SV001,Nguyễn An,an@school.edu\n"
                    "SV002,Tran Anh,anh@school.edu\n"
                    "SV003,Lê Bình,binh@school.edu\n", encoding="utf-8")
    return path


def test_roster_matches_exactly_then_without_accents_and_never_guesses(graded, roster_file):
    students, _ = load_class(graded)
    m = roster.match({s.sid: s.name for s in students}, roster.read_roster(roster_file))
    assert m.matched["SV001"].student_id == "SV001" and m.how["SV001"] == "id"
    assert m.matched["Tran_Anh"].student_id == "SV002" and m.how["Tran_Anh"] == "normalised"
    assert "tran_anh_2" in m.unmatched  # close, but not the same: never guessed
    assert "HYPERLINK_x" in m.unmatched
    assert [a.student_id for a in m.absent] == ["SV003"]


def test_two_roster_rows_with_one_name_are_ambiguous(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("id,name,email\nA1,Trần Ánh,a@x\nA2,Trần Anh,b@x\n", encoding="utf-8")
    m = roster.match({"tran_anh": "tran anh"}, roster.read_roster(path))
    assert m.matched == {}
    assert [x.student_id for x in m.ambiguous["tran_anh"]] == ["A1", "A2"]


def test_moodle_file(graded, roster_file):
    students, _ = load_class(graded)
    text, lines = lms.export(students, "moodle", roster_file)
    rows = list(csv.reader(io.StringIO(text)))
    example = next(csv.reader(io.StringIO(MOODLE_EXAMPLE)))
    # the identity columns Moodle's own export uses, so its mapping offers them
    assert {"ID number", "Email address"} <= set(example) & set(rows[0])
    assert rows[0][3:] == [f"cnnkit {n}" for n in sorted(course())] + ["cnnkit total"]
    by_id = {r[0]: dict(zip(rows[0], r)) for r in rows[1:]}
    assert set(by_id) == {"SV001", "SV002"}
    sv002 = by_id["SV002"]
    assert sv002["Email address"] == "anh@school.edu" and sv002["cnnkit total"] == "40.5"
    assert sv002["cnnkit 01_cnn/models"] == "25" and sv002["cnnkit 01_cnn/params"] == "15.5"
    assert sv002["cnnkit 02_training/cnn"] == ""  # not graded: an empty cell, never zero
    assert any("tran anh 2" in line for line in lines)
    assert any("SV003" in line for line in lines)


def test_canvas_file_has_canvas_columns_and_points_possible(graded, roster_file):
    students, _ = load_class(graded)
    text, _ = lms.export(students, "canvas", roster_file)
    rows = list(csv.reader(io.StringIO(text)))
    example = list(csv.reader(io.StringIO(CANVAS_EXAMPLE)))
    assert rows[0][:5] == example[0][:5]
    assert rows[1][0].strip() == example[1][0].strip() == "Points Possible"
    items = course()
    assert rows[1][5:-1] == [lms._points(items[n]) for n in sorted(items)]
    assert float(rows[1][-1]) == sum(items.values())  # what the course is worth
    sis = {r[2]: r for r in rows[2:]}
    assert set(sis) == {"SV001", "SV002"} and sis["SV002"][0] == "Tran Anh"
    assert sis["SV002"][1] == ""  # Canvas's own user id is unknown here: left empty


def test_lms_formats_need_a_roster_plain_csv_does_not(graded):
    students, _ = load_class(graded)
    with pytest.raises(BadInput, match="--roster"):
        lms.export(students, "canvas", None)
    text, _ = lms.export(students, "csv", None)
    rows = list(csv.reader(io.StringIO(text)))
    formula = next(r for r in rows if r[0] == "HYPERLINK_x")
    assert formula[2].startswith("'=")  # a spreadsheet shows it, never runs it


def test_cli_export_lists_the_unmatched_and_fails(graded, roster_file, tmp_path, capsys):
    target = tmp_path / "moodle.csv"
    assert main(["export", str(graded), "--format", "moodle", "--roster", str(roster_file),
                 "--out", str(target)]) == 1
    assert target.read_text(encoding="utf-8").startswith("ID number,")
    err = capsys.readouterr().err
    assert "SV003" in err  # a roster row with no submission: listed, not an error
    assert "not in the file" in err and "tran_anh_2" in err and "HYPERLINK_x" in err


def test_cli_export_of_a_fully_matched_class_succeeds(tmp_path, roster_file):
    out = write_class(tmp_path / "out", {"SV001": ("SV001", EXERCISES),
                                         "Tran_Anh": ("Trần Ánh", EXERCISES)})
    assert main(["export", str(out), "--format", "canvas", "--roster", str(roster_file),
                 "--out", str(tmp_path / "canvas.csv")]) == 0


# --- the roster as schools and LMSs write it ------------------------------------------

def _roster(tmp_path, text: str, encoding: str = "utf-8", name: str = "roster.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize("text,encoding", [
    ("STT;MSSV;Họ và tên;Email\n1;SV001;Nguyễn An;an@school.edu\n", "utf-8-sig"),  # Excel, vi
    ("Mã sinh viên\tHọ tên\tEmail\nSV001\tNguyễn An\tan@school.edu\n", "utf-8"),
    ("sep=;\nStudent ID;Full name;E-mail\nSV001;Nguyễn An;an@school.edu\n", "utf-8"),
    ("ID number,First name,Last name,Email address\nSV001,Nguyễn,An,an@school.edu\n",
     "utf-8"),
    ("MSSV\tHọ đệm\tTên\tEmail\nSV001\tNguyễn\tAn\tan@school.edu\n", "utf-16"),
])
def test_roster_headers_separators_and_encodings(tmp_path, text, encoding):
    read = rosters.read(_roster(tmp_path, text, encoding))
    assert read.members == [rosters.Member("SV001", "Nguyễn An", "an@school.edu")]


def test_canvas_gradebook_export_as_roster_gives_canvas_ids(tmp_path):
    path = _roster(tmp_path, CANVAS_EXAMPLE + '"Student, Test",999,,,CNN 2026,,\n')
    read = rosters.read(path)
    assert read.members == [rosters.Member("SV001", "Nguyen, An", "", "101",
                                               "an@school.edu")]  # Points Possible skipped
    assert read.columns["participant"] == "ID" and read.columns["student id"] == "SIS User ID"


def test_moodle_grading_worksheet_as_roster_gives_participant_ids(tmp_path):
    path = _roster(tmp_path, "Identifier,Full name,Email address,Status\n"
                             "Participant 123456,Nguyễn Văn Bảo,bao@school.edu,Submitted\n")
    assert rosters.read(path).members == [
        rosters.Member("", "Nguyễn Văn Bảo", "bao@school.edu", "123456")]


def test_roster_errors_are_one_clear_line(tmp_path, graded, capsys):
    bad = _roster(tmp_path, "Lớp,Ghi chú\nCNN,x\n")
    with pytest.raises(BadInput) as err:
        rosters.read(bad)
    text = str(err.value)
    assert "'Lớp'" in text and "'Ghi chú'" in text  # what it found
    assert "'họ và tên'" in text and "'mã sinh viên'" in text and "'identifier'" in text
    assert "'mssv'" in text and "'sis user id'" in text  # what it accepts
    with pytest.raises(BadInput, match="UTF-8"):
        rosters.read(_roster(tmp_path, "MSSV,Name\nSV1,Lê\n", "cp1258", "ansi.csv"))
    with pytest.raises(NotFound):
        rosters.read(tmp_path / "nowhere.csv")
    code = main(["export", str(graded), "--format", "moodle", "--roster",
                 str(tmp_path / "nowhere.csv"), "--out", str(tmp_path / "m.csv")])
    err_text = capsys.readouterr().err
    assert code == 2 and "no roster file" in err_text and "Traceback" not in err_text
    assert len(err_text.strip().splitlines()) == 1


def test_moodle_needs_emails_or_says_how_to_map_ids(tmp_path, graded):
    students, _ = load_class(graded)
    no_email = _roster(tmp_path, "MSSV,Họ và tên\nSV001,Nguyễn An\n")
    text, lines = lms.export(students, "moodle", no_email)
    assert any("no email column" in ln and "useridnumber" in ln for ln in lines)
    assert any("email = none" in ln and "'MSSV'" in ln for ln in lines)  # columns it read
    only_participant = _roster(tmp_path, "Identifier,Name\nParticipant 1,Nguyễn An\n",
                               name="p.csv")
    with pytest.raises(BadInput, match="Email"):
        lms.export(students, "moodle", only_participant)


# --- the strongest claim wins: no folder hides another student -------------------------

@pytest.fixture
def victim_roster(tmp_path):
    return _roster(tmp_path, "Student ID,Name,Email\nS001,Nguyễn An,an@school.edu\n"
                             "S002,Lê Bình,binh@school.edu\n", name="victim.csv")


def test_a_look_alike_folder_cannot_hide_the_victim(tmp_path, victim_roster, capsys):
    out = write_class(tmp_path / "out", {
        "Nguyen_An-1a2b3c": ("Nguyễn An", EXERCISES),  # the victim: exact name
        "Nguyen_An-4d5e6f": ("Nguyen An", {"01_cnn/params": (40, 40)}),  # the look-alike
    })
    target = tmp_path / "moodle.csv"
    code = main(["export", str(out), "--format", "moodle", "--roster", str(victim_roster),
                 "--out", str(target)])
    rows = list(csv.DictReader(io.StringIO(target.read_text("utf-8"))))
    assert [(r["ID number"], r["cnnkit total"]) for r in rows] == [("S001", "40.5")]
    err = capsys.readouterr().err
    assert code == 1 and "'Nguyen An'" in err and "less closely" in err


def test_only_claims_of_the_same_strength_are_ambiguous(tmp_path, victim_roster):
    students, _ = load_class(write_class(tmp_path / "out", {
        "Nguyen_An": ("Nguyen An", EXERCISES), "nguyen_an-2": ("nguyen an", EXERCISES)}))
    m = roster.match({s.sid: s.name for s in students}, roster.read_roster(victim_roster))
    assert m.matched == {} and set(m.ambiguous) == {"Nguyen_An", "nguyen_an-2"}
    assert m.left_out == ["Nguyen_An", "nguyen_an-2"]
    assert [a.student_id for a in m.absent] == ["S002"]  # S001 is not "absent": it is disputed
    lines = roster.describe(m, {s.sid: s.name for s in students}, "en",
                            {"Nguyen_An": "Nguyen An.zip", "nguyen_an-2": "nguyen an/"})
    assert any("Nguyen An.zip" in ln for ln in lines) and any("nguyen an/" in ln
                                                               for ln in lines)


def test_the_participant_id_outranks_every_name(tmp_path):
    path = _roster(tmp_path, "Identifier,Full name,Email address\n"
                             "Participant 123456,Bảo Nguyễn Văn,bao@school.edu\n"
                             "Participant 123457,Nguyễn Văn Bảo,other@school.edu\n", name="w.csv")
    m = roster.match({"Nguyen_Van_Bao": "Nguyễn Văn Bảo"}, roster.read_roster(path),
                     {"Nguyen_Van_Bao": "123456"})
    assert m.matched["Nguyen_Van_Bao"].email == "bao@school.edu"
    assert m.how["Nguyen_Van_Bao"] == "participant"


def test_canvas_export_fills_canvas_ids_from_its_own_gradebook(tmp_path):
    out = write_class(tmp_path / "out", {"nguyenan": ("nguyenan", EXERCISES)})
    record = out / "students" / "nguyenan" / "results.json"
    data = json.loads(record.read_text())
    data["cnnkit"].update(lms="canvas", participant="101",
                          entry="nguyenan_101_5555_baitap.zip")
    record.write_text(records.dumps(records.seal(data, records.grader_key(out))))
    students, _ = load_class(out)
    text, _ = lms.export(students, "canvas", _roster(tmp_path, CANVAS_EXAMPLE))
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[2][:4] == ["Nguyen, An", "101", "SV001", "an@school.edu"]


# --- totals never read as 100 % -------------------------------------------------------

def test_an_offline_gradebook_keeps_every_course_column_and_its_total(tmp_path, roster_file):
    """Graded without the data of 02_training and 03_transfer (--skip-missing-data), or
    with --topics 01_cnn: the course is still worth all of its items."""
    items = course()
    first = {n: (p, p) for n, p in items.items() if n.startswith("01_cnn/")}
    out = write_class(tmp_path / "out", {"SV001": ("SV001", first)})
    students, _ = load_class(out)
    text, _ = lms.export(students, "canvas", roster_file)
    rows = list(csv.reader(io.StringIO(text)))
    header, possible, alice = rows[0], rows[1], rows[2]
    assert float(possible[-1]) == sum(items.values()) > sum(p for p, _ in first.values())
    assert float(alice[-1]) == sum(p for p, _ in first.values())
    for name in items:
        cell = alice[header.index(f"cnnkit {name}")]
        assert (cell != "") == name.startswith("01_cnn/"), name
