"""The exercise manifest: ``topic.toml`` in every topic folder.

It holds the format version, titles, points, hints (English and Vietnamese) and the hint
for a failure's check (``hint_for``), the data sets and weights each exercise's tests need
(names in ``datasets/manifest.toml``), the time limit the grader gives one submission of
the topic, and the graded training tasks (``[graded.<task>]``: points, accuracy floor and
threshold per profile and device class, time budget). ``cnnkit dev check`` validates it.

Format 2 (this kit; docs/maintainers.md) describes each graded training as a gradebook column.
A number holds for both device classes (``cpu``, ``gpu``); a table gives each its own.
Between the floor and the threshold the points grow linearly (``scoring.training_points``). A
task with variants lists them under ``[graded.<task>.variant.<n>]``; what the task table
itself sets (``budget_s``, ``backbone``, ...) is the default of each variant, and a
variant's ``settings`` overlay the task's, profile by profile. Format 1's
``[graded]`` (bare thresholds per profile) is still read: its tasks carry no points.
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from grader.core import paths
from grader.core.errors import BadInput, NotFound, UnknownName
from grader.core.i18n import msg, pick

MANIFEST_NAME = "topic.toml"
FORMAT = 2
READABLE_FORMATS = (1, 2)
# Every key the kit reads; anything else in a topic.toml is a mistake (dev check says so).
TOPIC_KEYS = {"format", "title", "timeout_s"}
EXERCISE_KEYS = {"name", "file", "points", "title", "hints", "data", "hint_for"}
TOP_KEYS = {"topic", "exercises", "graded"}
GRADED_ITEM_KEYS = {"points", "floor", "threshold", "budget_s", "backbone", "function", "data",
                    "settings"}
GRADED_TASK_KEYS = GRADED_ITEM_KEYS | {"variant"}
PROFILES = ("quick", "full")
DEVICE_CLASSES = ("cpu", "gpu")


@dataclass(frozen=True)
class Exercise:
    topic: str
    name: str
    file: str
    points: float
    title: dict[str, str]
    hints: dict[str, list[str]] = field(default_factory=dict)
    data: tuple[str, ...] = ()  # data sets / weights its tests need (datasets/manifest.toml)
    hint_for: dict[str, int] = field(default_factory=dict)  # a check or fixed kind -> hint no.

    def owns_test_file(self, filename: str) -> bool:
        """Visible tests are ``test_<name>.py``; hidden ones ``test_<name>_hidden.py``."""
        stem = Path(filename).stem
        return stem in (f"test_{self.name}", f"test_{self.name}_hidden")

    def hint_list(self, lang: str) -> list[str]:
        return self.hints.get(lang) or self.hints.get("en", [])


@dataclass(frozen=True)
class GradedTraining:
    """One graded training task (or one variant of it): a gradebook column when
    ``points > 0``. Accuracies are fractions in [0, 1]."""

    topic: str
    task: str  # "mnist", "transfer": what `cnnkit train TASK` runs
    variant: int | None
    points: float
    threshold: dict[str, dict[str, float]]  # profile -> device class -> full points from
    floor: dict[str, dict[str, float]]  # profile -> device class -> no points at or below
    budget_s: dict[str, float] = field(default_factory=dict)  # profile -> one run's limit
    backbone: dict[str, str] = field(default_factory=dict)  # profile -> backbone to use
    function: str = ""  # "train.py:train_mnist": the file and the function a run calls
    data: str = ""  # its held-out images' data set (a name in datasets/manifest.toml)
    settings: dict[str, dict] = field(default_factory=dict)  # profile -> the run's settings

    def settings_for(self, profile: str) -> dict:
        """A fresh copy of ``profile``'s run settings (epochs, batch size, learning rate...)."""
        if profile not in self.settings:
            where = f"[graded.{self.task}.settings.{profile}]"
            raise UnknownName(msg(f"graded {self.name}: no {where} in {self.topic}/{MANIFEST_NAME}",
                                  f"graded {self.name}: không có {where} trong "
                                  f"{self.topic}/{MANIFEST_NAME}"))
        return dict(self.settings[profile])

    @property
    def file_and_function(self) -> tuple[str, str]:
        if ":" not in self.function:
            raise UnknownName(msg(
                f"graded {self.name}: no `function = \"FILE.py:NAME\"` in "
                f"{self.topic}/{MANIFEST_NAME}",
                f"graded {self.name}: không có `function = \"FILE.py:NAME\"` trong "
                f"{self.topic}/{MANIFEST_NAME}"))
        file, _, name = self.function.partition(":")
        return file, name

    @property
    def name(self) -> str:
        """``mnist``, ``transfer_v1``: unique within the topic."""
        return self.task if self.variant is None else f"{self.task}_v{self.variant}"

    @property
    def graded(self) -> bool:
        return self.points > 0

    def threshold_for(self, profile: str, device_class: str) -> float:
        return _lookup(self.threshold, profile, device_class, self.name)

    def floor_for(self, profile: str, device_class: str) -> float:
        return _lookup(self.floor, profile, device_class, self.name)


