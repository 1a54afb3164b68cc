"""``cnnkit watch``: re-run ``check`` whenever an exercise file is saved.

Uses Linux inotify when it works; polls file times otherwise (network
filesystems, some VMs) or when asked with ``--poll``.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import select
import struct
import sys
import time
from pathlib import Path

from grader.core import manifest, paths
from grader.core.i18n import pick
from grader.testkit.warm_imports import warm_up
from grader.student import warm
from grader.student.loop import cmd_check, next_topic, show_check
from grader.student.texts import say
from grader.student.status import run_topic_tests, target_root

IN_CLOSE_WRITE, IN_MOVED_TO, IN_CREATE = 0x008, 0x080, 0x100


class Inotify:
    def __init__(self, folder: Path):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        self.fd = libc.inotify_init1(os.O_NONBLOCK)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1 failed")
        mask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE
        if libc.inotify_add_watch(self.fd, str(folder).encode(), mask) < 0:
            os.close(self.fd)
            raise OSError(ctypes.get_errno(), "inotify_add_watch failed")

    def wait(self, timeout: float) -> list[str]:
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return []
        data = os.read(self.fd, 65536)
        names, offset = [], 0
        while offset < len(data):
            _, _, _, length = struct.unpack_from("iIII", data, offset)
            name = data[offset + 16: offset + 16 + length].rstrip(b"\0").decode(errors="replace")
            names.append(name)
            offset += 16 + length
        return names

    def close(self):
        os.close(self.fd)


class Poller:
    def __init__(self, folder: Path, interval: float):
        self.folder, self.interval = folder, interval
        self.seen = self._snapshot()

    def _snapshot(self):
        return {p.name: p.stat().st_mtime_ns for p in self.folder.glob("*.py")}

    def wait(self, timeout: float) -> list[str]:
        time.sleep(min(timeout, self.interval))
        now = self._snapshot()
        changed = [n for n, t in now.items() if self.seen.get(n) != t]
        self.seen = now
        return changed

    def close(self):
        pass


def _relevant(names: list[str]) -> bool:
    return any(n.endswith(".py") and not n.startswith(("test_", ".")) for n in names)


class Checker:
    """The topic's verdict after each save. Warm: the changed exercise's tests alone, in a
    child forked from this process (``warm.py``), merged with the last results of the
    others. Cold (``--cold``, or where ``fork`` is missing): ``check`` as a fresh process."""

    def __init__(self, topic: str, target: str | None, lang: str, warm_mode: bool):
        self.topic, self.target, self.lang = manifest.load_topic(topic), target, lang
        self.warm = warm_mode and hasattr(os, "fork")
        self.results: dict = {}
        if self.warm:
            print(say("warming", lang), flush=True)
            warm_up()
            self.stamp = warm.kit_stamp(topic)

    def stale(self) -> bool:
        return self.warm and warm.kit_stamp(self.topic.name) != self.stamp

    def check(self, changed: list[str] | None = None) -> None:
        if not self.warm:
            cmd_check(self.topic.name, self.target, self.lang, full=False)
            return
        mine = [ex for ex in self.topic.exercises if ex.file in (changed or ())]
        only = mine if changed and mine and self.results else None
        print(say("checking", self.lang, topic=self.topic.name,
                  title=pick(self.topic.title, self.lang)), flush=True)
        fresh, output = run_topic_tests(self.topic.name, self.target, only, self.lang,
                                        run=warm.run_tests_forked)
        if only is not None:
            kept = {k: v for k, v in self.results.items()
                    if not any(ex.owns_test_file(v.file) for ex in only)}
            fresh = {**kept, **fresh}
        self.results = fresh
        show_check(self.topic, self.target, self.lang, False, fresh, output)


def watch(topic: str | None, target: str | None, lang: str, interval: float = 0.5,
          poll: bool = False, cold: bool = False) -> int:
    topic = paths.resolve_topic(topic) if topic else (next_topic(target, lang) or "01_cnn")
    folder = target_root(target) / topic
    watcher = None
    if not poll:
        try:
            watcher, how = Inotify(folder), say("events", lang)
        except (OSError, AttributeError):
            watcher = None
    if watcher is None:
        watcher, how = Poller(folder, interval), say("polling", lang, s=interval)
    print(say("watching", lang, folder=folder, how=how), flush=True)
    # Ctrl-C stops watch even where it started with SIGINT ignored (a background job of a
    # shell without job control passes that on).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        checker = Checker(topic, target, lang, warm_mode=not cold)
        checker.check()
        sys.stdout.flush()
        while True:
            names = watcher.wait(1.0)
            if not _relevant(names):
                continue
            time.sleep(0.05)  # let editors finish writing
            names += watcher.wait(0.0)
            print("\n" + "-" * 60, flush=True)
            if checker.stale():  # the kit changed under us: start afresh, cold
                print(say("restarting", lang), flush=True)
                watcher.close()
                os.execv(sys.executable, [sys.executable, "-m", "grader", *sys.argv[1:]])
            checker.check([n for n in names if n.endswith(".py")])
            sys.stdout.flush()
    except KeyboardInterrupt:
        print("\n" + say("stopped", lang), flush=True)
        return 0
    finally:
        watcher.close()
