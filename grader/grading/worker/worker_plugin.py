"""The grader's pytest plugin: student code runs only in a boxed worker.

Loaded beside the testkit's plugin in a trusted run (``-p grader.grading.worker.worker_plugin``,
see ``PYTEST_ARGS``). With ``--cnnkit-worker`` it makes one ``WorkerSession``, keeps it in
``config.stash`` and installs it as the testkit's runner; at the end it stops every
worker and removes their boxes. The student bundle has no such plugin, and its tests run
in-process.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import pytest

from grader.core.limits import DEFAULTS
from grader.grading.box import uids as box_uids
from grader.grading.worker import warm_box
from grader.testkit import harness, isolation, timeout

SESSION = pytest.StashKey["object"]()
UID_LOCK = pytest.StashKey[int]()  # the lock file's fd of a uid this session leased


def pytest_addoption(parser):
    group = parser.getgroup("cnnkit-grading")
    group.addoption("--cnnkit-worker", action="store_true",
                    help="run student code only in an isolated worker process (in a box); "
                         "the tests here call it and check what comes back")
    group.addoption("--cnnkit-box-uid", type=int, default=None,
                    help="host uid of the worker's box (when the grader runs as root)")
    group.addoption("--cnnkit-memory-mb", type=int, default=None,
                    help="address-space limit of the worker, in MB")
    group.addoption("--cnnkit-limits", default=None,
                    help="the worker's box limits, as JSON (the grader passes its own)")
    group.addoption("--cnnkit-template-fd", type=int, default=None,
                    help="a socket to the student's warm box: workers are forked there")
    group.addoption("--cnnkit-stage", default=None,
                    help="the folder the warm box sees, where worker folders are laid out")


@pytest.hookimpl(tryfirst=True)  # before the testkit's configure, which asks isolation
def pytest_configure(config):
    if not config.getoption("--cnnkit-worker"):
        return
    # lazy: keeps numpy, torch out of start-up
    from grader.grading.worker.session import WorkerSession

    limits = DEFAULTS
    if config.getoption("--cnnkit-limits"):
        limits = dataclasses.replace(limits, **json.loads(config.getoption("--cnnkit-limits")))
    if config.getoption("--cnnkit-memory-mb"):
        limits = dataclasses.replace(limits, memory_mb=config.getoption("--cnnkit-memory-mb"))
    boxed = os.environ.get("CNNKIT_WORKER_UNBOXED") != "1"
    uid = config.getoption("--cnnkit-box-uid")
    if uid is None and boxed:  # no uid handed down: lease one, so no other box shares it
        uid, config.stash[UID_LOCK] = box_uids.lease_uid(limits)
    template = warm_box.link_from_fd(config.getoption("--cnnkit-template-fd")) if boxed \
        else None
    stage = config.getoption("--cnnkit-stage")
    if not stage:  # the warm box sees only its stage folder: without one, start cold
        template = None
    session = WorkerSession(limits, uid, boxed=boxed, template=template,
                            stage=Path(stage) if template else None)
    config.stash[SESSION] = session
    isolation.install(session)


def session_of(config):
    """The worker session of this run, or None when student code runs in-process."""
    return config.stash.get(SESSION, None)


def pytest_collection_finish(session):
    """Start each topic's worker before the first test: its start-up (a box, Python,
    torch) is no test's time."""
    workers = session_of(session.config)
    if workers is None:
        return
    topics = sorted({harness.topic_of(item.path) for item in session.items
                     if timeout.is_exercise_test(item.path)})
    for topic in topics:
        workers.client_for(topic, harness.current_topic_dir(topic)).ensure_started()


def pytest_unconfigure(config):
    workers = session_of(config)
    if workers is None:
        return
    workers.shutdown()
    isolation.uninstall(workers)
    del config.stash[SESSION]
    lock = config.stash.get(UID_LOCK, None)
    if lock is not None:
        os.close(lock)
        del config.stash[UID_LOCK]
