"""What exercise tests import: ``exercise(__file__, "params")``.

The returned object imports the student's file lazily, on first use inside a
test. A file that does not import (syntax error, exception, ``sys.exit``)
therefore fails each test that needs it, with a clear reason, instead of
breaking collection for the whole topic.
"""

from __future__ import annotations

import traceback
from pathlib import Path

from grader.testkit import targets

# Filled in by the pytest plugin at configure time.
STATE = {"target": None, "root": None}

_failures: dict[tuple[str, str], str] = {}


class ExerciseImportError(AssertionError):
    """The exercise file could not be imported; every test that needs it fails."""


def topic_of(test_file: str | Path) -> str:
    return Path(test_file).resolve().parent.name


def current_topic_dir(topic: str) -> Path:
    return targets.target_topic_dir(STATE["target"], topic, STATE["root"])


class LazyExercise:
    def __init__(self, topic: str, module: str):
        object.__setattr__(self, "_topic", topic)
        object.__setattr__(self, "_module", module)

    def _load(self):
        topic_dir = current_topic_dir(self._topic)
        key = (str(topic_dir), self._module)
        if key in _failures:
            raise ExerciseImportError(_failures[key])
        try:
            return targets.import_exercise(topic_dir, self._module)
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # SyntaxError, SystemExit, anything at import
            _failures[key] = describe_import_failure(topic_dir / f"{self._module}.py", exc)
            raise ExerciseImportError(_failures[key]) from None

    def __getattr__(self, attr):
        if attr.startswith("_"):  # pytest probes objects at collection: never import then
            raise AttributeError(attr)
        module = self._load()
        try:
            return getattr(module, attr)
        except AttributeError:
            raise AssertionError(
                f"{self._module}.py has no `{attr}`. The exercise asks you to define "
                f"`{attr}` in {self._module}.py; check the name and that it is at module level."
            ) from None

    def __repr__(self):
        return f"<exercise {self._topic}/{self._module}.py>"


def describe_import_failure(path: Path, exc: BaseException) -> str:
    if isinstance(exc, targets.ExerciseMissing):
        return str(exc)
    if isinstance(exc, SyntaxError):
        return (f"{path.name} has a syntax error at line {exc.lineno}: {exc.msg}\n"
                f"    {(exc.text or '').rstrip()}\nPython could not even read the file, "
                f"so none of its tests can run.")
    if isinstance(exc, SystemExit):
        return (f"importing {path.name} called exit ({exc.code!r}). Code at module level runs on "
                f"import; move scripts under `if __name__ == '__main__':`.")
    tb = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    return (f"importing {path.name} raised {tb}\nCode at module level runs as soon as the file "
            f"is imported; fix it or move it into a function.")


def exercise(test_file: str | Path, module: str) -> LazyExercise:
    return LazyExercise(topic_of(test_file), module)


def topic_data(test_file: str | Path, name: str) -> Path:
    """A data file shipped with the tests (for example the sample image)."""
    return Path(test_file).resolve().parent / name
