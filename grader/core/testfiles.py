"""Where a topic's tests live: the one place that knows.

Visible tests come from the kit (``solutions/NN_topic``, or ``exercises/NN_topic`` in a
student bundle: only the files its release recorded, see ``pristine``), never from the
folder under test; hidden tests from ``hidden_tests/``.
"""

from __future__ import annotations

from pathlib import Path

from grader.core import paths, pristine


def kit_topic_dir(topic: str) -> Path:
    """The kit's own copy of a topic: solutions/ when present, else exercises/."""
    for base in (paths.solutions_dir(), paths.exercises_dir()):
        if (base / topic).is_dir():
            return base / topic
    return paths.exercises_dir() / topic


def visible_test_files(topic: str) -> list[Path]:
    folder = kit_topic_dir(topic)
    if folder.parent == paths.exercises_dir():
        listed = pristine.listed_tests(topic)  # a bundle: the release's files, even if gone
        if listed is not None:
            return listed
    return sorted(folder.glob("test_*.py"))


def hidden_test_files(topic: str) -> list[Path]:
    return sorted((paths.hidden_tests_dir() / topic).glob("test_*.py"))


def topic_test_files(topic: str, hidden: bool = True) -> list[Path]:
    return visible_test_files(topic) + (hidden_test_files(topic) if hidden else [])


def is_hidden(test_file: str | Path) -> bool:
    return Path(test_file).stem.endswith("_hidden")
