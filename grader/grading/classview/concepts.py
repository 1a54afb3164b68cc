"""What the class misunderstood: each failing test reduced to the concept it names.

A record from this kit carries a failure id (``failure_id``: what failed, in no language;
``grader.core.failure_kinds``, ``grader.testkit.failure_ids``), and failures group by it:
whatever the numbers, the wording or the reader's language, one check is one group. Its
label is read from the message, in the reader's language. Records without an id (an older
kit's) group by their text, as follows. The kit's checks end a failure with ``concept: ...`` (``khái niệm: ...`` in Vietnamese,
``grader.testkit.checks``); architecture tables, import errors, unfinished TODOs and the
kit's explanations of raw errors have their own fixed wording (``grader.core.failure_lines``).
Anything else is grouped by its first error line with numbers and quoted values masked,
so "after 40 steps 0.109" and "after 40 steps 0.113" are one misunderstanding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from grader.grading.classview.course_order import ordered
from grader.grading.classview.load import Student, exercise_of
from grader.core import failure_kinds
from grader.core.i18n import pick
from grader.core.failure_lines import key_lines
from grader.grading.report import test_output

_CONCEPT = re.compile(r"(?:concept|khái niệm):\s*(.+)$", re.IGNORECASE)
_EXPLAINED = re.compile(r"^(?:What this means|Ý nghĩa):\s*(.+)$")
_NUMBER = re.compile(r"(?<![A-Za-z_])[-+]?\d[\d,_]*(?:\.\d+)?(?:e[-+]?\d+)?")
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_EXCEPTION = re.compile(r"^(?:[\w.]+\.)?(\w+(?:Error|Exception)):\s*")

# Fixed kinds, most telling first: (key, words that mark it, label en, label vi).
_KINDS = (
    ("missing_file", ("does not exist", "không có tệp", "không tồn tại"),
     "the exercise file is missing", "thiếu tệp bài tập"),
    ("syntax_error", ("syntax error", "lỗi cú pháp", "SyntaxError", "IndentationError"),
     "the file does not parse (syntax error)", "tệp có lỗi cú pháp"),
    ("import_error", ("could not even read the file", "ExerciseImportError", "khi import ",
                      "importing "),
     "the file fails when imported", "tệp bị lỗi khi import"),
    ("not_attempted", ("NotImplementedError",),
     "not attempted yet (the TODO is still there)", "chưa làm (vẫn còn TODO)"),
    ("architecture", ("architecture differs", "kiến trúc khác", "First difference",
                      "Khác biệt đầu tiên"),
     "the network's layers differ from the lecture's", "các lớp của mạng khác bài giảng"),
    ("self_report", ("rests on what your code reports", "dựa trên những gì mã của bạn"),
     "waits for the exercise's other tests (its point rests on the code's own report)",
     "chờ các bài kiểm tra khác của bài (điểm dựa trên điều mã tự báo cáo)"),
    ("stopped", ("time limit", "watchdog", "reported no result", "giới hạn thời gian",
                 "không báo kết quả", "killed by", "bị dừng bởi tín hiệu", "ended early",
                 "kết thúc sớm"),
     "the run was stopped or died before a result", "lần chạy bị dừng hoặc chết trước khi có "
     "kết quả"),
)


def mask(text: str) -> str:
    """Numbers and quoted values out, spaces collapsed: the shape of a message."""
    text = _QUOTED.sub("'…'", text)
    text = _NUMBER.sub("#", text)
    return re.sub(r"\s+", " ", text).strip()


def _error_lines(output: str) -> list[str]:
    lines = [ln[1:].strip() for ln in output.splitlines() if ln.startswith("E ")]
    return [ln for ln in lines if ln] or [ln.strip() for ln in output.splitlines() if ln.strip()]


_FIXED_LABELS = {key: {"en": en, "vi": vi} for key, _, en, vi in _KINDS}
_FIXED_LABELS.update({
    failure_kinds.ZEROED_BY_RULE: {"en": "zeroed: the exercise's rule on the file failed",
                                   "vi": "bị 0 điểm: quy tắc của bài trên tệp không đạt"},
    failure_kinds.UNGRADED: {"en": "not graded: the grading machine failed (not the student)",
                             "vi": "chưa chấm được: máy chấm gặp lỗi (không do sinh viên)"}})


def fixed_label(failure_id: str) -> dict[str, str] | None:
    """A fixed failure id's label, ``{"en", "vi"}``; None for a site id."""
    return _FIXED_LABELS.get(failure_id)


