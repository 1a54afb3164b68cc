"""Shared helpers of the benchmark scripts: wall-clock a command, print a table."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

KIT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(KIT))


def wall(cmd: list[str], repeat: int = 1, **kw) -> float:
    """Best wall time of ``repeat`` runs of ``cmd`` (seconds)."""
    env = {**os.environ, "MPLBACKEND": "Agg", **kw.pop("env", {})}
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(cmd, cwd=kw.pop("cwd", KIT), env=env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        best = min(best, time.perf_counter() - t0)
    return best


def table(rows: list[tuple[str, str]]) -> None:
    width = max(len(r[0]) for r in rows)
    for name, value in rows:
        print(f"  {name:<{width}}  {value}")
