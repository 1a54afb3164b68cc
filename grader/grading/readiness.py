"""Step 0 of grading: the data the chosen exercises need is on this machine.

Each exercise declares in its topic.toml the data sets and weights its tests need
(``data = ["mnist"]``). Before anyone is graded, the grader finds (or fetches) them.
A missing data set is the machine's problem, never the student's: the grader either
stops before grading anyone, or, with ``--skip-missing-data``, leaves the exercises
that need it "not graded" - never zero - and grades the rest.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from grader.core import manifest
from grader.core.errors import CnnkitError
from grader.core.i18n import pick
from grader.lab import data

NOT_GRADED = {"en": "not graded", "vi": "chưa chấm"}


@dataclass
class DataPlan:
    missing: dict[str, data.DataMissing] = field(default_factory=dict)
    # "topic/exercise" -> the missing data it needs
    not_graded: dict[str, list[str]] = field(default_factory=dict)

    def graded_exercises(self, topic: manifest.Topic) -> set[str]:
        return {e.name for e in topic.exercises if f"{topic.name}/{e.name}" not in self.not_graded}

    def digest(self) -> str:
        """Part of each student's fingerprint: once the data is there, grade them again."""
        return hashlib.sha256(",".join(sorted(self.not_graded)).encode()).hexdigest()[:8]


def plan(topics: list[manifest.Topic]) -> DataPlan:
    """Find or fetch what ``topics`` need; note what cannot be had."""
    missing = data.missing(n for t in topics for e in t.exercises for n in e.data)
    not_graded = {f"{t.name}/{e.name}": [n for n in e.data if n in missing]
                  for t in topics for e in t.exercises if any(n in missing for n in e.data)}
    return DataPlan(missing, not_graded)


class DataNotReady(CnnkitError):
    """Grading would blame students for data the machine lacks: stop before grading."""

    def __init__(self, ready: DataPlan, lang: str | None = None):
        t = lambda en, vi: pick({"en": en, "vi": vi}, lang)  # noqa: E731
        lines = [t("nobody was graded: this machine lacks data that the chosen topics need.",
                   "chưa chấm bài nào: máy này thiếu dữ liệu mà các chủ đề đã chọn cần.")]
        lines += [f"  - {exc.line(lang)}" for exc in ready.missing.values()]
        lines += [f"  {line}" for line in describe(ready.not_graded, lang)]
        lines.append(t("Fetch the data, choose other topics with --topics, or grade the rest "
                       "with --skip-missing-data (those exercises are then marked 'not graded', "
                       "not zero).",
                       "Hãy tải dữ liệu về, chọn chủ đề khác bằng --topics, hoặc chấm phần còn "
                       "lại với --skip-missing-data (các bài đó được ghi 'chưa chấm', không phải "
                       "điểm 0)."))
        super().__init__("\n".join(lines))


def describe(not_graded: dict[str, list[str]], lang: str | None = None) -> list[str]:
    """One line per topic: which exercises cannot be graded here, and for want of what."""
    by_topic: dict[str, tuple[list[str], set[str]]] = {}
    for key, names in not_graded.items():
        topic, _, exercise = key.partition("/")
        exercises, needs = by_topic.setdefault(topic, ([], set()))
        exercises.append(exercise)
        needs.update(names)
    lines = []
    for topic, (exercises, needs) in by_topic.items():
        wanted = ", ".join(f"{n} ({data.fetch_command(n)})" for n in sorted(needs))
        whole = set(exercises) >= {e.name for e in manifest.load_topic(topic).exercises}
        which = ({"en": "whole topic skipped", "vi": "bỏ qua cả chủ đề"} if whole else
                 {"en": f"not graded: {', '.join(exercises)}",
                  "vi": f"chưa chấm: {', '.join(exercises)}"})
        lines.append(pick({"en": f"{topic}: {which['en']} - missing {wanted}",
                           "vi": f"{topic}: {which['vi']} - thiếu {wanted}"}, lang))
    return lines
