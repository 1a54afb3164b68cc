"""The trusted test session's side of isolation: one boxed worker per topic.

With ``--cnnkit-worker`` the plugin turns this on. ``exercise(...)`` then gives a
``RemoteExercise``: every attribute read goes to the worker, which alone imports the
student's files. The topic's files are copied (links refused) into a box folder that the
worker sees read-only at the same path; the kit's data files used by the tests (the
sample image) are copied beside them, so a path means the same thing on both sides.
"""

from __future__ import annotations

import atexit
import contextlib
import shutil
import tempfile
from pathlib import Path

from grader.core import manifest
from grader.core.i18n import pick
from grader.core.limits import DEFAULTS, Limits
from grader.remote import objects
from grader.remote.client import WorkerClient

SETTINGS: dict = {"on": False, "limits": DEFAULTS, "uid": None, "boxed": True}
ACTIVE_GUARDS: list[str] = []
_clients: dict[str, WorkerClient] = {}
_boxes: dict[str, Path] = {}


def enabled() -> bool:
    return bool(SETTINGS["on"])


def configure(on: bool, limits: Limits = DEFAULTS, uid: int | None = None,
              boxed: bool = True) -> None:
    SETTINGS.update(on=on, limits=limits, uid=limits.box_uid if uid is None else uid,
                    boxed=boxed)


def stage_box(topic: str, topic_dir: Path | None) -> Path:
    """A new box folder: the topic's exercise files (links refused) and the kit's sample
    images, readable by the box's uid. The caller removes it (or ``shutdown`` does)."""
    from grader.core.testfiles import kit_topic_dir
    from grader.grading import box as boxes
    from grader.grading import safefiles

    box = Path(tempfile.mkdtemp(prefix="cnnkit-worker-")).resolve()
    sub = box / "submission" / topic
    sub.mkdir(parents=True)
    info = manifest.load_topic(topic)
    if topic_dir is not None and safefiles.is_plain_dir(topic_dir):
        for name in info.files:
            try:
                safefiles.copy_file(topic_dir / name, sub / name)
            except safefiles.UnsafeFile:
                pass
    data = box / "data" / topic
    data.mkdir(parents=True)
    for f in kit_topic_dir(topic).iterdir():
        if f.is_file() and f.suffix in (".png", ".jpg", ".jpeg"):
            shutil.copy2(f, data / f.name)
    for folder in (box, *box.rglob("*")):
        folder.chmod(0o755 if folder.is_dir() else 0o644)
    boxes.prepare_folder(box)
    return box


def _box_for(topic: str, topic_dir: Path) -> Path:
    key = str(topic_dir)
    if key not in _boxes:
        _boxes[key] = stage_box(topic, topic_dir)
        atexit.register(shutil.rmtree, _boxes[key], True)
    return _boxes[key]


def data_file(topic: str, topic_dir: Path, name: str) -> Path:
    return _box_for(topic, topic_dir) / "data" / topic / name


def exchange_dir(topic: str, topic_dir: Path) -> Path:
    """A new folder in the box: written here, read (only) by the worker."""
    parent = _box_for(topic, topic_dir) / "exchange"
    parent.mkdir(exist_ok=True)
    parent.chmod(0o755)
    folder = Path(tempfile.mkdtemp(dir=parent))
    folder.chmod(0o755)
    return folder


def client_for(topic: str, topic_dir: Path) -> WorkerClient:
    key = str(topic_dir)
    if key not in _clients:
        box = _box_for(topic, topic_dir)
        _clients[key] = WorkerClient(box, str(box / "submission" / topic), SETTINGS["limits"],
                                     SETTINGS["uid"], boxed=SETTINGS["boxed"])
        _clients[key].inside = str(box)
    objects.CLIENT["current"] = _clients[key]
    return _clients[key]


def shutdown() -> None:
    for client in _clients.values():
        client.stop()
    _clients.clear()
    for box in _boxes.values():
        shutil.rmtree(box, ignore_errors=True)
    _boxes.clear()


class RemoteExercise:
    """``exercise(__file__, "params")`` when student code lives in the worker."""

    def __init__(self, topic: str, module: str, topic_dir):
        object.__setattr__(self, "_topic", topic)
        object.__setattr__(self, "_module", module)
        object.__setattr__(self, "_topic_dir", topic_dir)

    def __getattr__(self, attr):
        if attr.startswith("_"):
            raise AttributeError(attr)
        client = client_for(self._topic, self._topic_dir())
        try:
            return client.module_attr(self._module, attr)
        except AttributeError:
            raise AssertionError(missing_name(self._module, attr)) from None

    def __repr__(self):
        return f"<exercise {self._topic}/{self._module}.py, in the student's process>"


def missing_name(module: str, attr: str) -> str:
    return pick({
        "en": f"{module}.py has no `{attr}`. The exercise asks you to define `{attr}` in "
              f"{module}.py; check the name and that it is at module level.",
        "vi": f"{module}.py không có `{attr}`. Bài tập yêu cầu định nghĩa `{attr}` trong "
              f"{module}.py; hãy kiểm tra tên và đảm bảo nó ở cấp module (không nằm trong "
              "hàm hay lớp khác)."})


def probe(name: str, *args, **kwargs):
    """Run ``grader.remote.probes.<name>`` where the student's code runs; data comes back.

    Arguments that are exercises (``exercise(...)``) reach the probe as the student's
    module. In-process (a student's own pytest) the probe simply runs here.
    """
    from grader.remote import probes
    from grader.testkit.harness import LazyExercise

    if not enabled():
        local = [a._load() if isinstance(a, LazyExercise) else a for a in args]
        return getattr(probes, name)(*local, **kwargs)
    topic = None
    remote_args = []
    for a in args:
        if isinstance(a, RemoteExercise):
            topic = (a._topic, a._topic_dir())
            remote_args.append(("module", a._module))
        else:
            remote_args.append(a)
    client = client_for(*topic) if topic else objects.CLIENT["current"]
    for a in args:
        if isinstance(a, RemoteExercise):
            client.import_module(a._module)
    return client.probe(name, remote_args, kwargs)


@contextlib.contextmanager
def guarded(*names: str):
    """Apply the named guards (``grader.remote.guards``) to every call made inside."""
    from grader.remote import guards

    if not enabled():
        with guards.applied(names):
            yield
        return
    ACTIVE_GUARDS.extend(names)
    try:
        yield
    finally:
        del ACTIVE_GUARDS[len(ACTIVE_GUARDS) - len(names):]
