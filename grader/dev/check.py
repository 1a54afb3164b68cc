"""``cnnkit dev check``: what must hold for the kit to grade correctly, checked at once.

Like rustlings' ``dev check``: every manifest is complete and fully used, every test
file belongs to an exercise (else it would silently score nothing), every exercise has
a test and hints in both languages (``hint_for`` naming its own checks), and every
generated stub compiles and matches the committed ``exercises/``.
"""

from __future__ import annotations

import ast
import tempfile
import tomllib
from pathlib import Path

from grader.core import manifest, paths
from grader.core.errors import CnnkitError
from grader.core.failure_kinds import FIXED
from grader.core.i18n import LANGS
from grader.lab import data
from grader.export import stubgen

GRADED_TASKS = {"mnist", "transfer"}  # read by `cnnkit train` (grader/cli/handlers.py)
GRADED_VARIANTS = {"mnist": set(), "transfer": {1, 2, 3}}  # the lecture's fine-tuning variants
DATA_NAMES = tuple(data.load_manifest())  # what an exercise's `data = [...]` may name


def _unknown(table: dict, known: set[str], where: str) -> list[str]:
    return [f"{where}: field {key!r} is declared but the kit never reads it"
            for key in sorted(set(table) - known)]


def check_manifest(topic_dir: Path, hidden_dir: Path | None = None) -> list[str]:
    """Problems in ``topic_dir/topic.toml`` and the test files around it."""
    name = topic_dir.name
    where = f"{name}/{manifest.MANIFEST_NAME}"
    path = topic_dir / manifest.MANIFEST_NAME
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        topic = manifest.parse(raw, name)
    except (OSError, tomllib.TOMLDecodeError, CnnkitError) as exc:
        return [f"{where}: cannot be read: {exc}"]
    problems = _unknown(raw, manifest.TOP_KEYS, where)
    problems += _unknown(raw["topic"], manifest.TOPIC_KEYS, f"{where} [topic]")
    problems += _unknown(raw.get("graded", {}), GRADED_TASKS, f"{where} [graded]")
    problems += check_graded(raw.get("graded", {}), topic, where)
    problems += check_graded_code(topic, topic_dir, where)
    if topic.format is None:
        problems.append(f"{where}: no format version (add `format = {manifest.FORMAT}` to "
                        "[topic])")
    elif topic.format != manifest.FORMAT:
        problems.append(f"{where}: format {topic.format!r}, this kit reads format "
                        f"{manifest.FORMAT}")
    for lang in LANGS:
        if not topic.title.get(lang):
            problems.append(f"{where}: the topic has no {lang} title")
    tests = sorted(topic_dir.glob("test_*.py"))
    if hidden_dir is not None and hidden_dir.is_dir():
        tests += sorted(hidden_dir.glob("test_*.py"))
    for i, entry in enumerate(raw["exercises"]):
        ex = topic.exercises[i]
        label = f"{where} exercise {ex.name!r}"
        problems += _unknown(entry, manifest.EXERCISE_KEYS, label)
        if not (topic_dir / ex.file).is_file():
            problems.append(f"{label}: its file {ex.file} does not exist")
        if not any(ex.owns_test_file(t.name) for t in tests):
            problems.append(f"{label}: has no test file (test_{ex.name}.py)")
        problems += [f"{label}: needs data {name!r}, which datasets/manifest.toml does not list "
                     f"(known: {', '.join(DATA_NAMES)})" for name in ex.data if name not in DATA_NAMES]
        if ex.points <= 0:
            problems.append(f"{label}: points must be positive, not {ex.points:g}")
        counts = {lang: len(ex.hints.get(lang, [])) for lang in LANGS}
        for lang in LANGS:
            if not counts[lang]:
                problems.append(f"{label}: no hints in {lang}")
            if not ex.title.get(lang):
                problems.append(f"{label}: no {lang} title")
        if len(set(counts.values())) > 1:
            problems.append(f"{label}: hint counts differ between languages {counts}")
        visible = [t for t in tests if t.parent == topic_dir and ex.owns_test_file(t.name)]
        problems += check_hint_for(ex, counts["en"], visible, label)
    for test in tests:
        if topic.exercise_for_test_file(test.name) is None:
            problems.append(f"{name}/{test.name}: belongs to no exercise, so it would score "
                            f"nothing (name it test_<exercise>.py or test_<exercise>_hidden.py)")
    return problems


