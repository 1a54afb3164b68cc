"""Data sets and weights: the manifest, where they are, and fetching on first use.

``locate(name)`` is what tests, training and grading call. It finds ``name`` in the
data root or in the mirror beside the checkout; when it is in neither, it fetches it
(``grader.course.download``) unless ``CNNKIT_OFFLINE=1``; when that is impossible it
raises ``DataMissing``, whose ``line()`` names the data set and the fetch command.
"""

from __future__ import annotations

import hashlib
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from grader.core import paths
from grader.core.errors import NotFound, UnknownName
from grader.core.i18n import pick

MANIFEST = paths.KIT_ROOT / "datasets" / "manifest.toml"
OFFLINE_ENV = "CNNKIT_OFFLINE"


@dataclass
class Entry:
    name: str
    description: str
    folder: str
    md5: dict[str, str]
    title: dict[str, str] = field(default_factory=dict)
    torchvision: str | None = None
    weights: str | None = None
    file: str | None = None
    check_dirs: tuple[str, ...] = ()
    source: str | None = None  # another entry this one is converted from

    def label(self, lang: str | None = None) -> str:
        return f"{pick(self.title, lang) if self.title else self.name} ({self.name})"

    def is_complete(self, root: Path, verify: bool = False) -> bool:
        base = root / self.folder
        if self.file:
            return (base / self.file).is_file()
        if self.check_dirs:
            return all((base / d).is_dir() and any((base / d).iterdir()) for d in self.check_dirs)
        if not all((base / f).is_file() for f in self.md5):
            return False
        return not verify or all(md5sum(base / f) == h for f, h in self.md5.items())


def load_manifest() -> dict[str, Entry]:
    with open(MANIFEST, "rb") as fh:
        raw = tomllib.load(fh)
    return {name: Entry(name=name, description=v["description"], folder=v["folder"],
                        md5=v.get("md5", {}), title=v.get("title", {}),
                        torchvision=v.get("torchvision"), weights=v.get("weights"),
                        file=v.get("file"), check_dirs=tuple(v.get("check_dirs", ())),
                        source=v.get("from"))
            for name, v in raw.items()}


def entry(name: str) -> Entry:
    entries = load_manifest()
    if name not in entries:
        raise UnknownName(f"unknown data set {name!r}; known: {', '.join(entries)}")
    return entries[name]


def md5sum(path: Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def search_roots() -> list[Path]:
    """Where data is looked for: the data root, then the mirror beside the checkout."""
    roots = [paths.data_root()]
    mirror = paths.shared_mirror()
    if mirror.is_dir() and mirror not in roots:
        roots.append(mirror)
    return roots


def offline() -> bool:
    return os.environ.get(OFFLINE_ENV) == "1"


def fetch_command(name: str) -> str:
    return f"./kit data fetch {name}"


# Why something could not be had, in both languages.
WHY_OFFLINE = {"en": f"offline mode ({OFFLINE_ENV}=1) does not download",
               "vi": f"chế độ ngoại tuyến ({OFFLINE_ENV}=1) không tải dữ liệu về"}


def why_failed(exc: BaseException) -> dict[str, str]:
    first = (str(exc).strip().splitlines() or [""])[0][:160]
    reason = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
    return {"en": f"downloading it failed ({reason})", "vi": f"tải về thất bại ({reason})"}


class DataMissing(NotFound):
    """``name`` is not on this machine and could not be fetched.

    ``line()`` is the one line a student or instructor reads (a skipped test, a grader
    that stops); ``str()`` adds where the kit looked.
    """

    def __init__(self, name: str, why: dict[str, str], detail: str = ""):
        self.name, self.why, self.detail = name, why, detail
        super().__init__(name)

    def line(self, lang: str | None = None) -> str:
        known = load_manifest().get(self.name)
        label = known.label(lang) if known else self.name
        return pick({
            "en": f"not on this machine: {label}; {self.why['en']}. "
                  f"Fetch it with: {fetch_command(self.name)}",
            "vi": f"máy này chưa có {label}; {self.why['vi']}. "
                  f"Tải về bằng: {fetch_command(self.name)}",
        }, lang)

    def __str__(self) -> str:
        return self.line() + (f"\n{self.detail}" if self.detail else "")


# A fetch that failed once in this process is not tried again (each try may wait on
# the network); the same DataMissing is raised at once.
_failed: dict[tuple, DataMissing] = {}


def locate(name: str, fetch_missing: bool = True) -> Path:
    """The root folder that holds ``name`` (pass it to torchvision as ``root``).

    Missing data is fetched into the data root unless ``fetch_missing`` is false or
    ``CNNKIT_OFFLINE=1``; ``DataMissing`` when it cannot be had.
    """
    wanted = entry(name)
    for root in search_roots():
        if wanted.is_complete(root):
            return root
    roots = list(map(str, search_roots()))
    looked = "looked in " + " and ".join(roots)
    if not fetch_missing:
        raise DataMissing(name, {"en": f"it is not in the data folders ({looked})",
                                 "vi": f"không có trong các thư mục dữ liệu "
                                       f"({', '.join(roots)})"})
    attempt = (name, looked, offline())
    if attempt in _failed:
        raise _failed[attempt]
    try:
        return fetch(name)
    except DataMissing as exc:
        exc.detail = "\n".join(x for x in (exc.detail, looked) if x)
        _failed[attempt] = exc
        raise


def missing(names) -> dict[str, DataMissing]:
    """Which of ``names`` cannot be had (after trying to fetch them), with the reason."""
    out = {}
    for name in dict.fromkeys(names):
        try:
            locate(name)
        except DataMissing as exc:
            out[name] = exc
    return out


def fetch(name: str, mirror: Path | None = None, dest: Path | None = None) -> Path:
    """Put ``name`` into the data root: copied from ``mirror`` if given, else downloaded."""
    from grader.course import download

    return download.fetch(entry(name), mirror, dest or paths.data_root())


def status(verify: bool = False) -> list[tuple[str, str, str]]:
    rows = []
    for name, known in load_manifest().items():
        where = next((str(r) for r in search_roots() if known.is_complete(r)), "")
        state = "present" if where else "missing"
        if where and verify and known.md5:
            state = "ok (md5)" if known.is_complete(Path(where), verify=True) else "BAD CHECKSUM"
        rows.append((name, state, where or fetch_command(name)))
    return rows
