"""One trusted pytest run: started warm (forked from the job's template) or cold,
watched against its deadline and the per-test watchdog, its output kept head and tail."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import threading
import time
from pathlib import Path

from grader.core import i18n, runner
from grader.core.limits import Limits
from grader.core.results import RunOutcome, TestResult
from grader.grading.box import bubblewrap as boxes
from grader.grading.run import warm_trusted
from grader.grading.run.channel import ResultChannel
from grader.grading.run.scrub import scrub
from grader.grading.worker import PYTEST_ARGS as WORKER_ARGS
from grader.grading.worker.spec import worker_env


def _drain(stream, sink: list, state: dict, head_bytes: int, tail_bytes: int) -> None:
    """Keep the head and tail of a possibly huge output; never block the child."""
    head, tail = bytearray(), bytearray()
    total = 0
    for chunk in iter(lambda: stream.read(65536), b""):
        total += len(chunk)
        if len(head) < head_bytes:
            head += chunk[: head_bytes - len(head)]
        tail = (tail + chunk)[-tail_bytes:]
    state["bytes"] = total
    text = head.decode("utf-8", "replace")
    if total > head_bytes:
        text += f"\n[... {total - head_bytes - tail_bytes} bytes cut ...]\n"
        text += tail.decode("utf-8", "replace")
    sink.append(text)

def rendered(result: TestResult) -> TestResult:
    """A result from the box in the run's language, and in every language when its message
    was kept bilingual; each rendering scrubbed of the kit's source lines."""
    both = i18n.translations(result.message)
    return dataclasses.replace(
        result, message=scrub(i18n.render(result.message)),
        translations={lang: scrub(text, lang) for lang, text in both.items()} if both else None)

def _clean_env() -> dict[str, str]:
    """The trusted run's whole environment: the worker's (no secret, nothing from the
    grader's environment but the language and the data folders)."""
    # pytest plugins of the environment (pytest-cov, xdist, ...) never join a trusted run:
    # the kit names the two it needs.
    # Messages come back in every language: feedback can be rendered later in either.
    return {**worker_env(), "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "CNNKIT_LANG": i18n.BOTH}

def _watch(proc: subprocess.Popen, channel: ResultChannel, deadline: float, limits: Limits,
           state: dict) -> None:
    """Wait for the box; kill it at the deadline, when one test runs past its limit
    (the in-box alarm can be switched off by student code), or when the channel overflows."""
    per_test = limits.test_timeout_s + limits.watchdog_grace_s
    while True:
        try:
            proc.wait(timeout=0.25)
            return
        except subprocess.TimeoutExpired:
            pass
        now = time.monotonic()
        running = channel.current()
        if now >= deadline:
            state["timed_out"] = True
        elif limits.test_timeout_s and running and now - running[1] > per_test:
            state["watchdog"] = running[0]
        elif channel.overflow:
            state["overflow"] = True
        else:
            continue
        boxes.kill(proc)
        proc.wait()
        return

def run_once(box: Path, topic: str, nodeids: list[str], deadline: float,
              limits: Limits, host_uid: int, warm=None) -> tuple[RunOutcome, dict]:
    """One trusted pytest run on the kit's tests. It never imports the submission: the
    tests call it in a worker that the plugin starts in a bubblewrap box (``--cnnkit-worker``)
    as ``host_uid``."""
    channel = ResultChannel(limits.result_channel_bytes)
    selection = nodeids if nodeids else [f"tests/{topic}"]
    env = _clean_env()
    template = warm_trusted.template_for(host_uid, env)
    results_fd = warm_trusted.RESULTS_FD if template else channel.write_fd
    warm = warm if warm is not None and warm.usable() else None
    box_fd = (warm_trusted.BOX_FD if template else warm.fd) if warm else None
    in_warm_box = [f"--cnnkit-template-fd={box_fd}", f"--cnnkit-stage={warm.stage}"] \
        if warm else []
    pytest = runner.pytest_command(
        selection, target=str(box / "submission"), ini=box / "pytest.ini", rootdir=box,
        extra=["-s", "--tb=short", f"--cnnkit-results-fd={results_fd}",
               "--cnnkit-assertions-only", f"--cnnkit-test-timeout={limits.test_timeout_s}",
               "--cnnkit-no-network", "--cnnkit-strict-data", *WORKER_ARGS,
               "-p", "_hypothesis_pytestplugin", "-p", "no:logging",
               f"--cnnkit-box-uid={host_uid}", f"--cnnkit-limits={_box_limits(limits)}",
               *in_warm_box])
    state: dict = {}
    sink: list[str] = []
    try:
        proc, output = _start_trusted(template, pytest, box, env, channel, limits,
                                      warm.fd if warm else None)
    finally:
        channel.start()  # the grader keeps only the read end
    reader = threading.Thread(target=_drain, daemon=True, args=(
        output, sink, state, limits.output_head, limits.output_tail))
    reader.start()
    _watch(proc, channel, deadline, limits, state)
    reader.join(timeout=10)
    channel.finish()
    out = RunOutcome(returncode=proc.returncode, timed_out=bool(state.get("timed_out")),
                     output=sink[0] if sink else "")
    out.results = {k: rendered(v) for k, v in channel.results.items()}
    out.started = list(channel.started)
    return out, state

def _start_trusted(template, pytest: list[str], box: Path, env: dict[str, str],
                   channel: ResultChannel, limits: Limits, box_fd: int | None):
    """The trusted pytest, forked from the job's warm template (imports already done),
    or started cold when there is none; with the stream of its output. ``box_fd``: the
    student's warm box, which the run inherits."""
    if template is not None:
        read, write = os.pipe()
        try:
            proc = template.start(pytest[3:], str(box), limits.memory_mb * 1024 * 1024,
                                  write, channel.write_fd, box_fd)
        finally:
            os.close(write)
        if proc is not None:
            return proc, os.fdopen(read, "rb")
        os.close(read)
        cold = {f"--cnnkit-results-fd={warm_trusted.RESULTS_FD}":
                f"--cnnkit-results-fd={channel.write_fd}",
                f"--cnnkit-template-fd={warm_trusted.BOX_FD}": f"--cnnkit-template-fd={box_fd}"}
        pytest = [cold.get(arg, arg) for arg in pytest]
    proc = subprocess.Popen([pytest[0], "-I", *pytest[1:]], cwd=box, env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT,
                            pass_fds=(channel.write_fd,) + ((box_fd,) if box_fd else ()),
                            start_new_session=True, preexec_fn=_trusted_cap(limits))
    return proc, proc.stdout

def _trusted_cap(limits: Limits):
    """The trusted run's own memory cap: whatever a worker's reply makes it build (a
    mirror of the student's module, say), it cannot take the grading machine with it."""
    import resource

    def apply():
        cap = limits.memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    return apply

def _box_limits(limits: Limits) -> str:
    import json

    keep = ("memory_mb", "file_size_mb", "scratch_mb", "max_processes", "test_timeout_s")
    return json.dumps({k: getattr(limits, k) for k in keep})
