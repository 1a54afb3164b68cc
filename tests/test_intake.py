"""What the LMS hands the instructor goes in: every entry of a submissions folder is graded
or named with its reason; archives are read safely; Moodle's and Canvas's download layouts
are read as they are, their participant ids kept for the export.

The layouts are built here from the documented names (see grader/grading/lms_names.py):
Moodle's "Download all submissions", folders and flat, and Canvas's "Download
Submissions", on time and LATE."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import tarfile
import time
import zipfile

import pytest

from grader.cli.main import main
from grader.core import messages, paths
from grader.core.errors import BadInput
from grader.grading import discover
from grader.grading.box import bubblewrap as box
from grader.grading.intake import survey as intake
from grader.grading.intake import archives
from grader.grading.intake import lms_names

WORK = "01_cnn/params.py"


def en(note) -> str:
    """A note as an English reader sees it (notes are data: core.messages)."""
    return messages.note_text(note, "en")


def _zip(path, files: dict[str, str | bytes]):
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return path


def _zip_bytes(files: dict[str, str | bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _tar(path, members: list[tarfile.TarInfo], data: dict[str, bytes] | None = None,
         mode: str = "w:gz"):
    with tarfile.open(path, mode, format=tarfile.GNU_FORMAT) as tf:
        for info in members:
            body = (data or {}).get(info.name, b"")
            info.size = len(body) if info.isfile() else 0
            tf.addfile(info, io.BytesIO(body) if info.isfile() else None)
    return path


def _file(name: str) -> tarfile.TarInfo:
    return tarfile.TarInfo(name)


def _age(path, seconds: float) -> None:
    stamp = time.time() - seconds
    os.utime(path, (stamp, stamp), follow_symlinks=False)


def _survey(subs, tmp_path):
    found = discover.survey(subs, tmp_path / "work")
    return {s.student: s for s in found.subs}, {r.entry: r for r in found.rows}


# --- 1. every entry appears; the common archives are read, the others named ---------

def test_every_entry_is_graded_or_named_with_its_reason(tmp_path):
    subs = tmp_path / "subs"
    (subs / "an" / "01_cnn").mkdir(parents=True)
    _zip(subs / "binh.zip", {f"exercises/{WORK}": "x = 1\n"})
    _tar(subs / "chi.tar.gz", [_file(f"hw/{WORK}")], {f"hw/{WORK}": b"x = 1\n"})
    _tar(subs / "dung.tgz", [_file(WORK)], {WORK: b"x = 1\n"})
    _tar(subs / "em.tar", [_file(WORK)], {WORK: b"x = 1\n"}, mode="w")
    _zip(subs / "hoa.zip", {"wrapper/hoa-inner.zip": _zip_bytes({WORK: "x = 1\n"})})
    (subs / "gina.rar").write_bytes(b"Rar!\x1a\x07\x00")
    (subs / "khanh.7z").write_bytes(b"7z\xbc\xaf\x27\x1c")
    (subs / "notes.txt").write_text("remember to grade\n")
    os.symlink(paths.KIT_ROOT / "solutions", subs / "linked")
    found, rows = _survey(subs, tmp_path)
    assert set(rows) == {"an/", "binh.zip", "chi.tar.gz", "dung.tgz", "em.tar", "hoa.zip",
                         "gina.rar", "khanh.7z", "notes.txt", "linked"}
    for sid in ("an", "binh", "chi", "dung", "em", "hoa"):
        assert found[sid].root is not None and (found[sid].root / "01_cnn").is_dir(), sid
        assert rows[found[sid].record["entry"]].status == "graded"
    assert found["gina"].root is None and ".rar is not supported" in en(found["gina"].problem)
    assert "ask the student for a .zip" in en(found["gina"].problem)
    assert ".7z is not supported" in en(found["khanh"].problem)
    assert rows["gina.rar"].status == rows["khanh.7z"].status == "graded-zero"
    assert rows["notes.txt"].status == "skipped" and not rows["notes.txt"].student
    assert found["linked"].root is None and "symbolic links" in en(found["linked"].problem)


def test_the_summary_and_intake_csv_name_every_entry_not_simply_graded(tmp_path):
    subs = tmp_path / "subs"
    (subs / "an" / "01_cnn").mkdir(parents=True)
    (subs / "gina.rar").write_bytes(b"Rar!")
    (subs / "notes.txt").write_text("x")
    found = discover.survey(subs, tmp_path / "work")
    stream = io.StringIO()
    intake.write(tmp_path, found.rows, "en", stream=stream)
    lines = stream.getvalue().splitlines()
    assert any("gina.rar" in ln and ".rar is not supported" in ln for ln in lines)
    assert any("notes.txt" in ln and "skipped" in ln for ln in lines)
    assert not any(ln.startswith("cnnkit grade: an/") for ln in lines)  # simply graded
    table = list(csv.DictReader(io.StringIO((tmp_path / "intake.csv").read_text("utf-8"))))
    assert {r["entry"] for r in table} == {"an/", "gina.rar", "notes.txt"}
    assert {r["entry"] for r in intake.read_back(tmp_path)} == {"gina.rar", "notes.txt"}


@pytest.mark.parametrize("member,why", [
    ("../../escape.py", "outside"), ("/etc/passwd", "outside"), ("C:/x.py", "outside"),
    ("a\\..\\..\\escape.py", "outside")])
def test_zip_paths_that_leave_the_submission_are_refused(tmp_path, member, why):
    dest = tmp_path / "dest"
    dest.mkdir()
    with pytest.raises(BadInput, match=why):
        archives.extract(_zip(tmp_path / "x.zip", {member: "x", WORK: "y"}), dest)
    assert not (tmp_path / "escape.py").exists() and list(dest.iterdir()) == []


def test_links_and_special_members_of_archives_are_refused(tmp_path):
    dest = tmp_path / "dest"
    dest.mkdir()
    info = zipfile.ZipInfo("01_cnn/params.py")
    info.external_attr = (0o120777 << 16)  # a symbolic link, as zip tools store one
    with zipfile.ZipFile(tmp_path / "link.zip", "w") as zf:
        zf.writestr(info, "/etc/passwd")
    with pytest.raises(BadInput, match="link"):
        archives.extract(tmp_path / "link.zip", dest)
    for kind in (tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.FIFOTYPE, tarfile.CHRTYPE):
        member = _file("01_cnn/params.py")
        member.type, member.linkname = kind, "/etc/passwd"
        with pytest.raises(BadInput, match="link"):
            archives.extract(_tar(tmp_path / "l.tar.gz", [member]), dest)
    traversal = _file("../escape.py")
    with pytest.raises(BadInput, match="outside"):
        archives.extract(_tar(tmp_path / "t.tgz", [traversal], {"../escape.py": b"x"}), dest)
    assert list(dest.iterdir()) == [] and not (tmp_path / "escape.py").exists()


def test_archive_caps_count_members_and_the_bytes_actually_written(tmp_path, monkeypatch):
    dest = tmp_path / "dest"
    dest.mkdir()
    many = {f"f{i}.py": "" for i in range(30)}
    with pytest.raises(BadInput, match="entries"):
        archives.extract(_zip(tmp_path / "many.zip", many), dest,
                         archives.Budget(members_left=10))
    with pytest.raises(BadInput, match="entries"):  # tar: counted while reading
        archives.extract(_tar(tmp_path / "many.tgz", [_file(n) for n in many]), dest,
                         archives.Budget(members_left=10))
    big = {"a.bin": b"\0" * 5000}
    with pytest.raises(BadInput, match="MB"):
        archives.extract(_zip(tmp_path / "big.zip", big), dest, archives.Budget(4096))
    # a header that under-states the size does not get past the count of written bytes
    monkeypatch.setattr(archives, "_count", lambda budget, size=0: None)
    with pytest.raises(BadInput, match="MB"):
        archives.extract(_tar(tmp_path / "big.tgz", [_file("a.bin")], big), dest,
                         archives.Budget(4096))
    assert list(dest.iterdir()) == []


def test_names_that_are_not_utf8_are_read_not_fatal(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    with zipfile.ZipFile(subs / os.fsdecode("Tr\xe2n.zip".encode("latin-1")), "w") as zf:
        info = zipfile.ZipInfo("bài/01_cnn/params.py")
        zf.writestr(info, "x = 1\n")  # Python sets the UTF-8 flag: cleared below, as many
    # zip tools write UTF-8 names without it
    flagless = bytearray((subs / os.fsdecode(b"Tr\xe2n.zip")).read_bytes())
    for at in range(len(flagless) - 4):
        if flagless[at:at + 4] in (b"PK\x03\x04", b"PK\x01\x02"):
            flag_at = at + (6 if flagless[at + 2] == 3 else 8)
            flagless[flag_at + 1] &= ~0x08 & 0xFF  # bit 11: the UTF-8 flag
    (subs / os.fsdecode(b"Tr\xe2n.zip")).write_bytes(bytes(flagless))
    with zipfile.ZipFile(subs / os.fsdecode(b"Tr\xe2n.zip")) as zf:
        assert zf.infolist()[0].filename != "bài/01_cnn/params.py"  # read as cp437
    _tar(subs / "cp1258.tgz", [_file(os.fsdecode(b"b\xe0i/01_cnn/params.py"))],
         {os.fsdecode(b"b\xe0i/01_cnn/params.py"): b"x = 1\n"})
    found, rows = _survey(subs, tmp_path)
    by_entry = {s.record["entry"]: s for s in found.values()}
    zipped = by_entry["Tr\\xe2n.zip"]
    assert zipped.root is not None and zipped.root.name == "bài"
    assert by_entry["cp1258.tgz"].root is not None
    assert "\\xe2" in zipped.name and "\udce2" not in zipped.name  # printable, storable
    json.dumps(zipped.record, ensure_ascii=False).encode("utf-8")


# --- 2. two entries of one student: one rule picks the one that counts ---------------

def test_two_entries_of_one_student_the_newest_counts_and_both_are_reported(tmp_path):
    subs = tmp_path / "subs"
    (subs / "alice" / "01_cnn").mkdir(parents=True)
    (subs / "alice" / WORK).write_text("x = 'old'\n")
    _zip(subs / "Alice.zip", {WORK: "x = 'new'\n"})
    for p in (subs / "alice" / WORK, subs / "alice" / "01_cnn", subs / "alice"):
        _age(p, 3600)
    found, rows = _survey(subs, tmp_path)
    assert list(found) == ["Alice"]  # one student, not alice-2bd806 and alice-62dca8
    sub = found["Alice"]
    assert sub.source.name == "Alice.zip" and sub.record["not_graded_entries"] == ["alice/"]
    assert (sub.root / WORK).read_text() == "x = 'new'\n"
    assert rows["alice/"].status == "not-graded" and "Alice.zip" in en(rows["alice/"].reason)
    assert any("2 submissions" in n and "newest" in n for n in map(en, sub.notes))
    _age(subs / "Alice.zip", 7200)  # now the folder is newer
    found, _ = _survey(subs, tmp_path)
    assert found["alice"].source.name == "alice"


def test_a_readable_entry_counts_before_a_newer_unreadable_one(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    _zip(subs / "bao.zip", {WORK: "x = 1\n"})
    _age(subs / "bao.zip", 3600)
    (subs / "bao.rar").write_bytes(b"Rar!")
    found, rows = _survey(subs, tmp_path)
    assert found["bao"].source.name == "bao.zip" and found["bao"].root is not None
    assert rows["bao.rar"].status == "not-graded"


# --- 3. Moodle's and Canvas's download layouts, as they are --------------------------

def test_moodle_download_in_folders_and_flat(tmp_path):
    subs = tmp_path / "moodle"
    bao = subs / "Nguyễn Văn Bảo_123456_assignsubmission_file_"
    bao.mkdir(parents=True)
    _zip(bao / "baitap.zip", {f"baitap/exercises/{WORK}": "x = 1\n"})
    (subs / "Nguyễn Văn Bảo_123456_assignsubmission_onlinetext_").mkdir()
    (subs / "Nguyễn Văn Bảo_123456_assignsubmission_onlinetext_" / "onlinetext.html") \
        .write_text("<p>done</p>")
    chi = subs / "Lê Chi_123457_assignsubmission_file"  # Moodle 4: no last underscore
    (chi / "bai" / "01_cnn").mkdir(parents=True)
    _zip(subs / "Phạm Dung_123458_assignsubmission_file_bai tap.zip", {WORK: "x = 1\n"})
    (subs / "Hà Em_123459_assignsubmission_file_").mkdir()
    (subs / "Hà Em_123459_assignsubmission_file_" / "params.py").write_text("x = 1\n")
    found, rows = _survey(subs, tmp_path)
    assert sorted(found) == ["Ha_Em", "Le_Chi", "Nguyen_Van_Bao", "Pham_Dung"]
    bao_sub = found["Nguyen_Van_Bao"]
    assert bao_sub.root is not None and bao_sub.root.name == "exercises"
    assert bao_sub.name == "Nguyễn Văn Bảo"
    assert bao_sub.record == {"entry": "Nguyễn Văn Bảo_123456_assignsubmission_file_/",
                              "lms": "moodle", "participant": "123456"}
    assert rows["Nguyễn Văn Bảo_123456_assignsubmission_onlinetext_/"].status == "not-graded"
    assert found["Le_Chi"].root.name == "bai" and found["Le_Chi"].record["participant"] \
        == "123457"
    assert found["Pham_Dung"].root is not None
    assert found["Ha_Em"].root is None and "no topic folder" in en(found["Ha_Em"].problem)


def test_canvas_download_on_time_late_and_several_files(tmp_path):
    subs = tmp_path / "canvas"
    subs.mkdir()
    _zip(subs / "nguyenvanbao_12345_67890_baitap.zip", {f"baitap/{WORK}": "x = 1\n"})
    _zip(subs / "tranthian_LATE_12346_67891_bai-1.zip", {WORK: "x = 1\n"})
    (subs / "tranthian_LATE_12346_67892_readme.txt").write_text("hi")
    (subs / "lechi_12347_67893_params.py").write_text("x = 1\n")
    found, rows = _survey(subs, tmp_path)
    assert sorted(found) == ["lechi", "nguyenvanbao", "tranthian"]
    assert found["nguyenvanbao"].record == {"entry": "nguyenvanbao_12345_67890_baitap.zip",
                                            "lms": "canvas", "participant": "12345"}
    late = found["tranthian"]
    assert late.root is not None and late.record["late"] is True
    assert rows["tranthian_LATE_12346_67892_readme.txt"].status == "not-graded"
    assert any("readme.txt" in n for n in map(en, late.notes))
    loose = found["lechi"]  # only a loose .py: a zero record that says what to hand in
    assert loose.root is None and "loose files" in en(loose.problem) and "params.py" in en(loose.problem)
    assert rows["lechi_12347_67893_params.py"].status == "graded-zero"


def test_a_whole_moodle_download_zip_is_read_as_it_comes(tmp_path):
    """`grade moodle-download.zip`: the class's archive itself, student zips inside
    folders inside it; members' own times decide between two entries of one student."""
    download = tmp_path / "CNN-Bai tap 1-12345.zip"
    with zipfile.ZipFile(download, "w") as zf:
        folder = "Nguyễn Văn Bảo_123456_assignsubmission_file_/"
        zf.writestr(folder + "baitap.zip", _zip_bytes({f"exercises/{WORK}": "x = 1\n"}))
        zf.writestr(zipfile.ZipInfo("alice/01_cnn/params.py", (2026, 1, 1, 8, 0, 0)), "old")
        zf.writestr(zipfile.ZipInfo("alice.zip", (2026, 1, 2, 8, 0, 0)),
                    _zip_bytes({WORK: "new"}))
    found = {s.student: s for s in discover.survey(download, tmp_path / "work").subs}
    assert sorted(found) == ["Nguyen_Van_Bao", "alice"]
    assert found["Nguyen_Van_Bao"].record["participant"] == "123456"
    assert found["Nguyen_Van_Bao"].root is not None
    assert (found["alice"].root / WORK).read_text() == "new"
    assert found["alice"].record["not_graded_entries"] == ["alice/"]


