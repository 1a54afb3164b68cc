"""Read a class list as schools and LMSs write it: a CSV with a header row, separated by
commas, semicolons (Excel in a Vietnamese or European locale) or tabs, in UTF-8 with or
without a byte order mark, or UTF-16 (Excel's "Unicode text").

Columns are found by their header, in English or Vietnamese, case and accents as written
or not (``ACCEPTED`` lists them): a student id, a name (or first and last name), an email,
a login, and the LMS's own participant id: Moodle's grading worksheet's ``Identifier``
("Participant 123456"), or Canvas's ``ID`` when the file also has ``SIS User ID`` (Canvas's
gradebook export). Canvas's ``Points Possible`` row and its ``Test Student`` are skipped.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from grader.core.errors import BadInput, NotFound
from grader.core.i18n import pick

ACCEPTED: dict[str, tuple[str, ...]] = {
    "student id": ("student id", "student_id", "studentid", "student number", "sis user id",
                   "id number", "idnumber", "mssv", "mã sinh viên", "mã số sinh viên",
                   "mã sv", "mã số sv", "masv", "ma sv", "ma sinh vien", "ma so sinh vien"),
    "name": ("name", "full name", "fullname", "student name", "student", "họ tên",
             "họ và tên", "ho ten", "ho va ten", "hoten", "họ tên sinh viên",
             "họ và tên sinh viên", "tên sinh viên", "ten sinh vien"),
    "first name": ("first name", "firstname", "given name", "tên", "ten"),
    "last name": ("last name", "lastname", "surname", "family name", "họ", "ho", "họ đệm",
                  "ho dem", "họ và tên đệm"),
    "email": ("email", "email address", "e-mail", "e-mail address", "mail", "địa chỉ email",
              "dia chi email", "thư điện tử", "thu dien tu"),
    "login": ("sis login id", "login id", "username", "tên đăng nhập", "ten dang nhap"),
    "participant": ("identifier", "participant", "participant id", "định danh", "dinh danh"),
}
_SKIP_NAMES = {"points possible", "test student", "student, test", "học viên thử", "sinh viên thử"}


@dataclass(frozen=True)
class Member:
    student_id: str
    name: str
    email: str
    participant: str = ""  # Moodle's participant id or Canvas's user id, when the file has it
    login: str = ""  # Canvas's SIS Login ID, a username


@dataclass
class Roster:
    members: list[Member]
    columns: dict[str, str] = field(default_factory=dict)  # role -> header as written
    delimiter: str = ","


def _header_key(text: str) -> str:
    text = unicodedata.normalize("NFC", text).lstrip("\ufeff").strip().strip('"').casefold()
    return re.sub(r"\s+", " ", text).rstrip(":* ")


def _decode(path: Path) -> str:
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise NotFound(pick({"en": f"no roster file at {path}",
                             "vi": f"không có tệp danh sách lớp ở {path}"})) from None
    except OSError as exc:
        raise BadInput(pick({"en": f"the roster {path} cannot be read ({exc.strerror})",
                             "vi": f"không đọc được danh sách lớp {path} ({exc.strerror})"}))
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadInput(pick({
            "en": f"the roster {path} is not UTF-8 text: in Excel, save it as "
                  "'CSV UTF-8 (Comma delimited)'",
            "vi": f"danh sách lớp {path} không phải văn bản UTF-8: trong Excel, hãy lưu "
                  "dưới dạng 'CSV UTF-8 (Comma delimited)'"})) from None


def _rows(text: str) -> tuple[list[list[str]], str]:
    lines = text.splitlines()
    if lines and lines[0].lower().startswith("sep=") and len(lines[0]) <= 6:
        lines = lines[1:]  # Excel's own hint line
    first = next((ln for ln in lines if ln.strip()), "")
    delimiter = max((",", ";", "\t"), key=lambda d: (first.count(d), d == ","))
    reader = csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter)
    return [r for r in reader if any(c.strip() for c in r)], delimiter


def find_columns(header: list[str]) -> dict[str, int]:
    """role -> column index, for every role the header has."""
    keys = [_header_key(h) for h in header]
    found = {}
    for role, wanted in ACCEPTED.items():
        index = next((keys.index(w) for w in wanted if w in keys), None)
        if index is not None:
            found[role] = index
    if "id" in keys:  # Canvas's internal id beside the SIS id; else the school's id
        found.setdefault("participant" if "student id" in found else "student id",
                         keys.index("id"))
    return found


def accepted_line() -> str:
    return "; ".join(f"{role}: {', '.join(repr(w) for w in words)}"
                     for role, words in ACCEPTED.items())


def _participant(text: str) -> str:
    found = re.search(r"(\d+)\s*$", text)
    return found.group(1) if found else text.strip()


def read(path: Path) -> Roster:
    """The roster's members; ``BadInput``/``NotFound`` (one line) for what cannot be used."""
    rows, delimiter = _rows(_decode(path))
    if not rows:
        raise BadInput(pick({"en": f"the roster {path} is empty",
                             "vi": f"danh sách lớp {path} trống"}))
    header = rows[0]
    cols = find_columns(header)
    has_name = "name" in cols or ("first name" in cols and "last name" in cols)
    if not has_name or not {"student id", "participant", "email"} & set(cols):
        found = ", ".join(repr(h) for h in header)
        raise BadInput(pick({
            "en": f"the roster {path} needs a header row with a name column and a student id, "
                  f"email or participant column; found {found} (separated by {delimiter!r}); "
                  f"accepted: {accepted_line()}",
            "vi": f"danh sách lớp {path} cần một dòng tiêu đề có cột họ tên và một cột mã sinh "
                  f"viên, email hoặc định danh; đang có {found} (ngăn cách bởi {delimiter!r}); "
                  f"các tên cột được nhận: {accepted_line()}"}))
    members = [m for m in (_member(r, cols, header) for r in rows[1:])
               if m.name.strip().casefold() not in _SKIP_NAMES]
    return Roster(members, {role: header[i].lstrip("\ufeff").strip() for role, i in
                            cols.items()}, delimiter)


def _member(row: list[str], cols: dict[str, int], header: list[str]) -> Member:
    def cell(role: str) -> str:
        i = cols.get(role)
        return row[i].strip() if i is not None and i < len(row) else ""
    name = cell("name")
    if not name:
        first, last = cell("first name"), cell("last name")
        vietnamese = _header_key(header[cols["last name"]]).startswith("h") \
            if "last name" in cols else False
        name = " ".join(p for p in ((last, first) if vietnamese else (first, last)) if p)
    return Member(cell("student id"), name, cell("email"), _participant(cell("participant")),
                  cell("login"))


def columns_line(roster: Roster, path: Path, lang: str) -> str:
    """Which columns were read, for the operator."""
    none = pick({"en": "none", "vi": "không có"}, lang)
    columns = dict(roster.columns)
    if "name" not in columns and "last name" in columns:
        columns["name"] = f"{columns['first name']!r} + {columns['last name']!r}"
    used = ", ".join(f"{role} = {columns[role]!r}" if role in columns
                     else f"{role} = {none}" for role in ("student id", "name", "email",
                                                          "participant"))
    return pick({"en": f"roster {path}: {len(roster.members)} students, {used}",
                 "vi": f"danh sách lớp {path}: {len(roster.members)} sinh viên, {used}"}, lang)
