"""Step 2 of grading: run one student's topic, the tests trusted, the code boxed.

The run folder holds the kit's tests (visible and hidden) and the whitelisted
exercise files of the submission, copied without following links. A trusted pytest
runs the tests there; it never imports the submission. The tests reach the student's
code only through a worker process that the plugin starts inside a bubblewrap box
(``box.py``, ``grader/grading/worker``): an unprivileged uid, no network, its own pid
namespace, a read-only view of the student's files alone. Results come back on a
pipe (``channel.py``); a watchdog here stops a run whose test overruns its limit. A
run that dies is restarted on the tests it did not finish.

Warm starts: the trusted pytest is forked from the job's template (``warm_trusted.py``),
and with a student's warm box (``worker/warm_box.py``) the workers are forked there;
the box is swept after each run. Without either, both start cold, as before.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import grader
from grader.core import i18n, manifest, paths, runner
from grader.core.files import atomic_write
from grader.core.limits import DEFAULTS, Limits
from grader.core.results import LISTED_TEST, Outcome, RunOutcome, TestResult
from grader.core.testfiles import kit_topic_dir, topic_test_files
from grader.grading import box as boxes
from grader.grading import names, safefiles, warm_trusted
from grader.grading.channel import ResultChannel
from grader.grading.scrub import scrub
from grader.grading.worker import PYTEST_ARGS as WORKER_ARGS

_INI = {"en": "ini files are never used", "vi": "các tệp ini không bao giờ được dùng"}
IGNORED_REASONS = {
    "conftest.py": {"en": "conftest.py files are never used: they could change how tests run",
                    "vi": "các tệp conftest.py không bao giờ được dùng: chúng có thể thay đổi "
                          "cách các bài kiểm tra chạy"},
    "pytest.ini": _INI, "setup.cfg": _INI, "tox.ini": _INI,
    "pyproject.toml": {"en": "project files are never used",
                       "vi": "các tệp cấu hình dự án không bao giờ được dùng"},
    "sitecustomize.py": {"en": "sitecustomize.py is never used: it would run before the tests",
                         "vi": "sitecustomize.py không bao giờ được dùng: nó sẽ chạy trước các "
                               "bài kiểm tra"},
    "usercustomize.py": {"en": "usercustomize.py is never used",
                         "vi": "usercustomize.py không bao giờ được dùng"},
}


@dataclass
class SandboxRun:
    results: dict[str, TestResult] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    output: str = ""


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


def ignored_files(topic_dir: Path, allowed: list[str]) -> list[str]:
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
        return [str(exc)]
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
            reason = {"en": "test files from submissions are never used; the kit brings "
                            "its own",
                      "vi": "tệp kiểm tra trong bài nộp không bao giờ được dùng; kit dùng "
                            "bài kiểm tra của chính nó"}
        if reason:  # a name that is not UTF-8 is shown escaped (test_b\xe0i.py)
            shown = names.printable(f"{topic_dir.name}/{rel}")
            notes.append(i18n.keep({"en": f"ignored {shown}: {reason['en']}",
                                    "vi": f"bỏ qua {shown}: {reason['vi']}"}))
    return notes


def build(topic: str, submission_topic_dir: Path | None, box: Path) -> list[str]:
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
            notes.append(i18n.keep({"en": f"missing {topic}/{name}: its tests count as failed",
                               "vi": f"thiếu {topic}/{name}: các bài kiểm tra của tệp này bị "
                                     "tính là chưa đạt"}))
    if usable:
        notes += ignored_files(submission_topic_dir, info.files)
    (box / "pytest.ini").write_text("[pytest]\n")
    return notes


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


def _rendered(result: TestResult) -> TestResult:
    """A result from the box in the run's language, and in every language when its message
    was kept bilingual; each rendering scrubbed of the kit's source lines."""
    both = i18n.translations(result.message)
    return dataclasses.replace(
        result, message=scrub(i18n.render(result.message)),
        translations={lang: scrub(text, lang) for lang, text in both.items()} if both else None)


