"""Step 0 of grading, after the data: the machine can grade the reference solution.

Before anyone is graded, each chosen topic's reference solution (``solutions/``) is
graded in exactly the configuration students get: the same box, environment, data
folders and limits. If the reference loses a point, the machine is at fault (a data
folder the box cannot see, MPI, a CUDA library, a pytest plugin ...): nobody is graded,
and one screen says which reference test failed, the last lines the runs printed, and the
likely cause. A passing result is cached per topic by a fingerprint of the kit, the
interpreter, the installed packages, the data folders and the limits, so a class of 300
pays for it once.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path

from grader.core import i18n, manifest, messages, paths
from grader.core.errors import CnnkitError
from grader.core.files import atomic_write
from grader.core.i18n import pick
from grader.core.limits import Limits
from grader.grading import readiness, score
from grader.grading.run import test_list
from grader.grading.run import topic_run
from grader.grading.box import bubblewrap as box
from grader.grading.training import devices

CAUSES = [  # (words in the runs' output, the likely cause)
    (("manifest.toml", "No such file or directory: '/"),
     {"en": "a file or folder the runs need is not visible inside the box (a data folder, the "
            "data manifest or the weights outside the folders the box binds)",
      "vi": "một tệp hoặc thư mục cần thiết không nhìn thấy được trong hộp (thư mục dữ liệu, "
            "tệp manifest hoặc trọng số nằm ngoài các thư mục hộp gắn vào)"}),
    (("Permission denied",),
     {"en": "the box's unprivileged user cannot read a file it needs (data or environment "
            "files readable by their owner only)",
      "vi": "người dùng không đặc quyền trong hộp không đọc được một tệp cần thiết (dữ liệu "
            "hoặc môi trường chỉ chủ sở hữu mới đọc được)"}),
    (("MPI_Init", "Open MPI", "mpi4py", "PMIx", "ORTE"),
     {"en": "MPI: Open MPI or mpi4py tried to start inside the box, which has no network",
      "vi": "MPI: Open MPI hoặc mpi4py cố khởi động trong hộp, nơi không có mạng"}),
    (("libcuda", "libnvidia", "CUDA driver", "cudaGetDevice", "NVML"),
     {"en": "a CUDA library or device is not reachable inside the box",
      "vi": "không truy cập được thư viện hoặc thiết bị CUDA trong hộp"}),
    (("No module named", "ModuleNotFoundError"),
     {"en": "a Python package the runs need is not visible inside the box (it lives in a folder "
            "the box does not bind, for example one added to the import path by hand)",
      "vi": "một gói Python cần thiết không nhìn thấy được trong hộp (nó nằm trong thư mục mà "
            "hộp không gắn vào, ví dụ thư mục thêm vào đường dẫn import bằng tay)"}),
    (("INTERNALERROR", "PluginValidationError", "pytest exit code"),
     {"en": "the grader's own pytest run broke (a pytest plugin of this environment, or a "
            "pytest version the kit does not support)",
      "vi": "lần chạy pytest của chính trình chấm bị lỗi (một plugin pytest của môi trường "
            "này, hoặc phiên bản pytest kit không hỗ trợ)"}),
    (("bwrap", "execvp"),
     {"en": "the box could not start its program",
      "vi": "hộp không khởi động được chương trình"}),
    (("SIGKILL", "MemoryError", "memory cap"),
     {"en": "the memory cap (--memory-mb) is too small for the reference on this machine",
      "vi": "giới hạn bộ nhớ (--memory-mb) quá nhỏ cho lời giải mẫu trên máy này"}),
    (("time limit", "timed out", "watchdog"),
     {"en": "the time limits are too tight for this machine (--test-timeout, --timeout)",
      "vi": "giới hạn thời gian quá chặt với máy này (--test-timeout, --timeout)"}),
]
UNKNOWN = {"en": "not recognised: read the lines above",
           "vi": "không nhận ra được: hãy đọc các dòng ở trên"}


@dataclass
class TopicCheck:
    topic: str
    passed: bool
    score: float
    max_score: float
    seconds: float
    cached: bool = False
    lost: list[dict] = field(default_factory=list)  # {"test", "output"} of each lost test
    output_tail: str = ""
    notes: list = field(default_factory=list)  # as data (core.messages.note_data)


class MachineNotReady(CnnkitError):
    """The reference solution loses points here: grading would blame students."""

    def __init__(self, checks: list[TopicCheck], lang: str | None = None):
        self.checks = checks
        super().__init__(describe_failure(checks, lang))


def cache_dir() -> Path:
    """``$CNNKIT_CACHE/canary``, else ``~/.cache/cnnkit/canary`` (or under XDG_CACHE_HOME)."""
    return paths.cache_root() / "canary"


@functools.lru_cache(maxsize=1)
def _packages() -> str:
    """The installed packages and versions (read once per process: every topic asks)."""
    return ",".join(sorted(f"{d.metadata['Name']}=={d.version}"
                           for d in metadata.distributions() if d.metadata["Name"]))


def _data_stat(root: Path, depth: int = 3) -> str:
    """Names, sizes, modes and times of the data folder's top levels: a data set added,
    replaced or made unreadable changes it."""
    if not root.is_dir():
        return ""
    lines, level = [], [root]
    for _ in range(depth):
        nxt = []
        for folder in level:
            try:
                entries = sorted(os.scandir(folder), key=lambda e: e.name)
            except OSError:
                continue
            for e in entries:
                st = e.stat(follow_symlinks=False)
                lines.append(f"{e.path}:{st.st_mode:o}:{st.st_size}:{st.st_mtime_ns}")
                if e.is_dir(follow_symlinks=False):
                    nxt.append(Path(e.path))
        level = nxt
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def fingerprint(topic: str, limits: Limits, ready: readiness.DataPlan) -> str:
    """Changes with anything that could change the reference's verdicts on this machine."""
    parts = [test_list.kit_source_digest(), test_list.kit_digest([topic]), sys.executable, sys.version,
             _packages(), str(paths.data_root()), str(paths.shared_mirror()), ready.digest(),
             repr(limits), os.environ.get("LD_LIBRARY_PATH", ""), str(box.python()),
             _data_stat(paths.data_root()), *sys.path, *(str(p) for p in box.bind_sources())]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:24]


