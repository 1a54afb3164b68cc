"""What exercise tests import: ``exercise(__file__, "params")``.

The returned object imports the student's file lazily, on first use inside a
test. A file that does not import (syntax error, exception, ``sys.exit``)
therefore fails each test that needs it, with a clear reason, instead of
breaking collection for the whole topic.
"""

from __future__ import annotations

import traceback
from pathlib import Path

from grader.core import paths
from grader.core.failure_kinds import IMPORT_ERROR, IMPORT_KINDS, MISSING_FILE, SYNTAX_ERROR
from grader.core.i18n import pick
from grader.testkit import guards
from grader.testkit import isolation, targets
from grader.testkit import probes

# Filled in by the pytest plugin at configure time.
STATE = {"target": None, "root": None}

_failures: dict[tuple[str, str], tuple[str, str]] = {}  # -> (message, kind)


class ExerciseImportError(AssertionError):
    """The exercise file could not be imported; every test that needs it fails. ``kind``
    (``failure_kinds.IMPORT_KINDS``) says why, in no language: the report groups failures by it."""

    def __init__(self, message: str = "", kind: str = "import_error"):
        super().__init__(message)
        self.kind = kind if kind in IMPORT_KINDS else IMPORT_ERROR


def import_failure_kind(exc: BaseException) -> str:
    """Why a file could not be imported, as one of ``failure_kinds.IMPORT_KINDS``."""
    if isinstance(exc, targets.ExerciseMissing):
        return MISSING_FILE
    return SYNTAX_ERROR if isinstance(exc, SyntaxError) else IMPORT_ERROR


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
        if key not in _failures:
            try:
                return targets.import_exercise(topic_dir, self._module)
            except KeyboardInterrupt:
                raise
            except BaseException as exc:  # SyntaxError, SystemExit, anything at import
                _failures[key] = (describe_import_failure(topic_dir / f"{self._module}.py",
                                                          exc), import_failure_kind(exc))
        # one place raises it, first time and later alike: hypothesis sees one error
        raise ExerciseImportError(*_failures[key]) from None

    def __getattr__(self, attr):
        if attr.startswith("_"):  # pytest probes objects at collection: never import then
            raise AttributeError(attr)
        module = self._load()
        try:
            return getattr(module, attr)
        except AttributeError:
            raise AssertionError(pick({
                "en": f"{self._module}.py has no `{attr}`. The exercise asks you to define "
                      f"`{attr}` in {self._module}.py; check the name and that it is at module "
                      "level.",
                "vi": f"{self._module}.py không có `{attr}`. Bài tập yêu cầu định nghĩa `{attr}` "
                      f"trong {self._module}.py; hãy kiểm tra tên và đảm bảo nó ở cấp module "
                      "(không nằm trong hàm hay lớp khác)."})) from None

    def __repr__(self):
        return f"<exercise {self._topic}/{self._module}.py>"


def describe_import_failure(path: Path, exc: BaseException) -> str:
    """Why a file could not be imported, in the student's language."""
    name = path.name
    if isinstance(exc, targets.ExerciseMissing):
        return pick({"en": f"the exercise file {path.parent.name}/{name} does not exist; "
                           f"expected {name} in the {path.parent.name} folder",
                     "vi": f"không có tệp bài tập {path.parent.name}/{name}; cần có {name} "
                           f"trong thư mục {path.parent.name}"})
    if isinstance(exc, SyntaxError):
        code = (exc.text or "").rstrip()
        return pick({"en": f"{name} has a syntax error at line {exc.lineno}: {exc.msg}\n"
                           f"    {code}\nPython could not even read the file, so none of its "
                           "tests can run.",
                     "vi": f"{name} có lỗi cú pháp (syntax error) ở dòng {exc.lineno}: {exc.msg}\n"
                           f"    {code}\nPython không đọc được tệp này nên không bài kiểm tra "
                           "nào của nó chạy được."})
    if isinstance(exc, SystemExit):
        return pick({"en": f"importing {name} called exit ({exc.code!r}). Code at module level "
                           "runs on import; move scripts under `if __name__ == '__main__':`.",
                     "vi": f"khi import {name}, chương trình gọi exit ({exc.code!r}). Code ở "
                           "cấp module chạy ngay khi import; hãy đưa phần chạy thử "
                           "vào `if __name__ == '__main__':`."})
    if isinstance(exc, ModuleNotFoundError) and exc.name:
        return missing_module(name, exc.name)
    tb = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    return pick({"en": f"importing {name} raised {tb}\nCode at module level runs as soon as the "
                       "file is imported; fix it or move it into a function.",
                 "vi": f"khi import {name} gặp lỗi {tb}\nCode ở cấp module chạy ngay khi tệp "
                       "được import; hãy sửa lỗi hoặc đưa code đó vào trong một hàm."})