def concept_of_test(test: dict, lang: str = "en") -> tuple[str, dict[str, str]]:
    """``(key, label)`` of one failing test record: keyed on its failure id where it has
    one (a fixed id labelled in both languages, a site id by its message in ``lang``),
    else on its text (``concept_of``)."""
    output = test_output(test, lang)
    failed_at = test.get("failure_id")
    if not isinstance(failed_at, str) or not failed_at:
        return concept_of(output)
    if failed_at in _FIXED_LABELS:
        return failed_at, _FIXED_LABELS[failed_at]
    _, label = concept_of(output)
    return "id:" + failed_at, label


def concept_of(output: str) -> tuple[str, dict[str, str]]:
    """``(key, label)`` of one failure's text: ``key`` groups failures, ``label`` is
    ``{"en", "vi"}`` (a stated concept is shown as the kit wrote it, in one language)."""
    lines = _error_lines(str(output or ""))
    for line in lines:
        found = _CONCEPT.search(line)
        if found:
            text = found.group(1).strip()
            return "concept:" + mask(text).lower(), {"en": text, "vi": text}
    joined = "\n".join(lines)
    for key, words, en, vi in _KINDS:
        if any(w in joined for w in words):
            return key, {"en": en, "vi": vi}
    for line in lines:
        found = _EXPLAINED.match(line)
        if found:
            text = found.group(1).strip()
            return "explained:" + mask(text).lower(), {"en": text, "vi": text}
    if not lines:
        return "no_message", {"en": "(no message)", "vi": "(không có thông báo)"}
    first = _EXCEPTION.sub(lambda m: "" if m.group(1) == "AssertionError" else m.group(1) + ": ",
                           lines[0])
    shape = mask(first)
    return "message:" + shape.lower(), {"en": shape, "vi": shape}


def anonymise(text: str, student: Student) -> str:
    """The message with the student's id and name (and any path through them) masked."""
    for word in sorted({student.sid, student.name} - {""}, key=len, reverse=True):
        if len(word) >= 2:
            text = re.sub(re.escape(word), "<student>", text, flags=re.IGNORECASE)
    return re.sub(r"(/[^\s/:'\"]+)+/(?=[\w.-]+\.py)", ".../", text)  # absolute folders


@dataclass
class Missed:
    """One concept missed in one exercise."""

    key: str
    label: dict[str, str]
    tests: int = 0  # failing tests that name it
    students: set[str] = field(default_factory=set)
    example: str = ""

    def text(self, lang: str) -> str:
        return pick(self.label, lang)


def _failures(student: Student) -> list[tuple[str, dict]]:
    """(exercise, record) of each failing test, graded training aside (it has its own
    section)."""
    training = set(student.training)
    return [(exercise_of(t.get("name", "")), t) for t in student.tests
            if t.get("status") != "passed" and exercise_of(t.get("name", "")) not in training]


def submitted_nothing(student: Student, lang: str = "en") -> bool:
    """No test passed and every failure says the exercise file is missing: the student
    handed in nothing the grader could read (shown once, not under every exercise)."""
    if any(t.get("status") == "passed" for t in student.tests):
        return False
    failures = _failures(student)
    return bool(failures) and all(concept_of_test(t, lang)[0] == failure_kinds.MISSING_FILE
                                  for _, t in failures)


def missed_by_exercise(students: list[Student], lang: str = "en") -> dict[str, list[Missed]]:
    """For each "topic/exercise", in the course's order: the concepts its failing tests name
    (in ``lang``, where the grader kept the message bilingual), counted per student (a
    student with three failing tests of one concept counts once), most students first.
    Students who submitted nothing are left out (``submitted_nothing``)."""
    groups: dict[str, dict[str, Missed]] = {}
    for student in students:
        if submitted_nothing(student, lang):
            continue
        for exercise, test in _failures(student):
            key, label = concept_of_test(test, lang)
            output = test_output(test, lang)
            missed = groups.setdefault(exercise, {}).setdefault(key, Missed(key, label))
            missed.tests += 1
            missed.students.add(student.sid)
            if not missed.example:
                missed.example = anonymise(key_lines(output, 8), student)
    return {ex: sorted(groups[ex].values(), key=lambda m: (-len(m.students), -m.tests, m.key))
            for ex in ordered(groups)}
