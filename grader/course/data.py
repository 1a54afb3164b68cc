"""Data sets and weights: the manifest, where they are, checksums, fetching."""

from __future__ import annotations

import hashlib
import os
import shutil
import tomllib
from dataclasses import dataclass
from pathlib import Path

from grader.core import paths
from grader.core.errors import NotFound, UnknownName

MANIFEST = paths.KIT_ROOT / "datasets" / "manifest.toml"


@dataclass
class Entry:
    name: str
    description: str
    folder: str
    md5: dict[str, str]
    torchvision: str | None = None
    weights: str | None = None
    file: str | None = None
    check_dirs: tuple[str, ...] = ()

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
                        md5=v.get("md5", {}), torchvision=v.get("torchvision"),
                        weights=v.get("weights"), file=v.get("file"),
                        check_dirs=tuple(v.get("check_dirs", ())))
            for name, v in raw.items()}


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


class DataMissing(NotFound):
    pass


def locate(name: str) -> Path:
    """The root folder that holds ``name`` (pass it to torchvision as ``root``)."""
    entry = load_manifest()[name]
    for root in search_roots():
        if entry.is_complete(root):
            return root
    raise DataMissing(
        f"{name} ({entry.description}) is not in {' or '.join(map(str, search_roots()))}.\n"
        f"Fetch it with:  cnnkit data fetch {name}" +
        ("   (or: --from /path/to/mirror)" if entry.torchvision or entry.weights else
         " --from /path/to/mirror"))


def status(verify: bool = False) -> list[tuple[str, str, str]]:
    rows = []
    for name, entry in load_manifest().items():
        where = next((str(r) for r in search_roots() if entry.is_complete(r)), "")
        state = "present" if where else "missing"
        if where and verify and entry.md5:
            state = "ok (md5)" if entry.is_complete(Path(where), verify=True) else "BAD CHECKSUM"
        rows.append((name, state, where or f"cnnkit data fetch {name}"))
    return rows


def fetch(name: str, mirror: Path | None = None, dest: Path | None = None) -> Path:
    """Put ``name`` into the data root: from ``mirror`` if given, else download."""
    entries = load_manifest()
    if name not in entries:
        raise UnknownName(f"unknown data set {name!r}; known: {', '.join(entries)}")
    entry = entries[name]
    dest = dest or paths.data_root()
    if entry.is_complete(dest):
        return dest
    if mirror is not None:
        src = Path(mirror) / entry.folder
        if not src.exists():
            raise DataMissing(f"{src} does not exist in the mirror")
        target = dest / entry.folder
        target.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, target, dirs_exist_ok=True)
        else:
            shutil.copy2(src, target)
    elif entry.torchvision:
        import torchvision.datasets as tvd

        cls = getattr(tvd, entry.torchvision)
        for train in (True, False):
            cls(root=str(dest), train=train, download=True)  # torchvision checks MD5s
    elif entry.weights:
        os.environ["TORCH_HOME"] = str(dest / "torch")
        import torchvision.models as tvm

        tvm.get_model(entry.weights, weights="IMAGENET1K_V1")
    else:
        raise DataMissing(f"{name} can only be copied from a local mirror: use --from FOLDER")
    if entry.md5 and not entry.is_complete(dest, verify=True):
        raise DataMissing(f"{name}: checksums do not match after fetching")
    return dest