# Modules whose installable package has another name.
PACKAGE_OF = {"cv2": "opencv-python-headless", "PIL": "pillow", "sklearn": "scikit-learn",
              "skimage": "scikit-image", "yaml": "pyyaml"}


def missing_module(name: str, module: str) -> str:
    """``name`` imports ``module``, which is not installed: which one, and what to do."""
    top = module.split(".")[0]
    package = PACKAGE_OF.get(top, top)
    return pick({"en": f"importing {name} failed: the module `{top}` is not installed here. "
                       f"Install it (pip install {package}) or use what the kit installs "
                       "(torch, torchvision, numpy, PIL, matplotlib, opencv: pip install -e . "
                       "in the kit's folder installs them all); a graded run has only those.",
                 "vi": f"khi import {name} gặp lỗi: module `{top}` chưa được cài ở đây. Hãy cài "
                       f"nó (pip install {package}) hoặc dùng các thư viện kit đã cài (torch, "
                       "torchvision, numpy, PIL, matplotlib, opencv: pip install -e . trong thư "
                       "mục của kit cài tất cả); lần chấm điểm chỉ có các thư viện đó."})


def exercise(test_file: str | Path, module: str):
    """The student's module: imported here, or, when a runner is installed (grading), served
    by the runner (a worker process)."""
    topic = topic_of(test_file)
    runner = isolation.current()
    if runner is not None:
        return runner.exercise(topic, module, lambda: current_topic_dir(topic))
    return LazyExercise(topic, module)


def topic_data(test_file: str | Path, name: str) -> Path:
    """A data file shipped with the tests (for example the sample image); when grading, its
    copy where the student's side reads it, at a path both sides read."""
    runner = isolation.current()
    if runner is not None:
        topic = topic_of(test_file)
        return runner.data_file(topic, current_topic_dir(topic), name)
    return Path(test_file).resolve().parent / name


def shared_dir(test_file: str | Path, fallback: Path) -> Path:
    """A fresh folder the student's code can read: ``fallback`` in-process; when grading, a
    folder the runner makes readable on the student's side."""
    runner = isolation.current()
    if runner is None:
        return fallback
    topic = topic_of(test_file)
    return runner.shared_dir(topic, current_topic_dir(topic))


def probe(name: str, *args, **kwargs):
    """Run the kit's probe ``name`` beside the student's code (see ``grader.testkit.probes``).

    Arguments that are exercises (``exercise(...)``) reach the probe as the student's
    module. In-process (a student's own pytest) the probe simply runs here.
    """
    runner = isolation.current()
    if runner is not None:
        return runner.probe(name, args, kwargs)
    local = [a._load() if isinstance(a, LazyExercise) else a for a in args]
    return getattr(probes, name)(*local, **kwargs)


def guarded(*names: str):
    """A context manager: the named guards of ``grader.testkit.guards`` hold for every call
    to the student's code inside it, here or where the runner runs it."""
    runner = isolation.current()
    if runner is not None:
        return runner.guarded(names)
    return guards.applied(names)


def reference(test_file: str | Path, module: str):
    """The reference solution's ``module``, imported in this (trusted) process, when
    grading; None otherwise, or where the kit has no solutions (a student bundle)."""
    if isolation.current() is None:
        return None
    folder = paths.solutions_dir() / topic_of(test_file)
    if not (folder / f"{module}.py").is_file():
        return None
    return targets.import_exercise(folder, module)
