"""The student's progress between commands: hints seen and the last results per file,
in a small git-ignored JSON file (``$CNNKIT_STATE`` or ``.cnnkit-state.json``)."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from grader.core import paths
from grader.core.files import atomic_write


def state_path() -> Path:
    return Path(os.environ.get("CNNKIT_STATE", paths.KIT_ROOT / ".cnnkit-state.json"))


def load_state() -> dict:
    try:
        return json.loads(state_path().read_text())
    except (OSError, json.JSONDecodeError):
        return {}


def save_state(state: dict) -> None:
    atomic_write(state_path(), json.dumps(state, indent=1, sort_keys=True))


def file_hash(path: Path) -> str:
    return hashlib.sha1(path.read_bytes()).hexdigest() if path.is_file() else "missing"
