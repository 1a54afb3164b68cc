"""Paths as a shell user types them: a relative path is read from the folder where
``./kit`` was run (``$CNNKIT_CWD``: the script changes to the kit's own folder first),
not from the kit's folder."""

from __future__ import annotations

import os
from pathlib import Path

CWD_ENV = "CNNKIT_CWD"
# The arguments that name a file or folder, in any command.
PATH_ARGS = ("submissions", "out", "target", "mirror", "dir", "roster", "plan")
KIT_WORDS = {"target": ("exercises", "solutions")}  # names of the kit's own folders


def caller_dir() -> Path:
    """The folder the command was typed in."""
    return Path(os.environ.get(CWD_ENV) or os.getcwd())


def from_caller(value: str) -> str:
    """``value`` as the user meant it: absolute, or relative to ``caller_dir()``."""
    path = Path(value).expanduser()
    return str(path if path.is_absolute() else caller_dir() / path)


def resolve_args(args) -> None:
    """Make every path argument of ``args`` absolute, from the caller's folder."""
    if not os.environ.get(CWD_ENV):
        return  # run as `cnnkit`: the process's own folder is the caller's
    caller = caller_dir()
    os.environ.pop(CWD_ENV)  # read once: a process this one starts has its own folder
    for name in PATH_ARGS:
        value = getattr(args, name, None)
        if isinstance(value, str) and value and value not in KIT_WORDS.get(name, ()):
            path = Path(value).expanduser()
            setattr(args, name, str(path if path.is_absolute() else caller / path))
