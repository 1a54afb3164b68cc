"""The class in numbers: scores per topic and exercise, pass rates, graded training,
students at risk and the machine facts the records hold."""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field

from grader.grading.classview.course_order import ordered
from grader.grading.classview.load import Student, topic_of

# Words of a note that mean the machine or a limit, not the code, decided (both languages).
_TROUBLE = ("time limit", "watchdog", "killed by", "ended early", "reported no result",
            "not of the student's code", "flooded", "size limit", "results and was stopped",
            "giới hạn thời gian", "bộ giám sát", "bị dừng bởi tín hiệu", "kết thúc sớm",
            "lỗi của máy chấm", "in ra quá nhiều", "vượt quá giới hạn",
            "grader failed while grading", "grader could not handle", "Bộ chấm gặp lỗi",
            "Bộ chấm không xử lý được")
_FAILED_RUN = re.compile(r"(?:failed|bị lỗi): (\w+)")


def trouble_notes(student: Student) -> list[str]:
    return [n for n in student.notes if any(w in n for w in _TROUBLE)]


@dataclass
class ExerciseStats:
    name: str
    max_score: float
    scores: list[float] = field(default_factory=list)
    not_graded: int = 0

    @property
    def pass_rate(self) -> float | None:
        if not self.scores:
            return None
        return sum(1 for s in self.scores if s >= self.max_score) / len(self.scores)


def exercise_stats(students: list[Student]) -> dict[str, ExerciseStats]:
    stats: dict[str, ExerciseStats] = {}
    for st in students:
        for name, v in st.exercises.items():
            if not isinstance(v, dict):
                continue
            entry = stats.setdefault(name, ExerciseStats(name, float(v.get("max_score") or 0)))
            entry.max_score = max(entry.max_score, float(v.get("max_score") or 0))
            entry.scores.append(float(v.get("score") or 0))
        for name in st.not_graded:
            stats.setdefault(name, ExerciseStats(name, 0.0)).not_graded += 1
    return {name: stats[name] for name in ordered(stats)}


def topic_totals(students: list[Student]) -> dict[str, tuple[float, list[float]]]:
    """topic -> (max points, each student's points)."""
    tops: dict[str, float] = {}
    for st in students:
        for name, v in st.exercises.items():
            t = topic_of(name)
            tops[t] = max(tops.get(t, 0.0), sum(float(x.get("max_score") or 0)
                                                  for n, x in st.exercises.items()
                                                  if topic_of(n) == t))
    return {t: (top, [sum(float(v.get("score") or 0) for n, v in st.exercises.items()
                          if topic_of(n) == t) for st in students])
            for t, top in ((t, tops[t]) for t in ordered(tops))}


@dataclass
class TrainingStats:
    task: str
    profiles: set[str] = field(default_factory=set)
    devices: set[str] = field(default_factory=set)
    accuracies: list[float] = field(default_factory=list)
    floors: set = field(default_factory=set)
    thresholds: set = field(default_factory=set)
    runs: int = 0
    timed_out: int = 0
    crashed: int = 0
    not_trained_here: int = 0  # weights that answer by the public labels (secret_labels.py)
    reasons: dict[str, int] = field(default_factory=dict)  # failure kind -> runs
    seconds: list[float] = field(default_factory=list)


NOT_TRAINED_HERE = "weights not trained in this run"


def _failure_kind(record: dict) -> str | None:
    reason = record.get("reason") or {}
    text = str(reason.get("en") or next(iter(reason.values()), "") if isinstance(reason, dict)
               else reason)
    found = _FAILED_RUN.search(text)
    if found:
        return found.group(1)
    if record.get("not_trained_here") is True:
        return NOT_TRAINED_HERE
    if record.get("accuracy") is None:
        return "no accuracy measured"
    return None


def training_stats(students: list[Student]) -> dict[str, TrainingStats]:
    out: dict[str, TrainingStats] = {}
    for st in students:
        for column, rec in st.training.items():
            if not isinstance(rec, dict):
                continue
            ts = out.setdefault(column, TrainingStats(column))
            ts.runs += 1
            ts.profiles.add(str(rec.get("profile")))
            ts.devices.add(str(rec.get("device_class") or rec.get("device")))
            if rec.get("floor") is not None:
                ts.floors.add(rec["floor"])
            if rec.get("threshold") is not None:
                ts.thresholds.add(rec["threshold"])
            acc = rec.get("accuracy")
            if isinstance(acc, (int, float)) and not isinstance(acc, bool):
                ts.accuracies.append(float(acc))
            if isinstance(rec.get("train_seconds"), (int, float)):
                ts.seconds.append(float(rec["train_seconds"]))
            kind = _failure_kind(rec)
            if kind == NOT_TRAINED_HERE:
                ts.not_trained_here += 1
                ts.reasons[kind] = ts.reasons.get(kind, 0) + 1
            elif kind:
                if "timeout" in kind.lower() or "timedout" in kind.lower():
                    ts.timed_out += 1
                else:
                    ts.crashed += 1
                ts.reasons[kind] = ts.reasons.get(kind, 0) + 1
    return {column: out[column] for column in ordered(out)}


@dataclass
class AtRisk:
    student: Student
    why_low: bool
    trouble: list[str]  # notes about limits or the machine, training failures


def at_risk(students: list[Student], lowest: int | None = None,
            below: float = 0.5) -> list[AtRisk]:
    """The lowest totals (the last tenth, at least one and at most ten, short of full
    points; and everyone under ``below`` of the maximum), and anyone whose grading hit a
    limit, a crash or a machine problem."""
    ranked = sorted(students, key=lambda s: (s.score / s.max_score if s.max_score else 0, s.sid))
    lowest = lowest if lowest is not None else min(10, max(1, len(students) // 10))
    low = {s.sid for s in ranked[:lowest] if s.score < s.max_score}
    low |= {s.sid for s in students if s.max_score and s.score / s.max_score < below}
    found = []
    for st in ranked:
        trouble = trouble_notes(st)
        trouble += [f"{column}: {_failure_kind(rec)}" for column, rec in st.training.items()
                    if isinstance(rec, dict) and _failure_kind(rec)]
        if st.sid in low or trouble:
            found.append(AtRisk(st, st.sid in low, trouble))
    return found


def seconds_of(student: Student) -> float:
    """The time a student's grading took: the tests' runs and the graded trainings."""
    return float(student.result.get("execution_time") or 0) + training_seconds(student)


def training_seconds(student: Student) -> float:
    return sum(float(rec["train_seconds"]) for rec in student.training.values()
               if isinstance(rec, dict) and isinstance(rec.get("train_seconds"), (int, float))
               and not isinstance(rec.get("train_seconds"), bool))


@dataclass
class MachineFacts:
    students: int
    kit_versions: set[str]
    profiles: set[str]
    devices: set[str]
    seconds: list[float]  # per student: tests and graded training
    training_seconds: list[float]  # per student: graded training alone

    @property
    def median_s(self) -> float:
        return statistics.median(self.seconds) if self.seconds else 0.0


def machine_facts(students: list[Student]) -> MachineFacts:
    profiles, devices, versions = set(), set(), set()
    for st in students:
        for key in ("kit_version", "version"):
            if st.cnnkit.get(key):
                versions.add(str(st.cnnkit[key]))
        for rec in st.training.values():
            if isinstance(rec, dict):
                profiles.add(str(rec.get("profile")))
                devices.add(str(rec.get("device") or rec.get("device_class")))
    return MachineFacts(len(students), versions, profiles, devices,
                        [seconds_of(st) for st in students],
                        [training_seconds(st) for st in students])
