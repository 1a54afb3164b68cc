"""The run folder of one topic: the kit's tests and the whitelisted exercise files of
the submission, copied without following links; what was left out, and why."""

from __future__ import annotations

import shutil
from pathlib import Path

from grader.core import manifest
from grader.core.messages import Note, said
from grader.core.testfiles import kit_topic_dir, topic_test_files
from grader.grading import names
from grader.grading.box import safefiles


# Files that could change how tests run: never used, for the reason named (core.messages).
IGNORED_REASONS = {"conftest.py": "folder.why.conftest", "pytest.ini": "folder.why.ini",
                   "setup.cfg": "folder.why.ini", "tox.ini": "folder.why.ini",
                   "pyproject.toml": "folder.why.project",
                   "sitecustomize.py": "folder.why.sitecustomize",
                   "usercustomize.py": "folder.why.usercustomize"}

def ignored_files(topic_dir: Path, allowed: list[str]) -> list[Note]:
    """Files that could change how tests run, which the grader ignores, with the reason.

    Unchanged copies of the kit's own files (its tests, the sample image) are not noted.
    Links are never followed (discovery names them).
    """
    notes = []
    if not safefiles.is_plain_dir(topic_dir):
        return notes
    kit = kit_topic_dir(topic_dir.name)
    try:  # iterative and bounded (discovery refused trees past the limits already)
        found = sorted(safefiles.walk(topic_dir), key=lambda p: p.relative_to(topic_dir).parts)
    except safefiles.TreeRefused as exc:
        return [exc.note]
    for path in found:
        if "__pycache__" in path.relative_to(topic_dir).parts:
            continue
        name = path.name
        rel = path.relative_to(topic_dir).as_posix()
        if rel in allowed or not safefiles.is_plain_file(path):
            continue
        reason = IGNORED_REASONS.get(name)
        if reason is None and name.startswith("test_") and name.endswith(".py"):
            original = kit / rel
            try:
                if original.is_file() and original.read_bytes() == safefiles.read_bytes(path):
                    continue
            except safefiles.UnsafeFile:
                pass
            reason = "folder.why.test_file"
        if reason:  # a name that is not UTF-8 is shown escaped (test_b\xe0i.py)
            shown = names.clean(f"{topic_dir.name}/{rel}")
            notes.append(said("folder.ignored", path=shown, reason=said(reason)))
    return notes

def build(topic: str, submission_topic_dir: Path | None, box: Path) -> list[Note]:
    """Lay out ``box``: tests/<topic> from the kit, submission/<topic> from the whitelist."""
    info = manifest.load_topic(topic)
    tests = box / "tests" / topic
    tests.mkdir(parents=True)
    source = kit_topic_dir(topic)
    for f in topic_test_files(topic):
        shutil.copy2(f, tests / f.name)
    for f in source.iterdir():  # data the tests read (sample image, manifest)
        if f.is_file() and f.suffix not in (".py", ".pyc"):
            shutil.copy2(f, tests / f.name)
    sub = box / "submission" / topic
    sub.mkdir(parents=True)
    notes = []
    usable = submission_topic_dir is not None and safefiles.is_plain_dir(submission_topic_dir)
    for name in info.files:
        try:
            if not usable:
                raise safefiles.UnsafeFile(name)
            safefiles.copy_file(submission_topic_dir / name, sub / name)
        except safefiles.UnsafeFile:
            notes.append(said("folder.missing_file", topic=topic, name=name))
    if usable:
        notes += ignored_files(submission_topic_dir, info.files)
    (box / "pytest.ini").write_text("[pytest]\n")
    return notes
