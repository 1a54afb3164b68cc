"""Read a graded class back from its ``students/<id>/results.json`` files alone."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from grader.core.errors import NotFound
from grader.core.i18n import pick
from grader.grading import records
from grader.grading.box.safefiles import UnsafeFile, read_bytes


@dataclass
class Student:
    sid: str  # the grader's ASCII id (the folder under students/)
    name: str  # the name as handed in: student-provided, escape wherever shown
    result: dict

    @property
    def cnnkit(self) -> dict:
        return self.result.get("cnnkit") or {}

    @property
    def score(self) -> float:
        return float(self.result.get("score") or 0)

    @property
    def max_score(self) -> float:
        return float(self.result.get("max_score") or 0)

    @property
    def participant(self) -> str:
        """The LMS's participant id from Moodle's or Canvas's download ("" if none)."""
        return str(self.cnnkit.get("participant") or "")

    @property
    def entry(self) -> str:
        """The entry of the submissions folder that was graded ("" in older records)."""
        return str(self.cnnkit.get("entry") or "")

    @property
    def exercises(self) -> dict[str, dict]:
        return self.cnnkit.get("exercises") or {}

    @property
    def not_graded(self) -> dict[str, list]:
        return self.cnnkit.get("not_graded") or {}

    @property
    def training(self) -> dict[str, dict]:
        return self.cnnkit.get("training") or {}

    @property
    def review(self) -> dict[str, dict]:
        """"topic/exercise" -> a note for a person, per language (the points stand)."""
        review = self.cnnkit.get("review")
        return review if isinstance(review, dict) else {}

    @property
    def notes(self) -> list[str]:
        return [ln for ln in str(self.result.get("output") or "").splitlines() if ln.strip()]

    @property
    def tests(self) -> list[dict]:
        return [t for t in self.result.get("tests") or [] if isinstance(t, dict)]


def folder_key(folder: Path) -> bytes:
    """The graded folder's own key, read and never made (no key: nothing verifies)."""
    try:
        return read_bytes(folder / records.KEY_NAME, 256)
    except (OSError, UnsafeFile):
        return b""


def load_class(folder: Path) -> tuple[list[Student], list[str]]:
    """Every results.json under ``folder/students`` whose seal verifies with the folder's
    key, by id, and the ids whose file could not be read or does not verify (named, never
    silently dropped, never counted: resume grades those again too)."""
    root = Path(folder) / "students"
    if not root.is_dir():
        raise NotFound(pick({"en": f"no graded class at {folder} (no students/ folder)",
                             "vi": f"không có lớp đã chấm ở {folder} (không có thư mục "
                                   "students/)"}))
    students, unreadable = [], []
    key = folder_key(Path(folder))
    for path in sorted(root.glob("*/results.json")):
        sid = path.parent.name
        result = records.load_trusted(path, key) if key else None
        if not isinstance(result, dict) or not isinstance(result.get("cnnkit"), dict):
            unreadable.append(sid)  # unreadable, or its seal does not verify: as resume
            continue
        students.append(Student(sid, str(result["cnnkit"].get("name") or sid), result))
    return students, unreadable


def exercise_of(test_name: str) -> str:
    """ "01_cnn/params: test_x" -> "01_cnn/params"."""
    return str(test_name).split(": ", 1)[0]


def topic_of(exercise: str) -> str:
    return exercise.split("/", 1)[0]
