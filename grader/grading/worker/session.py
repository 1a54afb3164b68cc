"""The trusted test session's side of isolation: one boxed worker per topic.

With ``--cnnkit-worker`` the grader's plugin (``plugin``) makes one ``WorkerSession``,
keeps it in pytest's ``config.stash`` and installs it as the testkit's runner
(``grader.testkit.isolation``). ``exercise(...)`` then gives a ``RemoteExercise``: every
attribute read goes to the worker, which alone imports the student's files. The topic's
files are copied (links refused) into a box folder that the worker sees read-only at the
same path; the kit's data files used by the tests (the sample image) are copied beside
them, so a path means the same thing on both sides.
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
from grader.core.testfiles import kit_topic_dir
from grader.grading.box import bubblewrap as boxes
from grader.grading.box import safefiles
from grader.grading.worker import objects
from grader.grading.worker.client import WorkerClient
from grader.grading.worker.spec import WorkerSpec


def stage_box(topic: str, topic_dir: Path | None, parent: Path | None = None) -> Path:
    """A new box folder (in ``parent``, the student's warm box, when given): the topic's
    exercise files (links refused) and the kit's sample images, readable by the box's
    uid. The caller removes it (or ``shutdown`` does)."""
    box = Path(tempfile.mkdtemp(prefix="cnnkit-worker-", dir=parent)).resolve()
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


class WorkerSession:
    """Every worker of one trusted test session, their boxes, and the guards in force."""

    def __init__(self, limits: Limits = DEFAULTS, uid: int | None = None, boxed: bool = True,
                 template=None, stage: Path | None = None):
        self.limits = limits
        # the student's warm box: workers forked there, their folders staged where it sees
        self.template, self.stage = template, stage
        self.uid = limits.box_uid if uid is None else uid
        self.boxed = boxed
        self.guards: list[str] = []  # names of the guards the test has in force now
        self.clients: dict[str, WorkerClient] = {}
        self.boxes: dict[str, Path] = {}
        self.current_client: WorkerClient | None = None  # the last one a test reached

    # --- boxes and workers ------------------------------------------------------------
    def box_for(self, topic: str, topic_dir: Path) -> Path:
        key = str(topic_dir)
        if key not in self.boxes:
            self.boxes[key] = stage_box(topic, topic_dir,
                                        self.stage if self.template is not None else None)
            atexit.register(shutil.rmtree, self.boxes[key], True)  # a run that dies
        return self.boxes[key]

    def client_for(self, topic: str, topic_dir: Path) -> WorkerClient:
        key = str(topic_dir)
        if key not in self.clients:
            spec = WorkerSpec(self.box_for(topic, topic_dir), topic, self.limits, self.uid,
                              boxed=self.boxed, template=self.template)
            self.clients[key] = WorkerClient(spec, self.guards)
        self.current_client = self.clients[key]
        return self.current_client

    def training_client(self, box: Path, topic: str, env: dict[str, str], gpu: bool,
                        cover, log: str) -> WorkerClient:
        """A graded training run's worker: a box of its own (its GPU lease's environment,
        the test set covered), its output to ``log``; stopped by ``shutdown``."""
        spec = WorkerSpec(box, topic, self.limits, self.uid, boxed=self.boxed,
                          env=tuple(sorted(env.items())), gpu=gpu,
                          cover=tuple(tuple(pair) for pair in cover), log=log)
        self.clients[f"training:{box}"] = client = WorkerClient(spec, self.guards)
        self.current_client = client
        return client

    def shutdown(self) -> None:
        for client in self.clients.values():
            client.close()
        self.clients.clear()
        self.current_client = None
        for box in self.boxes.values():
            shutil.rmtree(box, ignore_errors=True)
        self.boxes.clear()

    # --- the testkit's runner (``grader.testkit.isolation.Runner``) --------------------
    def exercise(self, topic: str, module: str, topic_dir):
        return RemoteExercise(self, topic, module, topic_dir)

    def data_file(self, topic: str, topic_dir: Path, name: str) -> Path:
        return self.box_for(topic, topic_dir) / "data" / topic / name

    def shared_dir(self, topic: str, topic_dir: Path) -> Path:
        """A new folder in the box: written here, read (only) by the worker."""
        parent = self.box_for(topic, topic_dir) / "exchange"
        parent.mkdir(exist_ok=True)
        parent.chmod(0o755)
        folder = Path(tempfile.mkdtemp(dir=parent))
        folder.chmod(0o755)
        return folder

    def probe(self, name: str, args, kwargs):
        """Run ``grader.testkit.probes.<name>`` in the worker; data comes back. Arguments
        that are exercises reach the probe as the student's module."""
        topic = None
        remote_args = []
        for a in args:
            if isinstance(a, RemoteExercise):
                topic = (a._topic, a._topic_dir())
                remote_args.append(("module", a._module))
            else:
                remote_args.append(a)
        client = self.client_for(*topic) if topic else self.current_client
        if client is None:
            raise RuntimeError("no worker: a probe needs an exercise of the topic first")
        for a in args:
            if isinstance(a, RemoteExercise):
                client.import_module(a._module)
        return client.probe(name, remote_args, kwargs)

    @contextlib.contextmanager
    def guarded(self, names):
        """The named guards (``grader.testkit.guards``) hold for every call made inside."""
        names = list(names)
        self.guards.extend(names)
        try:
            yield
        finally:
            del self.guards[len(self.guards) - len(names):]

    def serves(self, obj) -> bool:
        return isinstance(obj, objects.RemoteModule)

    def error(self, type_name: str, message: str) -> BaseException:
        return objects.rebuild_error(type_name, message)


class RemoteExercise:
    """``exercise(__file__, "params")`` when student code lives in the worker."""

    def __init__(self, session: WorkerSession, topic: str, module: str, topic_dir):
        object.__setattr__(self, "_session", session)
        object.__setattr__(self, "_topic", topic)
        object.__setattr__(self, "_module", module)
        object.__setattr__(self, "_topic_dir", topic_dir)

    def __getattr__(self, attr):
        if attr.startswith("_"):
            raise AttributeError(attr)
        client = self._session.client_for(self._topic, self._topic_dir())
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
