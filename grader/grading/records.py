"""A student's saved results.json is trusted on a re-run only if the grader made it.

Each results.json carries a MAC made with a key that only the grader holds: a
0600 file in the output folder, which no box ever sees. A file that was
rewritten, replaced by a FIFO or a link, or made with another key is ignored,
and the student is graded again.
"""

from __future__ import annotations

import json
import math
import os
import secrets
import stat
from pathlib import Path

from grader.core.results import sign
from grader.grading.box.safefiles import UnsafeFile, read_bytes

KEY_NAME = ".cnnkit-key"
MAC_FIELD = "mac"


def grader_key(out: Path) -> bytes:
    """The output folder's key, created (0600, never following a link) on first use."""
    path = Path(out) / KEY_NAME
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:
        info = os.lstat(path)
        try:
            key = read_bytes(path, 256)
        except UnsafeFile:
            key = b""
        if stat.S_IMODE(info.st_mode) & 0o077 or len(key) < 32:
            path.unlink()  # readable by others, or not a key: start over, grade again
            return grader_key(out)
        return key
    key = secrets.token_hex(32).encode()
    with os.fdopen(fd, "wb") as fh:
        fh.write(key)
    return key


def finite(value, where: str = "") -> tuple[object, list[str]]:
    """``value`` with every NaN or infinity (which strict JSON cannot hold) replaced by
    None, and where each one was ("cnnkit.training.x.accuracy")."""
    if isinstance(value, float) and not math.isfinite(value):
        return None, [where or "."]
    if isinstance(value, dict):
        out, bad = {}, []
        for k, v in value.items():
            out[k], more = finite(v, f"{where}.{k}" if where else str(k))
            bad += more
        return out, bad
    if isinstance(value, (list, tuple)):
        out, bad = [], []
        for i, v in enumerate(value):
            item, more = finite(v, f"{where}[{i}]")
            out.append(item)
            bad += more
        return out, bad
    return value, []


def dumps(record, **kwargs) -> str:
    """Strict JSON: a NaN or infinity left in ``record`` raises instead of being written
    as a bare token that JSON readers refuse."""
    return json.dumps(record, allow_nan=False, **kwargs)


def seal(result: dict, key: bytes) -> dict:
    """``result`` with its MAC under ``result["cnnkit"]["mac"]`` (non-finite numbers made
    null first, so the sealed record is strict JSON)."""
    result, _ = finite(result)
    body = json.loads(dumps(result))  # a plain copy, as it will be read back
    body["cnnkit"].pop(MAC_FIELD, None)
    body["cnnkit"][MAC_FIELD] = sign(key, {"result": _without_mac(body)})
    return body


def _without_mac(result: dict) -> dict:
    return {**result, "cnnkit": {k: v for k, v in result["cnnkit"].items() if k != MAC_FIELD}}


def load_trusted(path: Path, key: bytes) -> dict | None:
    """The saved result if the grader made it with ``key``; ``None`` otherwise."""
    try:
        saved = json.loads(read_bytes(path, 8 * 1024 * 1024))
        mac = saved["cnnkit"][MAC_FIELD]
        expected = sign(key, {"result": _without_mac(saved)})
    except (UnsafeFile, OSError, ValueError, KeyError, TypeError):
        return None
    return saved if isinstance(mac, str) and secrets.compare_digest(mac, expected) else None