def _clean_env() -> dict[str, str]:
    """The trusted run's whole environment: the worker's (no secret, nothing from the
    grader's environment but the language and the data folders)."""
    from grader.grading.worker.client import worker_env  # lazy: keeps numpy, torch out of start-up

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


def _run_once(box: Path, topic: str, nodeids: list[str], deadline: float,
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
    out.results = {k: _rendered(v) for k, v in channel.results.items()}
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


def _death_reason(out: RunOutcome, state: dict, limits: Limits, limit: float) -> str:
    memory_mb = limits.memory_mb
    if out.timed_out:
        return i18n.keep({"en": f"the run passed its time limit of {limit:.0f} s and was stopped",
                     "vi": f"lần chạy vượt quá giới hạn thời gian {limit:.0f} giây nên đã bị "
                           "dừng"})
    if state.get("watchdog"):
        return i18n.keep({"en": f"this test ran longer than {limits.test_timeout_s:.0f} s; the "
                           "grader's watchdog stopped the run",
                     "vi": f"bài kiểm tra này chạy lâu hơn {limits.test_timeout_s:.0f} giây; bộ "
                           "giám sát (watchdog) của trình chấm đã dừng lần chạy"})
    if state.get("overflow"):
        return i18n.keep({"en": f"the run sent more than {limits.result_channel_bytes >> 20} MB of "
                           "results and was stopped",
                     "vi": f"lần chạy gửi về hơn {limits.result_channel_bytes >> 20} MB kết quả "
                           "nên đã bị dừng"})
    code = out.returncode
    if code in (3, 4):  # pytest's internal or usage error: the trusted side broke
        tail = " | ".join(ln.strip() for ln in out.output.strip().splitlines()[-4:])[-600:]
        return i18n.keep({"en": f"the grader's own test run failed (pytest exit code {code}): a "
                           f"problem of this machine, not of the student's code ({tail})",
                     "vi": f"lần chạy kiểm tra của chính trình chấm bị lỗi (pytest mã thoát "
                           f"{code}): lỗi của máy chấm, không phải của mã sinh viên ({tail})"})
    if code is not None and code < 0:
        sig = signal.Signals(-code).name
        if sig == "SIGXFSZ":
            return i18n.keep({"en": "the process wrote a file past the size limit and was stopped",
                         "vi": "tiến trình ghi một tệp vượt quá giới hạn kích thước nên đã bị "
                               "dừng"})
        return i18n.keep({"en": f"the process was killed by {sig} (crash, or memory cap of "
                           f"{memory_mb} MB)",
                     "vi": f"tiến trình bị dừng bởi tín hiệu {sig} (chương trình bị lỗi, hoặc "
                           f"vượt giới hạn bộ nhớ {memory_mb} MB)"})
    if state.get("bytes", 0) > 50_000_000:
        return i18n.keep({"en": f"the process flooded its output ({state['bytes'] >> 20} MB) and ended",
                     "vi": f"tiến trình in ra quá nhiều ({state['bytes'] >> 20} MB) và đã kết "
                           "thúc"})
    return i18n.keep({"en": f"the process ended early with exit code {code} before reporting this "
                       "test (os._exit or sys.exit at import, or a crash)",
                 "vi": f"tiến trình kết thúc sớm với mã thoát {code} trước khi báo kết quả bài "
                       "kiểm tra này (os._exit hoặc sys.exit khi import, hoặc chương trình bị "
                       "lỗi)"})


def run_topic(topic: str, submission_topic_dir: Path | None, box: Path, timeout: float,
              limits: Limits = DEFAULTS, host_uid: int | None = None,
              exercises: set[str] | None = None, warm=None) -> SandboxRun:
    """Grade one topic of one student in a box (only ``exercises``, when given); every
    expected test ends with a result.

    ``host_uid``: the unprivileged uid this box runs as (one per parallel job).
    ``warm``: the student's warm box (``worker.warm_box.WarmBox``), where the workers
    are forked; it is swept after each run.
    """
    if host_uid is None:  # a box of its own: lease a uid no other box on this node holds
        with boxes.leased_uid(limits) as uid:
            return run_topic(topic, submission_topic_dir, box, timeout, limits, uid, exercises,
                             warm)
    start = time.monotonic()
    boxes.prepare_folder(box)
    run = SandboxRun(notes=build(topic, submission_topic_dir, box))
    expected = list(expected_tests(topic))
    first: list[str] = []  # what the first run selects: the whole topic folder
    if exercises is not None:
        info = manifest.load_topic(topic)
        owner = {t: info.exercise_for_test_file(Path(t.split("::")[0]).name) for t in expected}
        expected = [t for t in expected if owner[t] is not None and owner[t].name in exercises]
        first = sorted({t.split("::")[0] for t in expected})
    deadline = start + timeout
    pending = list(expected)
    outputs = []
    for attempt in range(limits.max_restarts + 1):
        if not pending or time.monotonic() >= deadline:
            break
        try:
            out, state = _run_once(box, topic, pending if attempt else first, deadline, limits,
                                   host_uid, warm)
        finally:
            if warm is not None:
                warm.sweep()
        outputs.append(out.output)
        if state.get("bytes", 0) > 1_000_000:
            run.notes.append(i18n.keep({
                "en": f"{topic}: the run printed {state['bytes'] / 1e6:.0f} MB of output; only "
                      "its start and end were kept",
                "vi": f"{topic}: lần chạy in ra {state['bytes'] / 1e6:.0f} MB; chỉ giữ lại phần "
                      "đầu và phần cuối"}))
        run.results.update({k: v for k, v in out.results.items() if k in expected})
        pending = [t for t in expected if t not in run.results]
        if not pending:
            break
        culprit = out.unfinished
        reason = _death_reason(out, state, limits, timeout)
        if culprit in pending:
            run.results[culprit] = TestResult(culprit, Outcome.FAILED, reason)
            pending.remove(culprit)
            # The rest of that test file would most likely die the same way.
            same_file = [t for t in pending if t.split("::")[0] == culprit.split("::")[0]]
            for nodeid in same_file:
                run.results[nodeid] = TestResult(nodeid, Outcome.FAILED, i18n.keep({
                    "en": f"not run: {culprit.split('::')[-1]} in the same file stopped the "
                          f"process ({reason})",
                    "vi": f"không chạy: {culprit.split('::')[-1]} trong cùng tệp đã làm dừng "
                          f"tiến trình ({reason})"}))
                pending.remove(nodeid)
        elif attempt == 0 and not out.started:
            run.notes.append(i18n.keep({"en": f"{topic}: {reason} before any test started",
                                   "vi": f"{topic}: {reason} trước khi bài kiểm tra nào bắt "
                                         "đầu"}))
        run.notes.append(i18n.keep({"en": f"{topic}: run {attempt + 1}: {reason}",
                               "vi": f"{topic}: lần chạy {attempt + 1}: {reason}"}))
    for nodeid in pending:
        run.results[nodeid] = TestResult(nodeid, Outcome.MISSING, i18n.keep({
            "en": "this test reported no result (the run died or ran out of time before it); it "
                  "counts as failed",
            "vi": "bài kiểm tra này không báo kết quả (lần chạy bị dừng hoặc hết thời gian trước "
                  "khi tới nó); bài này bị tính là chưa đạt"}))
    # What the grader wrote itself (a death, a test not run) is rendered like the box's.
    run.results = {k: _rendered(v) if i18n.translations(v.message) else v
                   for k, v in run.results.items()}
    run.seconds = time.monotonic() - start
    run.output = "\n".join(outputs)[-20000:]
    return run