def check_topic(topic: manifest.Topic, ready: readiness.DataPlan, limits: Limits,
                use_cache: bool = True) -> TopicCheck:
    """Grade the reference of one topic in a box as a student is graded (or read the
    cached verdict for this machine)."""
    graded = ready.graded_exercises(topic)
    fp = fingerprint(topic.name, limits, ready)
    cached = cache_dir() / f"{topic.name}-{fp}.json"
    if use_cache and cached.is_file():
        try:
            saved = TopicCheck(**json.loads(cached.read_text()))
            saved.cached = True
            return saved
        except (ValueError, TypeError):
            pass
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="cnnkit-canary-") as folder:
        run = topic_run.run_topic(
            topic.name, paths.solutions_dir() / topic.name, Path(folder),
            timeout=limits.topic_timeout_s or topic.timeout_s, limits=limits,
            exercises=None if len(graded) == len(topic.exercises) else graded)
    scores = score.score_topic(topic, run.results)
    lost = [{"test": s.name, "output": s.output[:1500]} for s in scores
            if s.score < s.max_score]
    result = TopicCheck(topic.name, not lost, sum(s.score for s in scores),
                        sum(s.max_score for s in scores), time.monotonic() - start,
                        lost=lost, output_tail=_worth_showing(run.output),
                        notes=[messages.note_data(n) for n in run.notes])
    if result.passed:
        cached.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(cached, json.dumps(asdict(result)))
    return result


def _worth_showing(output: str, keep: int = 40) -> str:
    """The runs' last lines, pytest's own INTERNALERROR traceback left out: what the worker
    printed before it died says more."""
    lines = [ln for ln in output.splitlines() if not ln.startswith("INTERNALERROR>")]
    return "\n".join(lines[-keep:])


def check(topics: list[manifest.Topic], ready: readiness.DataPlan, limits: Limits,
          lang: str | None = None, use_cache: bool = True, stream=None) -> list[TopicCheck]:
    """Every graded topic's reference, before any student; raise ``MachineNotReady``."""
    stream = stream or sys.stderr  # the stderr of the call, not of the import
    if not paths.solutions_dir().is_dir():
        return []  # a student bundle: nothing to grade with, nothing to check
    checks = []
    for topic in topics:
        if not ready.graded_exercises(topic):
            continue
        result = check_topic(topic, ready, limits, use_cache)
        checks.append(result)
        print(describe_check(result, lang), file=stream, flush=True)
    if any(not c.passed for c in checks):
        raise MachineNotReady(checks, lang)
    return checks