def _lookup(table, profile, device_class, name):
    try:
        return table[profile][device_class]
    except KeyError:
        known = f"(profiles {', '.join(PROFILES)}; classes {', '.join(DEVICE_CLASSES)})"
        raise UnknownName(msg(
            f"graded {name}: no value for profile {profile!r} on device class "
            f"{device_class!r} {known}",
            f"graded {name}: không có giá trị cho profile {profile!r} trên lớp thiết bị "
            f"{device_class!r} {known}")) from None


@dataclass(frozen=True)
class Topic:
    name: str
    title: dict[str, str]
    timeout_s: int
    exercises: tuple[Exercise, ...]
    graded: dict = field(default_factory=dict)  # the raw [graded] table
    format: int | None = None
    raw: dict = field(default_factory=dict, compare=False, repr=False)
    trainings: tuple[GradedTraining, ...] = ()  # [graded], parsed

    def training(self, task: str, variant: int | None = None) -> GradedTraining:
        """The graded training ``task`` (and ``variant``, for tasks that have variants)."""
        for t in self.trainings:
            if t.task == task and (t.variant is None or t.variant == variant):
                return t
        have = ", ".join(t.name for t in self.trainings) or "none"
        which = f"{task!r}" + (f" variant {variant}" if variant is not None else "")
        raise UnknownName(msg(f"topic {self.name} has no graded training {which}; it has {have}",
                              f"chủ đề {self.name} không có bài huấn luyện chấm điểm {which}; "
                              f"các bài có: {have}"))

    @property
    def graded_trainings(self) -> tuple[GradedTraining, ...]:
        """The trainings that are gradebook columns (``points > 0``)."""
        return tuple(t for t in self.trainings if t.graded)

    @property
    def files(self) -> list[str]:
        return [e.file for e in self.exercises]

    def exercise(self, name: str) -> Exercise:
        for e in self.exercises:
            if e.name == name or e.file == name:
                return e
        names = [e.name for e in self.exercises]
        close = difflib.get_close_matches(str(name).removesuffix(".py"), names, n=1)
        hint = ({"en": f" Did you mean {close[0]}?", "vi": f" Ý bạn là {close[0]}?"} if close
                else {"en": "", "vi": ""})
        raise UnknownName(pick({
            "en": f"topic {self.name} has no exercise {name!r}; it has {', '.join(names)}."
                  + hint["en"],
            "vi": f"chủ đề {self.name} không có bài {name!r}; các bài: {', '.join(names)}."
                  + hint["vi"]}))

    def exercise_for_test_file(self, filename: str) -> Exercise | None:
        return next((e for e in self.exercises if e.owns_test_file(filename)), None)


def topic_folder(topic: str) -> Path:
    for base in (paths.solutions_dir(), paths.exercises_dir()):
        if (base / topic / MANIFEST_NAME).is_file():
            return base / topic
    raise NotFound(msg(f"no {MANIFEST_NAME} for topic {topic}",
                       f"không có {MANIFEST_NAME} cho chủ đề {topic}"))