def check_graded(graded: dict, topic: manifest.Topic, where: str) -> list[str]:
    """The ``[graded]`` tables: known keys and variants, and what a gradebook column needs
    (``parse`` has already checked the values' types and ranges)."""
    problems = []
    for task, table in graded.items():
        if task not in GRADED_TASKS or not isinstance(table, dict):
            continue
        label = f"{where} [graded.{task}]"
        problems += _unknown(table, manifest.GRADED_TASK_KEYS, label)
        variants = table.get("variant", {})
        for key, item in (variants.items() if isinstance(variants, dict) else ()):
            if not str(key).isdigit() or int(key) not in GRADED_VARIANTS[task]:
                known = ", ".join(map(str, sorted(GRADED_VARIANTS[task]))) or "none"
                problems.append(f"{label}: variant {key!r} does not exist (known: {known})")
            elif isinstance(item, dict):
                problems += _unknown(item, manifest.GRADED_ITEM_KEYS,
                                     f"{where} [graded.{task}.variant.{key}]")
    for spec in topic.trainings:
        label = f"{where} [graded] {spec.name}"
        if not spec.graded:
            continue
        for profile in manifest.PROFILES:
            if profile not in spec.budget_s:
                problems.append(f"{label}: a gradebook column needs budget_s for {profile} "
                                "(the time limit of one graded run)")
            if profile not in spec.settings:
                problems.append(f"{label}: a gradebook column needs settings for {profile} "
                                f"([graded.{spec.task}.settings], what the run reads)")
            for cls in manifest.DEVICE_CLASSES:
                if spec.floor_for(profile, cls) >= spec.threshold_for(profile, cls):
                    problems.append(f"{label}: floor {spec.floor_for(profile, cls):g} must lie "
                                    f"below the threshold {spec.threshold_for(profile, cls):g} "
                                    f"({profile}/{cls}) for partial credit")
    return problems


def _functions(path: Path) -> set[str]:
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError):
        return set()
    return {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}


def check_hint_for(ex: manifest.Exercise, hint_count: int, tests: list[Path],
                   label: str) -> list[str]:
    """``hint_for`` names checks of this exercise (test functions of its visible test
    files: topic.toml reaches students, a hidden test's name must not) or fixed kinds,
    each with a hint it has."""
    checks = set(FIXED).union(*(_functions(t) for t in tests))
    problems = []
    for check, number in ex.hint_for.items():
        if check not in checks:
            problems.append(f"{label}: hint_for names {check!r}, which is neither a test of "
                            "this exercise nor a fixed failure kind")
        if type(number) is not int or not 1 <= number <= hint_count:
            problems.append(f"{label}: hint_for.{check} = {number!r}, but the hints are "
                            f"numbered 1 to {hint_count}")
    return problems


def check_graded_code(topic: manifest.Topic, topic_dir: Path, where: str) -> list[str]:
    """Every graded task names a file of the topic that defines its function (at the top
    level), and a data set that datasets/manifest.toml lists."""
    problems = []
    for spec in topic.trainings:
        if not spec.graded:
            continue
        label = f"{where} [graded] {spec.name}"
        file, _, function = spec.function.partition(":")
        if not function:
            problems.append(f"{label}: declares no `function = \"FILE.py:NAME\"` (what a "
                            "graded run calls)")
        elif not (topic_dir / file).is_file():
            problems.append(f"{label}: its function's file {file} does not exist")
        elif function not in _functions(topic_dir / file):
            problems.append(f"{label}: {file} defines no function {function}")
        if spec.data not in DATA_NAMES:
            problems.append(f"{label}: data {spec.data!r} is not in datasets/manifest.toml "
                            f"(known: {', '.join(DATA_NAMES)})")
    return problems


def check_stubs(topic_dir: Path) -> list[str]:
    """Every stub generated from ``topic_dir`` must parse as Python."""
    problems = []
    for path in sorted(topic_dir.glob("*.py")):
        try:
            stub = stubgen.strip_solutions(path.read_text(encoding="utf-8"), str(path))
            ast.parse(stub, filename=f"exercises/{topic_dir.name}/{path.name}")
        except SyntaxError as exc:
            problems.append(f"the stub of {topic_dir.name}/{path.name} does not compile: "
                            f"line {exc.lineno}: {exc.msg}")
        except CnnkitError as exc:
            problems.append(str(exc))
    return problems


def check_in_sync() -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        for topic in paths.topics(paths.solutions_dir()):
            stubgen.generate_topic(topic, Path(tmp))
        return [f"{p} (run ./kit dev sync)" for p in stubgen.drift(paths.exercises_dir(),
                                                                    Path(tmp))]


def run_all() -> list[str]:
    problems = []
    for topic in paths.topics(paths.solutions_dir()):
        folder = paths.solutions_dir() / topic
        problems += check_manifest(folder, paths.hidden_tests_dir() / topic)
        problems += check_stubs(folder)
    return problems + check_in_sync()
