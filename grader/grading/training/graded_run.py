"""Step 3b of grading: the graded training runs, each a gradebook column.

For each graded training of a topic (``[graded]`` in ``topic.toml``), the student's own
``train_mnist`` / ``train_transfer`` runs in a boxed worker on a leased device, within the
profile's time budget (the import of ``train.py`` and the run share it). The run hands back
its trained weights; a capped child process holds the conversation with the worker
(``training/exchange.py``), so no answer decides what this process allocates. This process
then loads the weights into the architecture the lecture fixes (the reference
``PyTorchCNN``; the reference backbone with the student's head) and classifies held-out
images the box never held (``grader/lab/heldout_images.py``: a secret order, each moved by a secret pixel)
with the lecture's test preprocessing (``grader/lab/reference_eval.py``); no student
code runs during that evaluation. The accuracy becomes points
(``scoring.training_points``). What the run reports about itself (its ``test_acc``) is
shown, never scored."""

from __future__ import annotations

import atexit
import hashlib
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

from grader.core import i18n, manifest, scoring
from grader.core import paths
from grader.core.i18n import pick
from grader.core.limits import Limits
from grader.core.results import Outcome
from grader.lab import data
from grader.lab import reference_eval
from grader.lab import weights_io
from grader.lab.feature_cache import FeatureCache
from grader.lab.training import settings as training_settings
from grader.lab import heldout_images as heldout
from grader.grading.training import devices
from grader.grading.training import secret_labels
from grader.grading.training import secret_images
from grader.grading.training import hidden_test_set
from grader.grading.score import TestScore
from grader.grading.worker import session
from grader.testkit import targets
from grader.grading.training.exchange_reader import EXCHANGE_MEMORY_MB, exchange_in_child, tail_of


HELD_OUT = {"mnist": 5000, "cifar10": 2000}  # images held out of the box, of 10,000

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
    _features: dict = field(default_factory=dict, repr=False)
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

    def heldout_features(self, backbone: str):
        """The frozen reference backbone's features of the held-out CIFAR-10 images, at
        the profile's image size, computed here once per class (trusted code)."""
        held = self.heldout("cifar10")
        with self._features_lock:
            if backbone not in self._features:
                self._features[backbone] = reference_eval.backbone_features(
                    backbone, held.images, _image_size(self.profile))
            return self._features[backbone]

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
    notes: list[str] = field(default_factory=list)  # for the student's notes (gradebook)

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
                     hidden=False, translations=None if points >= top else dict(reason))

def _train_in_box(topic: str, spec: manifest.GradedTraining, topic_dir: Path | None,
                  training: TrainingPlan, limits: Limits, host_uid: int, record: dict):
    """The run itself, in a boxed worker on a leased device, on data whose labels are
    this run's secret ones: ``(facts, weights or None, png, labels)``."""
    file, function = spec.file_and_function
    kwargs = _kwargs(spec, training.profile)
    # cached features carry the public labels: runs on renamed classes extract their own
    shares = spec.task == "transfer" and spec.variant == 1 and \
        not secret_images.renames(spec.data)
    shared = training.class_features(kwargs) if shares else None  # before our own lease
    view = training.view(spec.data)
    with training.queue.lease(training.kind) as lease, \
            tempfile.TemporaryDirectory(prefix="cnnkit-exchange-") as tmp:
        record.update(device=lease.describe("en"), device_class=lease.device_class,
                      waited_s=lease.waited_s)
        labels = secret_images.for_run(spec.data, view,  # drawn for this run alone
                                       _images_read(topic, spec, training.profile))
        record["secret_labels"] = labels.secret
        box = session.stage_box(topic, topic_dir)
        try:
            facts, state, png = exchange_in_child(Path(tmp), {
                "box": str(box), "topic": topic, "limits": limits, "host_uid": host_uid,
                # the run prints in the grader's language (the exchange keeps both)
                "env": {**lease.env, "CNNKIT_LANG": i18n.current_lang()},
                "gpu": lease.kind == "gpu",
                "cover": labels.cover(view.binds),
                "budget_s": spec.budget_s.get(training.profile) or 600, "function": function,
                "module": Path(file).stem,
                "kwargs": kwargs, "memory_mb": EXCHANGE_MEMORY_MB,
                "shared": (shared[0], str(shared[1])) if shared else None,
                "log": str(Path(tmp) / "run.log")})
        finally:
            shutil.rmtree(box, ignore_errors=True)
            labels.close()
            record["log_tail"] = tail_of(Path(tmp) / "run.log")
    return facts, state, png, labels

