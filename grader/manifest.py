"""The exercise manifest: ``topic.toml`` in every topic folder.

It holds titles, points, hints (English and Vietnamese) and the time limit
the grader gives one submission of the topic.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from grader import paths

MANIFEST_NAME = "topic.toml"


@dataclass(frozen=True)
class Exercise:
    topic: str
    name: str
    file: str
    points: float
    title: dict[str, str]
    hints: dict[str, list[str]] = field(default_factory=dict)

    def owns_test_file(self, filename: str) -> bool:
        """Visible tests are ``test_<name>.py``; hidden ones ``test_<name>_hidden.py``."""
        stem = Path(filename).stem
        return stem in (f"test_{self.name}", f"test_{self.name}_hidden")

    def hint_list(self, lang: str) -> list[str]:
        return self.hints.get(lang) or self.hints.get("en", [])


@dataclass(frozen=True)
class Topic:
    name: str
    title: dict[str, str]
    timeout_s: int
    exercises: tuple[Exercise, ...]
    data_files: tuple[str, ...] = ()
    graded: dict = field(default_factory=dict)

    @property
    def max_points(self) -> float:
        return sum(e.points for e in self.exercises)

    @property
    def files(self) -> list[str]:
        return [e.file for e in self.exercises]

    def exercise(self, name: str) -> Exercise:
        for e in self.exercises:
            if e.name == name or e.file == name:
                return e
        raise KeyError(f"topic {self.name} has no exercise {name!r}; it has "
                       + ", ".join(e.name for e in self.exercises))

    def exercise_for_test_file(self, filename: str) -> Exercise | None:
        return next((e for e in self.exercises if e.owns_test_file(filename)), None)


def split_points(points: float, n: int) -> list[float]:
    """``points`` over ``n`` tests, rounded to 0.001, summing exactly to ``points``."""
    if n <= 0:
        return []
    each = round(points / n, 3)
    return [each] * (n - 1) + [round(points - each * (n - 1), 3)]


def topic_folder(topic: str) -> Path:
    for base in (paths.solutions_dir(), paths.exercises_dir()):
        if (base / topic / MANIFEST_NAME).is_file():
            return base / topic
    raise FileNotFoundError(f"no {MANIFEST_NAME} for topic {topic}")


def load_topic(topic: str) -> Topic:
    with open(topic_folder(topic) / MANIFEST_NAME, "rb") as fh:
        raw = tomllib.load(fh)
    head = raw["topic"]
    exercises = tuple(
        Exercise(topic=topic, name=e["name"], file=e["file"], points=float(e["points"]),
                 title=e.get("title", {"en": e["name"]}), hints=e.get("hints", {}))
        for e in raw["exercises"]
    )
    return Topic(name=topic, title=head["title"], timeout_s=int(head.get("timeout_s", 300)),
                 exercises=exercises, data_files=tuple(head.get("data_files", ())),
                 graded=raw.get("graded", {}))


def load_all() -> list[Topic]:
    return [load_topic(t) for t in paths.topics()]
