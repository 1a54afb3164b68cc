"""Step 3b of grading: the graded training runs, each a gradebook column.

For each graded training of a topic (``[graded]`` in ``topic.toml``), the student's own
``train_mnist`` / ``train_transfer`` runs in a boxed worker on a leased device, within the
profile's time budget. The worker gets held-out images only (``heldout.py``: a secret
order, each moved by a secret pixel); the labels never leave this process, which scores
the returned predictions and turns the accuracy into points (``manifest.training_points``).
What the student's code reports about itself (its ``test_acc``) is shown, never scored.
"""

from __future__ import annotations

import atexit
import hashlib
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

from grader.core import manifest
from grader.core.i18n import pick
from grader.core.limits import Limits
from grader.core.results import Outcome
from grader.grading import devices, heldout, hidden_test_set
from grader.grading.score import TestScore

DATASET = {"mnist": "mnist", "transfer": "cifar10"}
HELD_OUT = {"mnist": 5000, "cifar10": 2000}  # images held out of the box, of 10,000
FUNCTION = {"mnist": "train_mnist", "transfer": "train_transfer"}


@dataclass
class TrainingPlan:
    """What ``grade --train`` means for this grading run: one profile, one device queue,
    one secret (held-out sets drawn once, shared by every student of the run)."""

    profile: str
    kind: str  # the lease kind: "gpu" or "cpu"
    queue: devices.DeviceQueue
    cache_root: Path | None = None  # the class's shared features (variant 1), kept between runs
    secret: bytes = field(default_factory=heldout.new_secret, repr=False)
    _sets: dict = field(default_factory=dict, repr=False)
    _views: dict = field(default_factory=dict, repr=False)
    _shared: dict = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _features_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def heldout(self, dataset: str) -> heldout.HeldOut:
        with self._lock:
            if dataset not in self._sets:
                self._sets[dataset] = heldout.build(dataset, self.secret, HELD_OUT[dataset])
            return self._sets[dataset]

    def view(self, dataset: str) -> hidden_test_set.TestSetView:
        """What a training box sees of ``dataset``'s test set: the rest, not the held-out."""
        held = self.heldout(dataset)
        with self._lock:
            if dataset not in self._views:
                folder = Path(tempfile.mkdtemp(prefix=f"cnnkit-{dataset}-view-"))
                folder.chmod(0o755)
                atexit.register(shutil.rmtree, folder, True)
                self._views[dataset] = hidden_test_set.build(held, folder)
            return self._views[dataset]

    def class_features(self, kwargs: dict) -> tuple[str, Path] | None:
        """The frozen backbone's features for the run ``kwargs`` describes, computed here
        once per class by the reference solution (trusted code, the weights' own
        preprocessing) and cached under ``cache_root``: ``(key, folder)``, or ``None``
        when there is no cache or no reference. Students whose key matches reuse them."""
        if self.cache_root is None:
            return None
        with self._features_lock:  # one extraction; the others wait for it
            wanted = tuple(sorted(kwargs.items()))
            if wanted not in self._shared:
                self._shared[wanted] = _reference_features(self, kwargs)
            return self._shared[wanted]

    def digest(self) -> str:
        """Part of every student's fingerprint: results from another profile are stale."""
        return f"train={self.profile}/{self.kind}"


def plan(choice: str, gpus=None, cpu_slots: int | None = None,
         cache_root: Path | None = None, key: bytes | None = None) -> TrainingPlan | None:
    """``--train off|quick|full|auto`` on this machine (``None``: no graded training).
    ``cache_root``: where the class's shared features live (``None``: no sharing).
    ``key``: the grader's key for this output folder; the held-out sets are derived from
    it, so every student of a class (resumed runs and Slurm tasks too) is measured on the
    same images. Without it, a fresh secret."""
    chosen = devices.training_plan(choice, gpus)
    if chosen is None:
        return None
    profile, kind = chosen
    secret = hashlib.sha256(b"cnnkit held-out\0" + key).digest() if key else \
        heldout.new_secret()
    return TrainingPlan(profile, kind, devices.DeviceQueue(gpus, cpu_slots=cpu_slots),
                        Path(cache_root) if cache_root else None, secret)


