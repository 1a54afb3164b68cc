"""The course's order of exercises, as the gradebook has it: the topics in their order
(01_cnn, 02_training, 03_transfer), each topic's exercises in its topic.toml order, then
the graded trainings; an item the kit no longer knows goes last, by name."""

from __future__ import annotations

from functools import lru_cache

from grader.core import manifest, paths
from grader.core.errors import CnnkitError


def training_column(topic: str, name: str) -> str:
    """A graded training's key ("02_training/training_mnist"), as
    ``grading.training.graded_run.column`` writes it (that module loads torch)."""
    return f"{topic}/training_{name}"


@lru_cache(maxsize=1)
def course_columns() -> tuple[str, ...]:
    """Every exercise of the course, then every graded training, in the gradebook's order."""
    topics = []
    for name in paths.topics():
        try:
            topics.append(manifest.load_topic(name))
        except (KeyError, FileNotFoundError, CnnkitError):
            continue
    return (tuple(f"{t.name}/{e.name}" for t in topics for e in t.exercises)
            + tuple(training_column(t.name, s.name) for t in topics for s in t.graded_trainings))


def topic_names() -> list[str]:
    return list(dict.fromkeys(c.split("/", 1)[0] for c in course_columns()))


def rank(key: str) -> tuple[int, str]:
    """Sort key of an exercise ("topic/exercise") or a topic name in the course's order."""
    columns = course_columns()
    if key in columns:
        return columns.index(key), ""
    topics = topic_names()
    if key in topics:
        return topics.index(key), ""
    return len(columns), key


def ordered(keys) -> list[str]:
    return sorted(keys, key=rank)
