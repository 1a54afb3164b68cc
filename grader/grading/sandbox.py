"""Step 2 of grading: run one student's topic in a fresh, locked-down process.

The sandbox folder holds only the kit's tests (visible and hidden) and the
whitelisted exercise files of the submission. The child process gets a
wall-clock timeout, a memory cap, no network (a network namespace where
``unshare`` allows it, refused sockets in any case), a scrubbed environment,
and signs its results with a secret it removes before student code runs.
A run that dies is restarted on the tests it did not finish.
"""

from __future__ import annotations

import os
import resource
import secrets
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import grader
from grader.core import manifest, runner
from grader.core.results import Outcome, RunOutcome, TestResult, read_results
from grader.core.testfiles import kit_topic_dir, topic_test_files
from grader.core.limits import DEFAULTS, Limits
IGNORED_REASONS = {
    "conftest.py": "conftest.py files are never used: they could change how tests run",
    "pytest.ini": "ini files are never used", "setup.cfg": "ini files are never used",
    "tox.ini": "ini files are never used", "pyproject.toml": "project files are never used",
    "sitecustomize.py": "sitecustomize.py is never used: it would run before the tests",
    "usercustomize.py": "usercustomize.py is never used",
}


@dataclass
class SandboxRun:
    results: dict[str, TestResult] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    output: str = ""


def kit_digest(topics: list[str]) -> str:
    """Changes with the kit's version, each topic's tests and its manifest (points)."""
    import hashlib

    h = hashlib.sha256(grader.__version__.encode())
    for topic in topics:
        for f in [*topic_test_files(topic), manifest.topic_folder(topic) / manifest.MANIFEST_NAME]:
            h.update(f.name.encode() + b"\0" + f.read_bytes())
    return h.hexdigest()[:16]


def ignored_files(topic_dir: Path, allowed: list[str]) -> list[str]:
    """Files that could change how tests run, which the grader ignores, with the reason.

    Unchanged copies of the kit's own files (its tests, the sample image) are not noted.
    """
    notes = []
    if not topic_dir.is_dir():
        return notes
    kit = kit_topic_dir(topic_dir.name)
    for path in sorted(topic_dir.rglob("*")):
        rel = path.relative_to(topic_dir).as_posix()
        if path.is_dir() or rel in allowed or "__pycache__" in rel:
            continue
        reason = IGNORED_REASONS.get(path.name)
        if reason is None and path.name.startswith("test_") and path.suffix == ".py":
            original = kit / rel
            if original.is_file() and original.read_bytes() == path.read_bytes():
                continue
            reason = "test files from submissions are never used; the kit brings its own"
        if reason:
            notes.append(f"ignored {topic_dir.name}/{rel}: {reason}")
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
    for name in info.files:
        src = submission_topic_dir / name if submission_topic_dir else None
        if src and src.is_file() and not src.is_symlink():
            shutil.copyfile(src, sub / name)
        else:
            notes.append(f"missing {topic}/{name}: its tests count as failed")
    if submission_topic_dir:
        notes += ignored_files(submission_topic_dir, info.files)
    (box / "pytest.ini").write_text("[pytest]\n")
    return notes


@lru_cache(maxsize=None)
def expected_tests(topic: str) -> tuple[str, ...]:
    """Test ids a run must report, collected once from the kit's own files (trusted)."""
    box = Path(os.environ.get("TMPDIR", "/tmp")) / f"cnnkit-collect-{os.getpid()}-{topic}"
    shutil.rmtree(box, ignore_errors=True)
    build(topic, kit_topic_dir(topic), box)
    proc = subprocess.run(
        runner.pytest_command([f"tests/{topic}"], ini=box / "pytest.ini", rootdir=box,
                              extra=["--collect-only"]),
        cwd=box, capture_output=True, text=True, env={**os.environ, "MPLBACKEND": "Agg"})
    shutil.rmtree(box, ignore_errors=True)
    ids = tuple(line.strip() for line in proc.stdout.splitlines() if "::" in line)
    if not ids:
        raise RuntimeError(f"could not collect the tests of {topic}:\n{proc.stdout[-2000:]}")
    return ids


def _limits(memory_mb: int, file_size_mb: int):
    def apply():
        os.setsid()
        cap = memory_mb * 1024 * 1024
        fsize = file_size_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    return apply


@lru_cache(maxsize=None)
def network_namespace_prefix() -> tuple[str, ...]:
    """``unshare`` into an empty network namespace, if this machine allows it."""
    exe = shutil.which("unshare")
    for args in (("-rn",), ("-n",)):
        if exe and subprocess.run([exe, *args, "true"], capture_output=True).returncode == 0:
            return (exe, *args)
    return ()


