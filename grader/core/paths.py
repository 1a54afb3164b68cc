"""Where things live: the kit root, its topic folders and the data root."""

from __future__ import annotations

import difflib
import os
import re
from pathlib import Path

from grader.core.errors import UnknownName
from grader.core.i18n import pick

KIT_ROOT = Path(__file__).resolve().parents[2]
TOPIC_PATTERN = re.compile(r"^\d\d_[a-z0-9_]+$")
DATA_ENV = "CNNKIT_DATA"


def solutions_dir() -> Path:
    return KIT_ROOT / "solutions"


REFERENCE_DIR = "reference"  # a student bundle's released reference solutions


def reference_dir(topic: str) -> Path:
    """A topic's reference solutions: ``solutions/`` in the kit, else what the instructor
    released into a student bundle (``reference/``)."""
    kit = solutions_dir() / topic
    return kit if kit.is_dir() else KIT_ROOT / REFERENCE_DIR / topic


def exercises_dir() -> Path:
    return KIT_ROOT / "exercises"


def hidden_tests_dir() -> Path:
    return KIT_ROOT / "hidden_tests"


def topics(base: Path | None = None) -> list[str]:
    """Topic folder names (``01_cnn`` ...), sorted, from solutions/ or exercises/."""
    if base is None:
        base = solutions_dir() if solutions_dir().is_dir() else exercises_dir()
    return sorted(p.name for p in base.iterdir() if p.is_dir() and TOPIC_PATTERN.match(p.name))


def resolve_topic(name: str) -> str:
    """Accept ``01_cnn``, ``01``, ``1``, ``cnn`` or a topic's folder (``01_cnn/``,
    ``exercises/01_cnn``) and return the folder name; a typo gets a suggestion."""
    known = topics()
    given = str(name).strip().rstrip("/\\")
    given = Path(given).name if ("/" in given or "\\" in given) else given
    aliases = {}
    for t in known:
        number, _, word = t.partition("_")
        for alias in (t, number, str(int(number)), word):
            aliases.setdefault(alias, t)
    if given in aliases:
        return aliases[given]
    close = difflib.get_close_matches(given, list(aliases), n=1, cutoff=0.6)
    hint = {"en": f"; did you mean {aliases[close[0]]}?", "vi": f"; ý bạn là {aliases[close[0]]}?"} \
        if close else {"en": "", "vi": ""}
    raise UnknownName(pick({
        "en": f"unknown topic {name!r}{hint['en']} Known topics: {', '.join(known)}",
        "vi": f"không có chủ đề {name!r}{hint['vi']} Các chủ đề: {', '.join(known)}"}))


def data_root() -> Path:
    """The data folder: $CNNKIT_DATA, else ``datasets/`` in the kit."""
    env = os.environ.get(DATA_ENV)
    return Path(env).expanduser().resolve() if env else KIT_ROOT / "datasets"


def shared_mirror() -> Path:
    """The offline data mirror that sits beside a checkout (``../shared/data``)."""
    env = os.environ.get("CNNKIT_MIRROR")
    return Path(env).expanduser().resolve() if env else KIT_ROOT.parent / "shared" / "data"


def cache_root() -> Path:
    """``$CNNKIT_CACHE``, else ``~/.cache/cnnkit`` (or under ``XDG_CACHE_HOME``): what the
    grader may compute again at any time (a machine check's pass, a topic's test list)."""
    if os.environ.get("CNNKIT_CACHE"):
        return Path(os.environ["CNNKIT_CACHE"]).expanduser()
    root = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(root).expanduser() / "cnnkit"
