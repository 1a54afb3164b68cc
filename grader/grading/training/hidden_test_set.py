"""Keep the held-out test images out of a training box (trusted side).

A graded run is scored on held-out test images (``grader/lab/heldout_images.py``). Shifting them by a secret
pixel stops a plain lookup, but a box that can read the whole public test set could still
search it for the nearest image under every shift and copy its label. So the training box
never sees the held-out images at all: every copy of the test set it could read (in the
data root and in the mirror) is covered by a read-only bind of *the public rest*, the
test images that are not held out, in the same format and order:

- MNIST: ``t10k-images-idx3-ubyte`` / ``t10k-labels-idx1-ubyte`` rewritten with the rest;
- CIFAR-10 as image folders: ``test/`` replaced by a folder of the rest's files;
- any other copy (archives, torchvision's python batches, an old ``processed/``) is
  covered by an empty file or folder.

The student's run trains and tests on what it sees, as before; only its own ``test_acc``
is then measured on fewer images, and that number earns nothing anyway.
"""

from __future__ import annotations

import os
import shutil
import struct
from dataclasses import dataclass, field
from pathlib import Path

import torch

from grader.lab import data
from grader.lab.data import locate
from grader.lab.heldout_images import HeldOut

MNIST_TEST = {"t10k-images-idx3-ubyte": "images", "t10k-labels-idx1-ubyte": "labels"}
MNIST_OTHER = ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
CIFAR_OTHER = ("cifar-10-batches-py/test_batch", "cifar-10-python.tar.gz")


@dataclass
class TestSetView:
    """The binds that replace the test set in a box: ``(source, target)`` pairs, and
    ``cifar10_root``: a folder named ``cifar10-jpg`` with the box's view (``train/`` and
    the rest as ``test/``), for trusted code that must see what the box sees."""

    binds: list[tuple[str, str]] = field(default_factory=list)
    cifar10_root: Path | None = None


def _roots() -> list[Path]:
    return [r.resolve() for r in data.search_roots() if r.is_dir()]


def _rest(held: HeldOut, total: int) -> torch.Tensor:
    keep = torch.ones(total, dtype=torch.bool)
    keep[held.indices] = False
    return keep.nonzero().flatten()


def _write_idx_images(path: Path, images: torch.Tensor) -> None:
    n, h, w = images.shape
    path.write_bytes(struct.pack(">IIII", 2051, n, h, w) + images.contiguous().numpy().tobytes())


def _write_idx_labels(path: Path, labels: torch.Tensor) -> None:
    path.write_bytes(struct.pack(">II", 2049, len(labels))
                     + labels.to(torch.uint8).numpy().tobytes())


def _blank(folder: Path) -> tuple[Path, Path]:
    empty_file, empty_dir = folder / "empty", folder / "empty.d"
    empty_file.touch()
    empty_dir.mkdir(exist_ok=True)
    return empty_file, empty_dir


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def mnist_view(held: HeldOut, folder: Path) -> TestSetView:
    from torchvision import datasets

    test = datasets.MNIST(str(locate("mnist")), train=False, download=False)
    rest = _rest(held, len(test.data))
    _write_idx_images(folder / "t10k-images-idx3-ubyte", test.data[rest])
    _write_idx_labels(folder / "t10k-labels-idx1-ubyte", test.targets[rest])
    empty_file, empty_dir = _blank(folder)
    view = TestSetView()
    for root in _roots():
        raw = root / "MNIST" / "raw"
        for name in MNIST_TEST:
            if (raw / name).is_file():
                view.binds.append((str(folder / name), str(raw / name)))
        for name in MNIST_OTHER:
            if (raw / name).is_file():
                view.binds.append((str(empty_file), str(raw / name)))
        if (root / "MNIST" / "processed").is_dir():
            view.binds.append((str(empty_dir), str(root / "MNIST" / "processed")))
    return view


def cifar10_view(held: HeldOut, folder: Path) -> TestSetView:
    from torchvision import datasets

    source = locate("cifar10-jpg") / "cifar10-jpg"
    test = datasets.ImageFolder(str(source / "test"))
    root = folder / "cifar10-jpg"
    rest_dir = root / "test"
    for i in _rest(held, len(test.samples)).tolist():
        path = Path(test.samples[i][0])
        target = rest_dir / path.parent.name / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        _link_or_copy(path, target)
    (root / "train").symlink_to(source.resolve() / "train")
    empty_file, _ = _blank(folder)
    view = TestSetView(cifar10_root=root)
    for data_root in _roots():
        if (data_root / "cifar10-jpg" / "test").is_dir():
            view.binds.append((str(rest_dir), str(data_root / "cifar10-jpg" / "test")))
        for name in CIFAR_OTHER:
            if (data_root / name).is_file():
                view.binds.append((str(empty_file), str(data_root / name)))
    return view


def build(held: HeldOut, folder: Path) -> TestSetView:
    """The box's view of ``held.dataset``'s test set without ``held``'s images, written
    under ``folder`` (readable by the box's uid)."""
    folder.mkdir(parents=True, exist_ok=True)
    view = mnist_view(held, folder) if held.dataset == "mnist" else cifar10_view(held, folder)
    for path in (folder, *folder.rglob("*")):
        if not path.is_symlink() and not path.stat().st_nlink > 1:
            path.chmod(0o755 if path.is_dir() else 0o644)
    return view
