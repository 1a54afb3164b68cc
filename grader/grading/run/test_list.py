"""The kit's own test list of a topic (expected, reported and gate tests), collected
once and cached by a digest of the kit's tests, source and packages."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import grader
from grader.core import manifest, paths, runner
from grader.core.files import atomic_write
from grader.core.results import LISTED_TEST
from grader.core.testfiles import kit_topic_dir, topic_test_files
from grader.grading.run.run_folder import build


def kit_digest(topics: list[str]) -> str:
    """Changes with the kit's version, each topic's tests and its manifest (points)."""
    h = hashlib.sha256(grader.__version__.encode())
    for topic in topics:
        for f in [*topic_test_files(topic), manifest.topic_folder(topic) / manifest.MANIFEST_NAME]:
            h.update(f.name.encode() + b"\0" + f.read_bytes())
    return h.hexdigest()[:16]

def kit_source_digest() -> str:
    """Changes with the kit's version and any of its Python source files."""
    h = hashlib.sha256(grader.__version__.encode())
    for f in sorted(Path(grader.__file__).parent.rglob("*.py")):
        h.update(f.as_posix().encode() + b"\0" + f.read_bytes())
    return h.hexdigest()

def expected_tests(topic: str) -> tuple[str, ...]:
    """Test ids a run must report, collected once from the kit's own files (trusted)."""
    return tuple(kit_tests(topic))

def reported_tests(topic: str) -> frozenset[str]:
    """Tests marked ``reported``: they rest on what the student's process says about its
    own objects (a layer table, a logged metric name), so they earn points only beside the
    exercise's checked tests (see ``score``)."""
    return frozenset(n for n, marks in kit_tests(topic).items() if "reported" in marks)

def gate_tests(topic: str) -> frozenset[str]:
    """Tests marked ``gate``: a rule the trusted side checks on the submitted source; when
    one fails, its exercise scores zero (see ``score``)."""
    return frozenset(n for n, marks in kit_tests(topic).items() if "gate" in marks)

_COLLECTING = threading.Lock()  # parallel jobs ask at once; collect each topic once

def kit_tests(topic: str) -> dict[str, frozenset[str]]:
    """{test id: its scoring markers} of the kit's own test files: one collection per topic
    and process, whatever asks (the expected list, the scorer, nbgrader)."""
    with _COLLECTING:
        return _kit_tests(topic)

@lru_cache(maxsize=None)
def _kit_tests(topic: str) -> dict[str, frozenset[str]]:
    """Read from the cache when the kit, its tests and the interpreter are those that
    collected it; else collected (a Python start and the imports: seconds) and cached."""
    saved = paths.cache_root() / "tests" / f"{topic}-{_collection_key(topic)}.json"
    try:
        listed = json.loads(saved.read_text())
        return {nodeid: frozenset(marks) for nodeid, marks in listed.items()}
    except (OSError, ValueError, AttributeError, TypeError):
        pass
    found = _collect_kit_tests(topic)
    try:
        saved.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(saved, json.dumps({k: sorted(v) for k, v in found.items()}))
    except OSError:  # a read-only home: collected again next time
        pass
    return found

def _collection_key(topic: str) -> str:
    """What a topic's test ids and markers depend on: the kit's tests, manifest and source,
    and the Python and packages that collect them."""
    h = hashlib.sha256((kit_digest([topic]) + kit_source_digest() + sys.version).encode())
    for package in ("pytest", "hypothesis", "torch", "torchvision", "lightning"):
        try:
            h.update(f"{package}=={metadata.version(package)}".encode())
        except metadata.PackageNotFoundError:
            pass
    return h.hexdigest()[:20]

def _collect_kit_tests(topic: str) -> dict[str, frozenset[str]]:
    import tempfile

    box = Path(tempfile.mkdtemp(prefix=f"cnnkit-collect-{topic}-"))
    build(topic, kit_topic_dir(topic), box)
    proc = subprocess.run(
        runner.pytest_command([f"tests/{topic}"], ini=box / "pytest.ini", rootdir=box,
                              extra=["--collect-only", "--cnnkit-list-tests"]),
        cwd=box, capture_output=True, text=True, env={**os.environ, "MPLBACKEND": "Agg"})
    shutil.rmtree(box, ignore_errors=True)
    listed = [json.loads(line[len(LISTED_TEST):]) for line in proc.stdout.splitlines()
              if line.startswith(LISTED_TEST)]
    if not listed:
        raise RuntimeError(f"could not collect the tests of {topic}:\n{proc.stdout[-2000:]}"
                           f"{proc.stderr[-2000:]}")
    return {t["nodeid"]: frozenset(t["markers"]) for t in listed}
