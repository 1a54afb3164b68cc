"""A reply frame that the student's code forges on the worker's pipe (a header announcing
gigabytes, then silence) fails that call with a reason that names the reply: what was
announced, what came, and that the rest never arrived or was over the limit, in English
and Vietnamese. The worker runs unboxed here: the frames, not the box, are under test."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from grader.core import i18n
from grader.core.limits import DEFAULTS
from grader.grading.worker import client as worker_client
from grader.grading.worker.spec import WorkerSpec
from grader.grading.worker import wire
from grader.testkit import timeout

# Student code: finds the worker's reply pipe (a local of the worker's main loop, whether
# the worker started cold or was forked in a warm box), writes a frame of its own, waits.
ATTACK = '''
import os, struct, sys, time


def _reply_fd():
    frame = sys._getframe()
    while frame is not None:
        if frame.f_code.co_name == "main" and "reply_fd" in frame.f_locals:
            return frame.f_locals["reply_fd"]
        frame = frame.f_back
    raise RuntimeError("no reply pipe found")


def announce(size, header_bytes=8):
    os.write(_reply_fd(), struct.pack("!Q", size)[:header_bytes])
    time.sleep(600)
'''
ANNOUNCED = 1536 << 20  # 1.5 GB: under the reply cap, never sent


@pytest.fixture(scope="module")
def worker():
    folder = Path(tempfile.mkdtemp(prefix="cnnkit-frames-"))
    topic = folder / "submission" / "01_cnn"
    topic.mkdir(parents=True)
    (topic / "attack.py").write_text(ATTACK)
    client = worker_client.WorkerClient(WorkerSpec(folder, "01_cnn", DEFAULTS, 0, boxed=False))
    yield client
    client.stop()
    shutil.rmtree(folder, ignore_errors=True)


def _call(client, *args):
    """announce(*args) in the worker; the exception the trusted side raised."""
    announce = client.module_attr("attack", "announce")
    with pytest.raises(BaseException) as info:
        client.call(announce, args, {})
    return info.value


def _both(exc) -> dict[str, str]:
    both = i18n.translations(str(exc))
    assert both, f"the reason is not kept in both languages: {exc}"
    return both


def test_a_reply_announced_and_never_sent_names_the_reply(worker, monkeypatch):
    monkeypatch.setattr(wire, "STALL_S", 1.0)
    monkeypatch.setenv("CNNKIT_LANG", i18n.BOTH)
    exc = _call(worker, ANNOUNCED)
    assert isinstance(exc, worker_client.WorkerDied), repr(exc)
    both = _both(exc)
    assert f"announced a reply of {ANNOUNCED} bytes (1536.0 MB)" in both["en"], both
    assert "sent 0 bytes of it" in both["en"] and "never arrived" in both["en"], both
    assert f"báo trước một câu trả lời {ANNOUNCED} byte" in both["vi"], both
    assert "không bao giờ đến" in both["vi"], both
    assert "IndexError" not in str(exc)


def test_a_reply_over_the_cap_is_refused_at_its_header(worker, monkeypatch):
    monkeypatch.setenv("CNNKIT_LANG", i18n.BOTH)
    exc = _call(worker, worker_client.REPLY_CAP + 1)
    assert isinstance(exc, worker_client.WorkerDied), repr(exc)
    both = _both(exc)
    assert "over the limit of 2048.0 MB for one reply" in both["en"], both
    assert "vượt giới hạn 2048.0 MB" in both["vi"], both


def test_half_a_header_then_silence_names_the_header(worker, monkeypatch):
    monkeypatch.setattr(wire, "STALL_S", 1.0)
    monkeypatch.setenv("CNNKIT_LANG", "en")
    exc = _call(worker, ANNOUNCED, 4)
    assert isinstance(exc, worker_client.WorkerDied), repr(exc)
    assert "sent only 4 of its 8 header bytes" in str(exc), str(exc)


def test_the_tests_time_limit_inside_a_reply_names_the_reply(worker, monkeypatch):
    """The test's own alarm (shorter than the stall) fires while the frame is coming."""
    monkeypatch.setattr(wire, "STALL_S", 300.0)
    monkeypatch.setenv("CNNKIT_LANG", "en")
    announce = worker.module_attr("attack", "announce")
    with pytest.raises(timeout.TestTimeout) as info:
        with timeout.limit("test_x", 2):
            worker.call(announce, (ANNOUNCED,), {})
    message = str(info.value)
    assert "ran out of time waiting for the student's process to finish its reply" in message
    assert f"announced a reply of {ANNOUNCED} bytes" in message and "frozen" not in message