def _clean_env(box: Path, token_var: str, token: str) -> dict[str, str]:
    keep = ("PATH", "LANG", "LC_ALL", "CNNKIT_DATA", "CNNKIT_MIRROR", "CNNKIT_LANG", "TZ")
    env = {k: os.environ[k] for k in keep if k in os.environ}
    env.update(HOME=str(box), TMPDIR=str(box / "tmp"), MPLBACKEND="Agg", CNNKIT_OFFLINE="1",
               PYTHONDONTWRITEBYTECODE="1", PYTHONHASHSEED="0", OMP_NUM_THREADS="1",
               MPLCONFIGDIR=str(box / "tmp"), TORCH_HOME=str(box / "tmp" / "torch"))
    env[token_var] = token
    (box / "tmp").mkdir(exist_ok=True)
    return env


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


def _run_once(box: Path, topic: str, nodeids: list[str], deadline: float,
              limits: Limits) -> tuple[RunOutcome, dict]:
    token_var, token = "CNNKIT_RESULT_TOKEN", secrets.token_hex(16)
    results = box / f"results-{time.monotonic_ns()}.jsonl"
    selection = nodeids if nodeids else [f"tests/{topic}"]
    pytest = runner.pytest_command(
        selection, target="submission", results_file=results, ini=box / "pytest.ini",
        rootdir=box, extra=["-s", "--tb=short", f"--cnnkit-token-env={token_var}",
                            f"--cnnkit-test-timeout={limits.test_timeout_s}",
                            "--cnnkit-no-network", "--cnnkit-strict-data"])
    cmd = [*network_namespace_prefix(), pytest[0], "-I", *pytest[1:]]
    state: dict = {}
    sink: list[str] = []
    proc = subprocess.Popen(cmd, cwd=box, env=_clean_env(box, token_var, token),
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, preexec_fn=_limits(limits.memory_mb,
                                                                limits.file_size_mb))
    reader = threading.Thread(target=_drain, daemon=True, args=(
        proc.stdout, sink, state, limits.output_head, limits.output_tail))
    reader.start()
    try:
        proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        state["timed_out"] = True
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
    reader.join(timeout=10)
    out = RunOutcome(returncode=proc.returncode, timed_out=bool(state.get("timed_out")),
                            output=sink[0] if sink else "")
    out.results, out.started = read_results(results, token.encode())
    return out, state


def _death_reason(out: RunOutcome, state: dict, memory_mb: int, limit: float) -> str:
    if out.timed_out:
        return f"the run passed its time limit of {limit:.0f} s and was stopped"
    code = out.returncode
    if code is not None and code < 0:
        sig = signal.Signals(-code).name
        if sig == "SIGXFSZ":
            return "the process wrote a file past the size limit and was stopped"
        return f"the process was killed by {sig} (crash, or memory cap of {memory_mb} MB)"
    if state.get("bytes", 0) > 50_000_000:
        return f"the process flooded its output ({state['bytes'] >> 20} MB) and ended"
    return (f"the process ended early with exit code {code} before reporting this test "
            "(os._exit or sys.exit at import, or a crash)")


def run_topic(topic: str, submission_topic_dir: Path | None, box: Path, timeout: float,
              limits: Limits = DEFAULTS, exercises: set[str] | None = None) -> SandboxRun:
    """Grade one topic of one student (only ``exercises``, when given); every expected
    test ends with a result."""
    start = time.monotonic()
    memory_mb = limits.memory_mb
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
        out, state = _run_once(box, topic, pending if attempt else first, deadline, limits)
        outputs.append(out.output)
        if state.get("bytes", 0) > 1_000_000:
            run.notes.append(f"{topic}: the run printed {state['bytes'] / 1e6:.0f} MB of output; "
                             "only its start and end were kept")
        for nodeid, result in out.results.items():
            if nodeid in expected:  # no grader paths in what the student reads
                result.message = result.message.replace(f"{box}/", "")
                run.results[nodeid] = result
        pending = [t for t in expected if t not in run.results]
        if not pending:
            break
        culprit = out.unfinished
        reason = _death_reason(out, state, memory_mb, timeout)
        if culprit in pending:
            run.results[culprit] = TestResult(culprit, Outcome.FAILED, reason)
            pending.remove(culprit)
            # The rest of that test file would most likely die the same way.
            same_file = [t for t in pending if t.split("::")[0] == culprit.split("::")[0]]
            for nodeid in same_file:
                run.results[nodeid] = TestResult(
                    nodeid, Outcome.FAILED, f"not run: {culprit.split('::')[-1]} in the same file "
                    f"stopped the process ({reason})")
                pending.remove(nodeid)
        elif attempt == 0 and not out.started:
            run.notes.append(f"{topic}: {reason} before any test started")
        run.notes.append(f"{topic}: run {attempt + 1}: {reason}")
    for nodeid in pending:
        run.results[nodeid] = TestResult(
            nodeid, Outcome.MISSING, "this test reported no result (the run died or ran out of "
            "time before it); it counts as failed")
    run.seconds = time.monotonic() - start
    run.output = "\n".join(outputs)[-20000:]
    return run
