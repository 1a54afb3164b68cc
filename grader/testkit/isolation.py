"""Where the student's code runs during a test: in this process, unless a runner is installed.

The harness (``exercise``, ``probe``, ``guarded``, ``topic_data``, ``shared_tmp``) asks
this registry. At a student's desk nothing is installed and everything runs here. When
grading, the grader's pytest plugin installs a runner that sends each call to a boxed
worker process. The testkit never imports the grader: the grader fills this registry.

A runner provides (see ``Runner``):

* ``exercise(topic, module, topic_dir)``: the student's module, as the runner serves it;
* ``data_file(topic, topic_dir, name)``: a kit data file at a path the student's side reads;
* ``shared_dir(topic, topic_dir)``: a fresh folder the student's side can read;
* ``probe(name, args, kwargs)``: run ``grader.testkit.probes.<name>`` beside the code;
* ``guarded(names)``: a context manager applying guards where the code runs;
* ``serves(obj)``: whether ``obj`` lives on the runner's side (a mirror of a student module);
* ``error(type_name, message)``: rebuild an exception that the student's side reported.
"""

from __future__ import annotations

from typing import Protocol


class Runner(Protocol):
    def exercise(self, topic: str, module: str, topic_dir): ...
    def data_file(self, topic: str, topic_dir, name: str): ...
    def shared_dir(self, topic: str, topic_dir): ...
    def probe(self, name: str, args, kwargs): ...
    def guarded(self, names): ...
    def serves(self, obj) -> bool: ...
    def error(self, type_name: str, message: str) -> BaseException: ...


# The installed runner, or None. The runner's own state lives in the runner (the grader
# keeps it in pytest's config.stash); this is only where the harness finds it.
_installed: list[Runner] = []


def install(runner: Runner) -> None:
    _installed[:] = [runner]


def uninstall(runner: Runner | None = None) -> None:
    if runner is None or (_installed and _installed[0] is runner):
        _installed.clear()


def current() -> Runner | None:
    return _installed[0] if _installed else None
