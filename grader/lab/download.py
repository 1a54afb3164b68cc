"""Fetching one manifest entry into the data root.

Four ways, by entry: a copy from a local mirror, a torchvision download (MNIST,
CIFAR-10), torch hub weights, or CIFAR-10 written out as image folders. Network
calls have a short timeout, downloads show a progress bar, and nothing counts as
fetched until its checksums match. A half-done copy or conversion never looks
complete: it is written beside its place and renamed at the end.
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

from grader.core import paths
from grader.lab.catalog import (WHY_OFFLINE, DataMissing, Entry, find, offline,
                                weights_enum, why_failed)
from grader.lab.catalog import entry as entry_named

NETWORK_TIMEOUT_S = 20
# What a failed download raises: URLError, timeouts and refused connections are
# OSErrors; torchvision and torch hub raise RuntimeError (all mirrors failed, bad hash).
NETWORK_ERRORS = (OSError, RuntimeError)


def fetch_named(name: str, mirror: Path | None = None, dest: Path | None = None) -> Path:
    """Put ``name`` into the data root: copied from ``mirror`` if given, else downloaded."""
    return fetch(entry_named(name), mirror, dest or paths.data_root())


def fetch(entry: Entry, mirror: Path | None, dest: Path) -> Path:
    if entry.is_complete(dest):
        return dest
    if mirror is not None:
        copy_from_mirror(entry, Path(mirror), dest)
    elif offline():
        raise DataMissing(entry.name, WHY_OFFLINE)
    else:
        print(f"cnnkit: fetching {entry.label()} into {dest}", file=sys.stderr, flush=True)
        try:
            with network_timeout(NETWORK_TIMEOUT_S):
                download(entry, dest)
        except DataMissing as exc:  # the entry it is made from is missing: say why
            raise DataMissing(entry.name, exc.why) from exc
        except NETWORK_ERRORS as exc:
            raise DataMissing(entry.name, why_failed(exc)) from exc
    if not entry.is_complete(dest, verify=True):
        raise DataMissing(entry.name, {"en": "its checksums do not match after fetching",
                                       "vi": "mã kiểm tra (checksum) không khớp sau khi tải"})
    return dest


@contextmanager
def network_timeout(seconds: float):
    """torchvision and torch hub open URLs without a timeout: give them one."""
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(previous)


def copy_from_mirror(entry: Entry, mirror: Path, dest: Path) -> None:
    src = mirror / entry.folder / (entry.file or "")
    if not src.exists():
        raise DataMissing(entry.name, {"en": f"the mirror {mirror} does not have it",
                                       "vi": f"bản mirror {mirror} không có"})
    target = dest / entry.folder / (entry.file or "")
    print(f"cnnkit: copying {entry.label()} from {mirror}", file=sys.stderr, flush=True)
    partial = target.with_name(f".{target.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.parent.mkdir(parents=True, exist_ok=True)
    if src.is_dir():
        shutil.copytree(src, partial)
        shutil.rmtree(target, ignore_errors=True)
    else:
        shutil.copy2(src, partial)
    os.replace(partial, target)


def download(entry: Entry, dest: Path) -> None:
    if entry.weights:
        download_weights(entry, dest)
    elif entry.torchvision:
        import torchvision.datasets as tvd

        dataset = getattr(tvd, entry.torchvision)
        for train in (True, False):  # torchvision checks the archives' MD5s
            dataset(root=str(dest), train=train, download=True)
    elif entry.source:
        source = find(entry.source) or fetch_named(entry.source)  # the entry it is made from
        write_image_folders(source, dest / entry.folder)
    else:
        raise DataMissing(entry.name, {"en": "it can only be copied from a local mirror "
                                             "(add --from FOLDER)",
                                       "vi": "chỉ có thể sao chép từ một bản mirror cục bộ "
                                             "(thêm --from THƯ_MỤC)"})


def download_weights(entry: Entry, dest: Path) -> None:
    """From the user's own torch hub cache if it is there, else from torchvision's URL."""
    import torch

    target = dest / entry.folder / entry.file
    target.parent.mkdir(parents=True, exist_ok=True)
    cached = Path(torch.hub.get_dir()) / "checkpoints" / entry.file
    if cached.is_file() and cached.resolve() != target.resolve():
        shutil.copy2(cached, target)
        return
    prefix = torch.hub.HASH_REGEX.search(entry.file)
    torch.hub.download_url_to_file(weights_enum(entry.weights).url, str(target),
                                   hash_prefix=prefix.group(1) if prefix else None,
                                   progress=True)


def write_image_folders(cifar_root: Path, target: Path) -> None:
    """CIFAR-10 from torchvision's python layout to ``train/<class>/NNNN.png`` and
    ``test/<class>/NNNN.png`` (lossless; numbers follow the original order)."""
    import torchvision.datasets as tvd

    partial = target.with_name(f".{target.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    for split, train in (("train", True), ("test", False)):
        dataset = tvd.CIFAR10(str(cifar_root), train=train, download=False)
        save_images(dataset, dataset.classes, partial / split, f"CIFAR-10 {split}")
    shutil.rmtree(target, ignore_errors=True)
    os.replace(partial, target)


def save_images(samples, classes: list[str], folder: Path, desc: str = "") -> None:
    """(PIL image, label) pairs as ``folder/<class>/NNNN.png``."""
    from tqdm import tqdm

    counts: dict[str, int] = defaultdict(int)
    for image, label in tqdm(samples, desc=desc, unit="img", file=sys.stderr):
        name = classes[label]
        (folder / name).mkdir(parents=True, exist_ok=True)
        image.save(folder / name / f"{counts[name]:04d}.png")
        counts[name] += 1