def _fraction(value, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise ValueError(f"{where} must be an accuracy between 0 and 1, not {value!r}")
    return float(value)


def _per_profile_class(value, where: str) -> dict[str, dict[str, float]]:
    """``0.97``, ``{quick = 0.97, full = 0.985}`` or ``{full = {cpu = .., gpu = ..}}``:
    profile -> device class -> fraction, every profile and class present."""
    if not isinstance(value, dict):
        value = {p: value for p in PROFILES}
    if set(value) != set(PROFILES):
        raise ValueError(f"{where} needs exactly the profiles {', '.join(PROFILES)}, "
                         f"not {', '.join(sorted(value)) or 'none'}")
    out = {}
    for profile in PROFILES:
        per = value[profile]
        if not isinstance(per, dict):
            per = {c: per for c in DEVICE_CLASSES}
        if set(per) != set(DEVICE_CLASSES):
            raise ValueError(f"{where}.{profile} needs exactly the device classes "
                             f"{', '.join(DEVICE_CLASSES)}, not {', '.join(sorted(per))}")
        out[profile] = {c: _fraction(per[c], f"{where}.{profile}.{c}") for c in DEVICE_CLASSES}
    return out


def _per_profile(value, where: str, kind) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        value = {p: value for p in PROFILES}
    unknown = set(value) - set(PROFILES)
    if unknown:
        raise ValueError(f"{where}: unknown profile {', '.join(sorted(unknown))}")
    return {p: kind(v) for p, v in value.items()}


def _positive(value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ValueError(f"a positive number of seconds, not {value!r}")
    return float(value)


def _training(topic: str, task: str, variant: int | None, item: dict) -> GradedTraining:
    where = f"[graded.{task}" + (f".variant.{variant}]" if variant is not None else "]")
    points = item.get("points", 0)
    if isinstance(points, bool) or not isinstance(points, (int, float)) or points < 0:
        raise ValueError(f"{where} points must be a number >= 0, not {points!r}")
    if "threshold" not in item:
        raise KeyError(f"{where} threshold")
    threshold = _per_profile_class(item["threshold"], f"{where} threshold")
    floor = _per_profile_class(item.get("floor", item["threshold"]), f"{where} floor")
    for p in PROFILES:
        for c in DEVICE_CLASSES:
            if floor[p][c] > threshold[p][c]:
                raise ValueError(f"{where} the floor {floor[p][c]} of {p}/{c} lies above its "
                                 f"threshold {threshold[p][c]}")
    return GradedTraining(
        topic=topic, task=task, variant=variant, points=float(points), threshold=threshold,
        floor=floor, budget_s=_per_profile(item.get("budget_s"), f"{where} budget_s", _positive),
        backbone=_per_profile(item.get("backbone"), f"{where} backbone", str),
        function=_text(item.get("function", ""), f"{where} function"),
        data=_text(item.get("data", ""), f"{where} data"),
        settings=_settings(item.get("settings"), f"{where} settings"))


SETTING_TYPES = (bool, int, float, str)


def _settings(value, where: str) -> dict[str, dict]:
    """``{quick = {max_epochs = 2, ...}, full = {...}}``: flat tables of plain values."""
    tables = _per_profile(value, where, lambda table: table)
    for profile, table in tables.items():
        if not isinstance(table, dict) or not all(isinstance(v, SETTING_TYPES)
                                                  for v in table.values()):
            raise ValueError(f"{where}.{profile} must be a table of numbers, strings and "
                             f"booleans, not {table!r}")
    return tables


def _merged_settings(task: dict, variant: dict) -> dict:
    """A variant's settings overlay its task's, profile by profile."""
    base, over = task.get("settings") or {}, variant.get("settings") or {}
    if not (isinstance(base, dict) and isinstance(over, dict)):
        return over or base  # _settings names the mistake
    return {p: {**base.get(p, {}), **over.get(p, {})} for p in {*base, *over}}


def _text(value, where: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{where} must be a string, not {value!r}")
    return value


def _legacy_trainings(topic: str, graded: dict) -> tuple[GradedTraining, ...]:
    """Format 1: ``quick = 0.975`` or ``quick = { 1 = 0.64, ... }``: thresholds only."""
    out = []
    for task, table in graded.items():
        quick = table.get("quick")
        variants = sorted(int(v) for v in quick) if isinstance(quick, dict) else [None]
        for v in variants:
            thresholds = {p: (table[p][str(v)] if v is not None else table[p]) for p in PROFILES}
            out.append(_training(topic, task, v, {"threshold": thresholds}))
    return tuple(out)


def parse_trainings(topic: str, graded: dict, format: int | None = FORMAT
                    ) -> tuple[GradedTraining, ...]:
    """The graded trainings of a ``[graded]`` table (see the module's docstring)."""
    legacy = not any(isinstance(t, dict) and ({"threshold", "variant"} & set(t))
                     for t in graded.values())
    if format == 1 and legacy:
        return _legacy_trainings(topic, graded)
    out = []
    for task, table in graded.items():
        if not isinstance(table, dict):
            raise ValueError(f"[graded.{task}] must be a table")
        defaults = {k: v for k, v in table.items() if k != "variant"}
        variants = table.get("variant")
        if variants is None:
            out.append(_training(topic, task, None, defaults))
            continue
        if not isinstance(variants, dict) or not variants:
            raise ValueError(f"[graded.{task}.variant] must hold tables such as "
                             f"[graded.{task}.variant.1]")
        for key in sorted(variants, key=lambda k: int(k)):
            item = {**defaults, **variants[key]}
            item["settings"] = _merged_settings(defaults, variants[key])
            out.append(_training(topic, task, int(key), item))
    return tuple(out)


def parse(raw: dict, topic: str) -> Topic:
    """A ``Topic`` from the parsed TOML; a missing required field is a ``BadInput``."""
    try:
        head = raw["topic"]
        exercises = tuple(
            Exercise(topic=topic, name=e["name"], file=e["file"], points=float(e["points"]),
                     title=e.get("title", {"en": e["name"]}), hints=e.get("hints", {}),
                     data=tuple(e.get("data", ())), hint_for=dict(e.get("hint_for", {})))
            for e in raw["exercises"])
        graded = raw.get("graded", {})
        return Topic(name=topic, title=head["title"], timeout_s=int(head.get("timeout_s", 300)),
                     exercises=exercises, graded=graded, format=head.get("format"), raw=raw,
                     trainings=parse_trainings(topic, graded, head.get("format")))
    except (KeyError, TypeError, ValueError) as exc:
        raise BadInput(msg(f"{topic}/{MANIFEST_NAME}: missing or malformed field {exc}",
                           f"{topic}/{MANIFEST_NAME}: thiếu hoặc sai trường {exc}")) from None


def load_file(path: Path, topic: str | None = None) -> Topic:
    with open(path, "rb") as fh:
        try:
            raw = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise BadInput(msg(f"{path}: not valid TOML ({exc})",
                           f"{path}: không phải TOML hợp lệ ({exc})")) from None
    return parse(raw, topic or Path(path).parent.name)


def load_topic(topic: str) -> Topic:
    return load_file(topic_folder(topic) / MANIFEST_NAME, topic)


def load_all() -> list[Topic]:
    return [load_topic(t) for t in paths.topics()]
