"""The lines of a pytest failure that say the most, for short reports."""

from __future__ import annotations

NOISE = ("+", "where", "assert ")
STOP = ("Failing test case", "Falsifying example")


def key_lines(message: str, limit: int = 8) -> str:
    """The ``E`` lines of a failure (the assertion's own message), without pytest's
    re-evaluation noise; the last line when there is no ``E`` line."""
    kept = []
    for line in message.splitlines():
        if not line.startswith("E "):
            continue
        text = line[1:].strip()
        if text.startswith(STOP):
            break
        if text and not text.startswith(NOISE):
            kept.append(text)
    if kept:
        return "\n".join(kept[:limit])
    lines = [ln for ln in message.strip().splitlines() if ln.strip()]
    return lines[-1] if lines else ""