def _images_read(topic: str, spec: manifest.GradedTraining, profile: str) -> dict:
    """How many images of each split a transfer run reads (0: all), so that only those
    are copied for its renamed classes: ``n_train`` and ``n_val`` come from the training
    files, split 90% / 10% by the datamodule, ``n_test`` from the test files."""
    if spec.task != "transfer":
        return {}
    settings = training_settings(topic, spec.task, profile, spec.variant)
    n_train, n_val = int(settings.get("n_train", 0)), int(settings.get("n_val", 0))
    train = 0 if not (n_train and n_val) else max(-(-n_train * 10 // 9), 10 * n_val)
    return {"train": train, "test": int(settings.get("n_test", 0))}

def run_one(topic: str, spec: manifest.GradedTraining, topic_dir: Path | None,
            training: TrainingPlan, limits: Limits, host_uid: int) -> TrainingOutcome:
    """Train one student's run in a boxed worker; evaluate its weights here."""
    profile = training.profile
    held = training.heldout(spec.data)
    record = {"profile": profile, "task": spec.task, "variant": spec.variant,
              "threshold": None, "floor": None, "accuracy": None, "reported": {},
              "train_seconds": None, "images": len(held), "evaluated": _evaluated(spec, profile)}
    facts, state, png, labels = _train_in_box(topic, spec, topic_dir, training, limits,
                                              host_uid, record)
    device_class = record["device_class"]
    record["threshold"] = spec.threshold_for(profile, device_class)
    record["floor"] = spec.floor_for(profile, device_class)
    record["reported"] = facts.get("reported") or {}
    record["train_seconds"] = facts.get("train_seconds")
    if facts.get("features"):
        record["features"] = facts["features"]
    problem = facts.get("problem")
    if problem is None:
        problem = _measure(training, spec, profile, state, held, labels, record)
    points, top, reason = scoring.training_points(record["accuracy"], spec, profile,
                                                   device_class)
    if problem is not None:
        reason = {lang: f"{problem[lang]}; {reason[lang]}" for lang in ("en", "vi")}
    if record.get("not_trained_here"):
        points = 0.0
    record.update(points=points, max_points=top, reason=reason)
    notes = [{lang: f"{column(topic, spec)}: {problem[lang]}" for lang in ("en", "vi")}] \
        if record.get("not_trained_here") else []
    return TrainingOutcome(_score(topic, spec, profile, device_class, points, top, reason),
                           record, png, notes)

def _measure(training: TrainingPlan, spec: manifest.GradedTraining, profile: str, state,
             held: heldout.HeldOut, labels: secret_labels.SecretLabels,
             record: dict) -> dict | None:
    """Score the run's weights on the held-out images against the names this run's data
    gave their classes (``record["accuracy"]``), and against the public names; the
    problem to report (weights that cannot be evaluated, or weights that answer by the
    public names: not trained in this run), or None."""
    try:
        predictions = _evaluate(training, spec, profile, state, held)
        record["accuracy"] = round(heldout.score(predictions, labels.relabel(held.labels)), 4)
    except (weights_io.BadWeights, heldout.BadPredictions) as exc:
        return {"en": f"the trained weights cannot be evaluated in the lecture's network: "
                      f"{exc.why['en']}",
                "vi": f"không đánh giá được trọng số đã huấn luyện trong mạng của bài giảng: "
                      f"{exc.why['vi']}"}
    if not labels.secret:
        return None
    public = round(heldout.score(predictions, held.labels), 4)
    record["public_label_accuracy"] = public
    record["not_trained_here"] = public >= record["floor"] and public > record["accuracy"]
    if not record["not_trained_here"]:
        return None
    return {
        "en": f"weights not trained in this run: this run's training data named the classes "
              f"by a secret permutation drawn for it, and the weights name the held-out "
              f"images by their public labels instead (accuracy {public:.4f} by the public "
              f"labels, {record['accuracy']:.4f} by this run's); weights fitted before the "
              f"run earn no training points",
        "vi": f"trọng số không được huấn luyện trong lần chạy này: dữ liệu huấn luyện của lần "
              f"chạy này gọi tên các lớp theo một hoán vị bí mật rút riêng cho nó, còn bộ "
              f"trọng số lại gọi tên ảnh giữ lại theo nhãn công khai (độ chính xác "
              f"{public:.4f} theo nhãn công khai, {record['accuracy']:.4f} theo nhãn của lần "
              f"chạy này); trọng số khớp sẵn trước lần chạy không được điểm huấn luyện"}

def _evaluated(spec: manifest.GradedTraining, profile: str) -> str:
    """What the trusted side evaluates, in words, for results.json."""
    if spec.task == "mnist":
        return "the run's weights in the reference PyTorchCNN"
    return f"the run's head on the frozen reference {spec.backbone.get(profile, 'resnet18')}"

def _image_size(profile: str) -> int:
    """The transfer profile's image size, as its topic.toml declares it."""
    return int(training_settings("03_transfer", "transfer", profile, 1)["image_size"])

def _evaluate(training: TrainingPlan, spec: manifest.GradedTraining, profile: str, state,
              held: heldout.HeldOut):
    """The classes the lecture's architecture, with the run's weights, gives the
    held-out images: computed here, with no student code."""
    if state is None:
        raise weights_io.BadWeights({"en": "the run handed back no weights",
                                     "vi": "lần chạy không trả về trọng số"})
    if spec.task == "mnist":
        return reference_eval.mnist_predictions(state, held.images)
    backbone = spec.backbone.get(profile, "resnet18")
    return reference_eval.head_predictions(state, training.heldout_features(backbone))
