"""The exercise manifest: ``topic.toml`` in every topic folder.

It holds the format version, titles, points, hints (English and Vietnamese), the
data sets and weights each exercise's tests need (names in ``datasets/manifest.toml``), the
time limit the grader gives one submission of the topic, and the accuracy
thresholds of the graded training tasks. ``cnnkit dev check`` validates it.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from grader.core import paths
from grader.core.errors import BadInput, NotFound, UnknownName

MANIFEST_NAME = "topic.toml"
FORMAT = 1
# Every key the kit reads; anything else in a topic.toml is a mistake (dev check says so).
TOPIC_KEYS = {"format", "title", "timeout_s"}
EXERCISE_KEYS = {"name", "file", "points", "title", "hints", "data"}
TOP_KEYS = {"topic", "exercises", "graded"}


@dataclass(frozen=True)
class Exercise:
    topic: str
    name: str
    file: str
    points: float
    title: dict[str, str]
    hints: dict[str, list[str]] = field(default_factory=dict)
    data: tuple[str, ...] = ()  # data sets / weights its tests need (datasets/manifest.toml)

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
    graded: dict = field(default_factory=dict)
    format: int | None = None
    raw: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def files(self) -> list[str]:
        return [e.file for e in self.exercises]

    def exercise(self, name: str) -> Exercise:
        for e in self.exercises:
            if e.name == name or e.file == name:
                return e
        raise UnknownName(f"topic {self.name} has no exercise {name!r}; it has "
                          + ", ".join(e.name for e in self.exercises))

    def exercise_for_test_file(self, filename: str) -> Exercise | None:
        return next((e for e in self.exercises if e.owns_test_file(filename)), None)


POINT_STEP = 1 / 64  # a binary fraction: sums of shares are exact in floating point


def split_points(points: float, n: int) -> list[float]:
    """``points`` over ``n`` tests in steps of 1/64, summing exactly to ``points`` (so no
    total ever reads 100.00000000000003)."""
    if n <= 0:
        return []
    each = round(points / n / POINT_STEP) * POINT_STEP
    return [each] * (n - 1) + [points - each * (n - 1)]


def topic_folder(topic: str) -> Path:
    for base in (paths.solutions_dir(), paths.exercises_dir()):
        if (base / topic / MANIFEST_NAME).is_file():
            return base / topic
    raise NotFound(f"no {MANIFEST_NAME} for topic {topic}")


def parse(raw: dict, topic: str) -> Topic:
    """A ``Topic`` from the parsed TOML; a missing required field is a ``BadInput``."""
    try:
        head = raw["topic"]
        exercises = tuple(
            Exercise(topic=topic, name=e["name"], file=e["file"], points=float(e["points"]),
                     title=e.get("title", {"en": e["name"]}), hints=e.get("hints", {}),
                     data=tuple(e.get("data", ())))
            for e in raw["exercises"])
        return Topic(name=topic, title=head["title"], timeout_s=int(head.get("timeout_s", 300)),
                     exercises=exercises, graded=raw.get("graded", {}),
                     format=head.get("format"), raw=raw)
    except (KeyError, TypeError, ValueError) as exc:
        raise BadInput(f"{topic}/{MANIFEST_NAME}: missing or malformed field {exc}") from None


def load_file(path: Path, topic: str | None = None) -> Topic:
    with open(path, "rb") as fh:
        try:
            raw = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise BadInput(f"{path}: not valid TOML ({exc})") from None
    return parse(raw, topic or Path(path).parent.name)


def load_topic(topic: str) -> Topic:
    return load_file(topic_folder(topic) / MANIFEST_NAME, topic)


def load_all() -> list[Topic]:
    return [load_topic(t) for t in paths.topics()]
