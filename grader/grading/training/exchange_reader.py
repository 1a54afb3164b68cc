"""The grader's side of a graded run's exchange: the capped child (``exchange``) started
on the request, and what it wrote read back with caps (facts, weights, learning curves, the
log's tail), so no answer decides what the grader allocates."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

from grader.core import i18n
from grader.lab import weights_io


EXCHANGE_MEMORY_MB = 1536  # what reading one run's answer may add to the child's memory

EXCHANGE_START_S = 180  # the child's own start and the worker's, beyond the run's budget

def exchange_in_child(folder: Path, request: dict) -> tuple[dict, dict | None, bytes]:
    """Run ``training.exchange`` as a child process on ``request``; read back, with caps,
    what it kept: ``(facts, weights or None, png)``."""
    request_path = folder / "request.pkl"
    request_path.write_bytes(pickle.dumps(request))
    out = folder / "out"
    out.mkdir()
    timeout = float(request["budget_s"]) + EXCHANGE_START_S
    try:
        done = subprocess.run([sys.executable, "-m", "grader.grading.training.exchange",
                               str(request_path), str(out)], stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              timeout=timeout, env=_child_env())
        failure = done.stderr.decode("utf-8", "replace")[-300:] if done.returncode else ""
    except subprocess.TimeoutExpired:
        failure = f"no answer within {timeout:.0f} s"
    facts = read_facts(out / "facts.json")
    if facts is None:
        return {"problem": {
            "en": f"the grader could not read the training run's answer ({failure.strip() or 'none'})",
            "vi": f"trình chấm không đọc được câu trả lời của lần huấn luyện "
                  f"({failure.strip() or 'không có'})"}}, None, b""
    state = None
    weights = out / "weights.pt"
    if facts.get("problem") is None and weights.is_file():
        try:
            state = weights_io.read_state_dict(_read_at_most(weights, weights_io.MAX_BYTES
                                                              + (2 << 20)))
        except weights_io.BadWeights as exc:
            facts["problem"] = exc.why
    png = _read_at_most(out / "curves.png", 4 << 20) if (out / "curves.png").is_file() else b""
    return facts, state, png if png.startswith(b"\x89PNG") else b""

def _child_env() -> dict:
    """The exchange child's environment: the kit on its path, and messages kept in every
    language (its reasons reach the record in both)."""
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    env["CNNKIT_LANG"] = i18n.BOTH
    return env

def _read_at_most(path: Path, most: int) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(most + 1)

def read_facts(path: Path) -> dict | None:
    """The child's facts: plain JSON, checked field by field."""
    try:
        facts = json.loads(_read_at_most(path, 1 << 20).decode("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(facts, dict):
        return None
    problem = facts.get("problem")
    if problem is not None and not (isinstance(problem, dict) and all(
            isinstance(problem.get(k), str) for k in ("en", "vi"))):
        problem = {"en": "the training run gave no usable result",
                   "vi": "lần huấn luyện không cho kết quả dùng được"}
    seconds = facts.get("train_seconds")
    reported = facts.get("reported") if isinstance(facts.get("reported"), dict) else {}
    return {"problem": problem, "reported": _shown(reported),
            "train_seconds": round(float(seconds), 1) if _number(seconds) else None,
            "features": facts.get("features") if isinstance(facts.get("features"), str)
            else None}

def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)

def _shown(reported) -> dict:
    """What the run says of itself, kept for the feedback only: numbers and short words."""
    if not isinstance(reported, dict):
        return {}
    return {str(k)[:40]: (float(v) if _number(v) else v[:80]) for k, v in
            list(reported.items())[:8] if _number(v) or isinstance(v, str)}

def tail_of(path: Path, lines: int = 15, most: int = 4000) -> str:
    """The last lines the run printed (progress, a traceback), for the feedback."""
    try:
        with open(path, "rb") as log:
            return _tail(log, lines, most)
    except OSError:
        return ""

def _tail(log, lines: int = 15, most: int = 4000) -> str:
    """The last lines the run printed (progress, a traceback), for the feedback."""
    try:
        log.seek(max(0, log.seek(0, 2) - most))
        text = log.read().decode("utf-8", "replace")
    finally:
        log.close()
    return "\n".join(text.splitlines()[-lines:])