def describe_check(c: TopicCheck, lang: str | None = None) -> str:
    how = pick({"en": "cached", "vi": "đã lưu"}, lang) if c.cached else f"{c.seconds:.0f} s"
    verdict = pick({"en": "ok", "vi": "đạt"}, lang) if c.passed else \
        pick({"en": "FAILED", "vi": "KHÔNG ĐẠT"}, lang)
    return pick({"en": f"machine check: reference {c.topic} {c.score:g} / {c.max_score:g} "
                       f"{verdict} ({how})",
                 "vi": f"kiểm tra máy: lời giải mẫu {c.topic} {c.score:g} / {c.max_score:g} "
                       f"{verdict} ({how})"}, lang)


def likely_cause(text: str) -> dict:
    """The first cause whose words stand in ``text`` as words (``ORTE`` is not in
    ``reported``)."""
    for words, cause in CAUSES:
        if any(re.search(rf"(?<![\w]){re.escape(w)}", text) for w in words):
            return cause
    return UNKNOWN


def describe_failure(checks: list[TopicCheck], lang: str | None = None) -> str:
    """One screen: what the reference lost, the runs' last lines, the likely cause."""
    t = lambda en, vi: pick({"en": en, "vi": vi}, lang)  # noqa: E731
    failed = [c for c in checks if not c.passed]
    lines = [t("nobody was graded: this machine cannot grade the reference solution in the "
               "configuration students would get, so it would blame them for its own faults.",
               "chưa chấm bài nào: máy này không chấm đạt lời giải mẫu trong đúng cấu hình mà "
               "sinh viên sẽ được chấm, nên nó sẽ đổ lỗi của máy cho sinh viên.")]
    text = ""
    for c in failed:
        lines.append(t(f"- reference {c.topic}: {c.score:g} / {c.max_score:g}, "
                       f"{len(c.lost)} test(s) lost points, for example:",
                       f"- lời giải mẫu {c.topic}: {c.score:g} / {c.max_score:g}, "
                       f"{len(c.lost)} bài kiểm tra mất điểm, ví dụ:"))
        for lost in c.lost[:3]:
            first = " ".join(lost["output"].split())[:240]
            lines.append(f"    {lost['test']}: {first}")
        notes = [messages.note_from_data(n) or "" for n in c.notes]
        lines += [f"    {messages.note_text(n, i18n.current_lang(lang))[:240]}" for n in notes[:3]]
        text += "\n".join(x["output"] for x in c.lost) + "\n".join(
            messages.note_text(n, "en") for n in notes) + c.output_tail
    tail = next((c.output_tail for c in failed if c.output_tail.strip()), "")
    if tail:
        lines.append(t("  last lines of the trusted run and the worker:",
                       "  các dòng cuối của lần chạy tin cậy và của worker:"))
        lines += [f"    | {ln[:200]}" for ln in tail.splitlines()[-12:]]
    lines.append(t("likely cause: ", "nguyên nhân có thể: ") + pick(likely_cause(text), lang))
    lines.append(t("Fix the machine, then check it alone with: ./kit doctor",
                   "Hãy sửa máy, rồi kiểm tra riêng bằng: ./kit doctor"))
    return "\n".join(lines)


def doctor(topics: list[manifest.Topic], limits: Limits, lang: str | None = None,
           stream=None) -> tuple[int, str]:
    """Check this machine alone, afresh: the box, the data, the reference of each topic;
    return the exit code and the summary line (what this machine can grade, and how)."""
    stream = stream or sys.stderr  # the stderr of the call, not of the import
    t = lambda en, vi: pick({"en": en, "vi": vi}, lang)  # noqa: E731
    box.require(limits)
    ready = readiness.plan(topics)
    for line in readiness.describe(ready.not_graded, lang):
        print(t("data: ", "dữ liệu: ") + line, file=stream)
    try:
        checks = check(topics, ready, limits, lang, use_cache=False, stream=stream)
    except MachineNotReady as exc:
        return 1, str(exc)
    whole = [c.topic for c in checks]
    gpus = devices.gpu_indices()
    where = t("--train quick on the CPU", "--train quick trên CPU")
    if gpus:
        where += t(f", full on GPU {', '.join(map(str, gpus))}",
                   f", full trên GPU {', '.join(map(str, gpus))}")
    if not whole:
        return 1, t("this machine can grade no topic: the data they need is missing",
                    "máy này không chấm được chủ đề nào: thiếu dữ liệu cần thiết")
    return 0, t(f"this machine can grade topics {', '.join(whole)} with {where}",
                f"máy này chấm được các chủ đề {', '.join(whole)} với {where}")
