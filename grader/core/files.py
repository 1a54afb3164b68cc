"""Writing files so that a killed process never leaves half of one."""

from __future__ import annotations

import os
from pathlib import Path


def atomic_write(path: Path, data: str | bytes) -> Path:
    """Write to a temporary sibling, then rename over ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    if isinstance(data, bytes):
        tmp.write_bytes(data)
    else:
        # a lone surrogate (a byte of a submission that is not UTF-8) is written escaped
        tmp.write_text(data, encoding="utf-8", errors="backslashreplace")
    os.replace(tmp, path)
    return path
