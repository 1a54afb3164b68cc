"""``cnnkit watch``: re-run ``check`` whenever an exercise file is saved.

Uses Linux inotify when it works; polls file times otherwise (network
filesystems, some VMs) or when asked with ``--poll``.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import select
import struct
import sys
import time
from pathlib import Path

from grader.core import paths
from grader.student.commands import cmd_check, next_topic
from grader.student.messages import say
from grader.student.status import target_root

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


def watch(topic: str | None, target: str | None, lang: str, interval: float = 0.5,
          poll: bool = False) -> int:
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
    try:
        cmd_check(topic, target, lang, full=False)
        sys.stdout.flush()
        while True:
            if _relevant(watcher.wait(1.0)):
                time.sleep(0.1)  # let editors finish writing
                print("\n" + "-" * 60, flush=True)
                cmd_check(topic, target, lang, full=False)
                sys.stdout.flush()
    except KeyboardInterrupt:
        print("\n" + say("stopped", lang), flush=True)
        return 0
    finally:
        watcher.close()
