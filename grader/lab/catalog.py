"""What data the kit knows: the manifest's entries, the folders it looks in, the
backbones' ImageNet weights, and ``DataMissing``, the one error for data that is not there.

The bottom of the data rooms: ``download`` fetches an entry, ``data`` finds or fetches it,
``weights`` points torch hub at it; each imports only the rooms below it.
"""

from __future__ import annotations

import hashlib
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from grader.core import paths
from grader.core.errors import NotFound, UnknownName
from grader.core.i18n import msg, pick

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
        raise UnknownName(msg(f"unknown data set {name!r}; known: {', '.join(entries)}",
                              f"bộ dữ liệu không biết {name!r}; các bộ đã biết: {', '.join(entries)}"))
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


def find(name: str) -> Path | None:
    """The first data folder that holds ``name`` complete, or None."""
    wanted = entry(name)
    return next((root for root in search_roots() if wanted.is_complete(root)), None)


BACKBONES = {"resnet18": "ResNet18_Weights", "mobilenet_v2": "MobileNet_V2_Weights"}


def weights_enum(backbone: str, weights: str = "IMAGENET1K_V1"):
    """torchvision's enum of ``backbone``'s pretrained ``weights``."""
    import torchvision.models as tvm  # lazy: keeps torchvision out of start-up

    if backbone not in BACKBONES:
        raise UnknownName(msg(f"unknown backbone {backbone!r}; choose one of {', '.join(BACKBONES)}",
                              f"backbone không biết {backbone!r}; hãy chọn một trong "
                              f"{', '.join(BACKBONES)}"))
    return getattr(getattr(tvm, BACKBONES[backbone]), weights)
