"""Who handed in an entry of Moodle's or Canvas's "download all submissions", read from its
name: the student's name, the LMS's participant id, and the file's own name.

Moodle (mod/assign, "Download all submissions"; one folder per student and plugin since
Moodle 3.1, one flat file per submitted file with "download submissions in folders" off):

    Nguyễn Văn Bảo_123456_assignsubmission_file_/baitap.zip    (the folder; newer Moodle
    Nguyễn Văn Bảo_123456_assignsubmission_file/baitap.zip      drops the last underscore)
    Nguyễn Văn Bảo_123456_assignsubmission_file_baitap.zip     (flat)
    Nguyễn Văn Bảo_123456_assignsubmission_onlinetext_/onlinetext.html

The number is the participant id, the one Moodle's grading worksheet shows as
"Participant 123456" in its Identifier column (blind marking puts "Participant" where the
name is). Moodle turns underscores in names into spaces, so the name holds none.

Canvas (Assignments > Download Submissions; one flat file per submitted file):

    nguyenvanbao_12345_67890_baitap.zip
    nguyenvanbao_LATE_12345_67890_baitap.zip

that is the sortable name in lower case without spaces or punctuation, ``LATE`` when the
submission came after the due date, the Canvas user id (the ``ID`` column of Canvas's
gradebook export), the file's attachment id and the name the student gave the file
(Canvas adds ``-1``, ``-2`` ... to a re-submitted name).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_MOODLE = re.compile(r"^(?P<name>[^_]+)_(?P<pid>\d+)_assignsubmission_(?P<plugin>[a-z0-9]+)"
                     r"(?:_(?P<rest>.*))?$", re.S)
_CANVAS = re.compile(r"^(?P<name>\w+?)_(?:(?P<late>LATE)_)?(?P<uid>\d+)_(?P<att>\d+)_"
                     r"(?P<rest>.+)$", re.S)


@dataclass(frozen=True)
class LmsName:
    lms: str  # "moodle" | "canvas"
    person: str  # the name as the LMS wrote it ("Nguyễn Văn Bảo", "nguyenvanbao")
    participant: str  # Moodle's participant id, Canvas's user id
    rest: str  # the student's own file name ("" for a Moodle folder)
    plugin: str = "file"  # Moodle's submission plugin: file, onlinetext, ...
    late: bool = False  # Canvas: handed in after the due date

    @property
    def files(self) -> bool:
        """The entry holds what the student uploaded (not online text or comments)."""
        return self.plugin == "file"


def parse(entry_name: str) -> LmsName | None:
    """The LMS's reading of one entry's name, or None for a name of no LMS's layout."""
    name = unicodedata.normalize("NFC", entry_name)
    found = _MOODLE.match(name)
    if found:
        return LmsName("moodle", found["name"].strip(), found["pid"], found["rest"] or "",
                       plugin=found["plugin"])
    found = _CANVAS.match(name)
    if found:
        return LmsName("canvas", found["name"], found["uid"], found["rest"],
                       late=bool(found["late"]))
    return None