def _reference_features(training: TrainingPlan, kwargs: dict) -> tuple[str, Path] | None:
    """Extract (or find) the reference's variant-1 features on a leased device."""
    import sys

    from grader.core import paths
    from grader.course.feature_cache import FeatureCache
    from grader.testkit import targets

    folder = paths.solutions_dir() / "03_transfer"
    if not (folder / "train.py").is_file():
        return None  # a student bundle: no reference, no sharing
    reference = targets.import_exercise(folder, "train")
    cache = FeatureCache(training.cache_root)
    # the images the boxes see: the test set without the held-out images
    settings = {k: v for k, v in kwargs.items() if k != "variant"}
    data_path = training.view("cifar10").cifar10_root
    key = reference.feature_key(data_path=data_path, **settings)
    if cache.lookup(key) is None:
        print(pick({"en": "cnnkit grade: extracting the class's shared features once "
                          f"({settings}), with the reference's preprocessing",
                    "vi": "cnnkit grade: trích xuất đặc trưng dùng chung cho cả lớp một lần "
                          f"({settings}), với bước tiền xử lý của lời giải mẫu"}),
              file=sys.stderr, flush=True)
        with training.queue.lease(training.kind) as lease, \
                tempfile.TemporaryDirectory(prefix="cnnkit-features-") as tmp:
            if lease.kind == "gpu":
                import torch

                if torch.cuda.is_available():
                    torch.cuda.set_device(lease.index)
            run = reference.train_transfer(variant=1, out_dir=Path(tmp) / "run",
                                           data_path=data_path,
                                           save_features=Path(tmp) / "features", max_epochs=1,
                                           **settings)
            if run.get("feature_key") != key:
                return None
            cache.store(key, Path(tmp) / "features", {"settings": repr(settings)})
    return key, cache.lookup(key)


def _offer_features(shared: tuple[str, Path] | None, client, box: Path, kwargs: dict,
                    record: dict) -> None:
    """Variant 1: when the student's run would extract the same features as the class
    cache holds (same weights, same preprocessing output, same images), copy them into
    the box and pass ``features=``; otherwise the student's run extracts its own."""
    record["features"] = "own extraction"
    if shared is None:
        return
    key, folder = shared
    settings = {k: v for k, v in kwargs.items() if k != "variant"}
    try:
        theirs = client.probe("feature_key", [("module", "train"), settings], {})
    except Exception:  # noqa: BLE001 - no key: the run extracts its own features
        return
    if not isinstance(theirs, str) or theirs != key:
        return
    inside = box / "exchange" / "features"
    shutil.copytree(folder, inside)
    for path in (inside.parent, inside, *inside.rglob("*")):
        path.chmod(0o755 if path.is_dir() else 0o644)
    kwargs["features"] = str(inside)
    record["features"] = "class cache"


def data_needs(spec: manifest.GradedTraining, profile: str) -> list[str]:
    """The data a graded run needs beyond its topic's exercises (the profile's backbone)."""
    backbone = spec.backbone.get(profile)
    return [f"{backbone}-weights"] if backbone else []


def _train_exercise_data(topic: manifest.Topic) -> list[str]:
    """What the topic's ``train`` exercise needs: the graded run needs it too."""
    return [n for e in topic.exercises if e.name == "train" for n in e.data]


def missing_data(topics: list[manifest.Topic], profile: str) -> dict[str, list[str]]:
    """Column -> the data this machine lacks for it: such a column is 'not graded', for
    everyone (the machine's problem, never a student's)."""
    from grader.course import data

    wanted = {column(t.name, spec): list(dict.fromkeys([*_train_exercise_data(t),
                                                        *data_needs(spec, profile)]))
              for t in topics for spec in t.graded_trainings}
    lacking = data.missing(n for names in wanted.values() for n in names)
    return {c: [n for n in names if n in lacking] for c, names in wanted.items()
            if any(n in lacking for n in names)}


def column(topic: str, spec: manifest.GradedTraining) -> str:
    """The gradebook column (and the exercise key in results.json) of a graded training."""
    return f"{topic}/training_{spec.name}"


@dataclass
class TrainingOutcome:
    score: TestScore
    record: dict  # what results.json keeps: accuracy, threshold, points, reason, timing
    curves_png: bytes = b""


def _kwargs(spec: manifest.GradedTraining, profile: str) -> dict:
    kwargs = {"profile": profile}
    if spec.variant is not None:
        kwargs["variant"] = spec.variant
    if profile in spec.backbone:
        kwargs["backbone"] = spec.backbone[profile]
    return kwargs


def _score(topic: str, spec: manifest.GradedTraining, profile: str, lease_class: str,
           points: float, top: float, reason: dict) -> TestScore:
    text = pick(reason)
    return TestScore(topic=topic, exercise=f"training_{spec.name}",
                     test=f"graded training ({profile}, {lease_class})",
                     status=Outcome.PASSED if points >= top else Outcome.FAILED,
                     score=points, max_score=top, output="" if points >= top else text,
                     hidden=False)