def test_lms_names_are_read_from_the_documented_formats():
    moodle = lms_names.parse("Nguyễn Văn Bảo_123456_assignsubmission_file_baitap.zip")
    assert (moodle.lms, moodle.person, moodle.participant, moodle.rest) == \
        ("moodle", "Nguyễn Văn Bảo", "123456", "baitap.zip")
    blind = lms_names.parse("Participant_7654321_assignsubmission_file_")
    assert blind.person == "Participant" and blind.participant == "7654321" and blind.files
    assert not lms_names.parse("X_1_assignsubmission_onlinetext_onlinetext.html").files
    late = lms_names.parse("nguyenvanbao_LATE_12345_67890_x.zip")
    assert (late.lms, late.person, late.participant, late.late, late.rest) == \
        ("canvas", "nguyenvanbao", "12345", True, "x.zip")
    for plain in ("alice", "alice.zip", "Trần Ánh", "bai_tap_01.zip", "sv_2024.zip"):
        assert lms_names.parse(plain) is None, plain


# --- end to end: grade a small Moodle download, export it matched by participant -------

def test_grade_a_moodle_download_and_export_it_by_participant(tmp_path, capsys):
    if box.available():
        pytest.skip(box.available())
    subs = tmp_path / "moodle"
    alice = paths.KIT_ROOT / "samples" / "submissions" / "alice.zip"  # the reference's work
    bao = subs / "Nguyễn Văn Bảo_123456_assignsubmission_file_"
    bao.mkdir(parents=True)
    shutil.copy(alice, bao / "baitap.zip")  # the student's zip inside Moodle's folder
    (subs / "gina.rar").write_bytes(b"Rar!")
    out = tmp_path / "out"
    assert main(["grade", str(subs), "--out", str(out), "--topics", "01_cnn",
                 "--train", "off"]) == 0
    printed = capsys.readouterr()
    assert "gina.rar" in printed.out and ".rar is not supported" in printed.out
    bao_rec = json.loads((out / "students" / "Nguyen_Van_Bao" / "results.json").read_text())
    assert bao_rec["cnnkit"]["participant"] == "123456" and bao_rec["cnnkit"]["lms"] == "moodle"
    assert bao_rec["score"] == bao_rec["max_score"] > 0  # the zip inside the folder was opened
    # Moodle's grading worksheet as the roster: the name in another order, the id only there
    roster = tmp_path / "worksheet.csv"
    roster.write_text("Identifier,Full name,Email address,Status,Grade\n"
                      "Participant 123456,Bảo Nguyễn Văn,bao@school.edu,Submitted,\n"
                      "Participant 123457,Chi Lê,chi@school.edu,No submission,\n", "utf-8")
    target = tmp_path / "moodle.csv"
    code = main(["export", str(out), "--format", "moodle", "--roster", str(roster),
                 "--out", str(target)])
    rows = {r["Email address"]: r for r in csv.DictReader(io.StringIO(target.read_text()))}
    assert set(rows) == {"bao@school.edu"}
    assert float(rows["bao@school.edu"]["cnnkit total"]) == bao_rec["score"]
    err = capsys.readouterr().err
    assert code == 1 and "gina" in err  # gina has no roster row: listed, non-zero exit
    assert "no submission: chi@school.edu Chi Lê" in err