def run_one(topic: str, spec: manifest.GradedTraining, topic_dir: Path | None,
            training: TrainingPlan, limits: Limits, host_uid: int) -> TrainingOutcome:
    """Train one student's run in a boxed worker and score it here."""
    from grader.grading.worker import session
    from grader.grading.worker.client import WorkerClient

    profile = training.profile
    held = training.heldout(DATASET[spec.task])
    record = {"profile": profile, "task": spec.task, "variant": spec.variant,
              "threshold": None, "floor": None, "accuracy": None, "reported": {},
              "train_seconds": None, "images": len(held)}
    facts, problem = None, None
    kwargs = _kwargs(spec, profile)
    shares = spec.task == "transfer" and spec.variant == 1
    shared = training.class_features(kwargs) if shares else None  # before our own lease
    with training.queue.lease(training.kind) as lease:
        record.update(device=lease.describe("en"), device_class=lease.device_class,
                      waited_s=lease.waited_s)
        box = session.stage_box(topic, topic_dir)
        client = WorkerClient(box, str(box / "submission" / topic), limits, host_uid)
        client.inside = str(box)
        client.extra_env = dict(lease.env)
        client.gpu = lease.kind == "gpu"
        client.log = log = tempfile.TemporaryFile()  # the run's output: its tail on a failure
        client.cover = training.view(DATASET[spec.task]).binds  # no held-out image inside
        try:
            client.ensure_started()  # start-up (python, import torch) is not the run's time
            client.call_timeout = spec.budget_s.get(profile)
            client.import_module("train")
            if shares:
                _offer_features(shared, client, box, kwargs, record)
            facts = client.probe("graded_training", [("module", "train"), FUNCTION[spec.task],
                                                     kwargs, held.images], {})
        except Exception as exc:  # noqa: BLE001 - any failure of student code: 0 points
            problem = _problem(exc)
        finally:
            client.stop()
            shutil.rmtree(box, ignore_errors=True)
            record["log_tail"] = _tail(log)
    device_class = record["device_class"]
    record["threshold"] = spec.threshold_for(profile, device_class)
    record["floor"] = spec.floor_for(profile, device_class)
    png = b""
    if problem is None:  # what the worker sent is the student's process's word: check it all
        problem = _unusable(facts)
    if problem is None:
        record["reported"] = _shown(facts.get("reported"))
        seconds = facts.get("train_seconds")
        record["train_seconds"] = round(float(seconds), 1) if _number(seconds) else None
        png = facts.get("png") if isinstance(facts.get("png"), bytes) else b""
        try:
            record["accuracy"] = round(heldout.score(facts.get("predictions"), held.labels), 4)
        except heldout.BadPredictions as exc:
            problem = exc.why
    points, top, reason = manifest.training_points(record["accuracy"], spec, profile,
                                                   device_class)
    if problem is not None:
        reason = {lang: f"{problem[lang]}; {reason[lang]}" for lang in ("en", "vi")}
    record.update(points=points, max_points=top, reason=reason)
    return TrainingOutcome(_score(topic, spec, profile, device_class, points, top, reason),
                           record, png[:4 << 20] if png.startswith(b"\x89PNG") else b"")


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _shown(reported) -> dict:
    """What the run says of itself, kept for the feedback only: numbers and short words."""
    if not isinstance(reported, dict):
        return {}
    return {str(k)[:40]: (float(v) if _number(v) else v[:80]) for k, v in
            list(reported.items())[:8] if _number(v) or isinstance(v, str)}


def _unusable(facts) -> dict[str, str] | None:
    if not isinstance(facts, dict):
        return {"en": f"the training run answered with {type(facts).__name__}, not its results",
                "vi": f"lần huấn luyện trả về {type(facts).__name__}, không phải kết quả"}
    if facts.get("error"):
        why = str(facts["error"])[:300]
        return {"en": f"the training run gave no usable result: {why}",
                "vi": f"lần huấn luyện không cho kết quả dùng được: {why}"}
    return None


def _tail(log, lines: int = 15, most: int = 4000) -> str:
    """The last lines the run printed (progress, a traceback), for the feedback."""
    try:
        log.seek(max(0, log.seek(0, 2) - most))
        text = log.read().decode("utf-8", "replace")
    finally:
        log.close()
    return "\n".join(text.splitlines()[-lines:])


def _problem(exc: Exception) -> dict[str, str]:
    text = str(exc).strip().splitlines()
    first = (text[0] if text else type(exc).__name__)[:300]
    return {"en": f"the training run failed: {type(exc).__name__}: {first}",
            "vi": f"lần huấn luyện bị lỗi: {type(exc).__name__}: {first}"}

