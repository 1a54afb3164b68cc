"""A graded run's secret labels: its classes renamed by a permutation only the grader knows.

Weights fitted before the run (on public MNIST, say, and carried in the source) know the
public labels. So the trusted side draws, for every graded run, a permutation of the
classes with no fixed point, and the box's training data names each image of class ``c``
``permutation[c]``. Only weights that learnt from the box's data name the held-out images
that way: the trusted side scores the predictions against ``permutation[label]``, and
measures them against the public labels as well, so that weights which answer by the
public names are named as such in the record (``not_trained_here``), not only given 0.

MNIST: the box's label files (``train-labels-idx1-ubyte`` and the public rest of the test
set) are rewritten with the permuted labels, into a folder of this run, and laid
read-only over every copy the box could read; a compressed copy of the training labels is
covered by an empty file (the test set's copies and ``processed/`` are covered by
``hidden_test_set.py`` already). The images are untouched. The permutation itself is
never written anywhere: only the relabelled files are, and the folder is removed after
the run. CIFAR-10 as image folders: ``secret_images.py``. Other data sets keep their
labels (``identity``).

What this proves, and what it does not: docs/threat-model.md.
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import torch

from grader.core import paths
from grader.lab import data

NUM_CLASSES = 10
MNIST_LABELS = ("train-labels-idx1-ubyte", "t10k-labels-idx1-ubyte")
MNIST_LABELS_COMPRESSED = ("train-labels-idx1-ubyte.gz",)
IDX_LABELS_MAGIC = 2049


@dataclass
class SecretLabels:
    """One run's permutation (``permutation[c]``: the box's name of public class ``c``)
    and the binds that show the box its relabelled data."""

    permutation: torch.Tensor
    binds: list[tuple[str, str]] = field(default_factory=list)
    folder: Path | None = None  # this run's relabelled files, removed by ``close``

    @property
    def secret(self) -> bool:
        return bool((self.permutation != torch.arange(len(self.permutation))).any())

    def relabel(self, labels: torch.Tensor) -> torch.Tensor:
        """``labels`` (public class numbers) as this run's data names them."""
        return self.permutation[labels.long()]

    def cover(self, view_binds: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """The box's binds: ``view_binds`` (the test set's view), with this run's
        relabelled files in place of any that lie on the same targets."""
        ours = {target for _, target in self.binds}
        return [b for b in view_binds if b[1] not in ours] + list(self.binds)

    def close(self) -> None:
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None

    def __repr__(self) -> str:  # never print the permutation into a log by accident
        return f"SecretLabels({'secret' if self.secret else 'identity'}, {len(self.binds)} binds)"


def derangement(n: int = NUM_CLASSES) -> torch.Tensor:
    """A uniformly drawn permutation of ``n`` classes in which no class keeps its number,
    from the operating system's randomness (no seed a box could know)."""
    rng = secrets.SystemRandom()
    while True:
        order = list(range(n))
        rng.shuffle(order)
        if all(order[i] != i for i in range(n)):
            return torch.tensor(order, dtype=torch.long)


def identity(n: int = NUM_CLASSES) -> SecretLabels:
    return SecretLabels(torch.arange(n))


def _roots() -> list[Path]:
    """Every data folder the box binds (``box.bind_sources``) that could hold MNIST."""
    found = [*data.search_roots(), paths.KIT_ROOT / "datasets"]
    return list(dict.fromkeys(r.resolve() for r in found if r.is_dir()))


def relabel_idx(source: Path, target: Path, permutation: torch.Tensor) -> None:
    """Write ``source``'s idx label file to ``target`` with each label ``c`` replaced by
    ``permutation[c]`` (header and order unchanged)."""
    raw = Path(source).read_bytes()
    if len(raw) < 8 or int.from_bytes(raw[:4], "big") != IDX_LABELS_MAGIC:
        raise ValueError(f"{source} is not an idx label file")
    names = permutation.tolist()
    table = bytes(names[i] if i < len(names) else i for i in range(256))
    target.write_bytes(raw[:8] + raw[8:].translate(table))


def for_mnist(view_binds: list[tuple[str, str]]) -> SecretLabels:
    """A fresh permutation for one MNIST run, and its relabelled label files: each label
    file the box could read (after ``view_binds``, the test set's view) gets a relabelled
    copy laid over it."""
    permutation = derangement()
    folder = Path(tempfile.mkdtemp(prefix="cnnkit-labels-"))
    folder.chmod(0o755)  # the box's uid reads the files; the folder lives in host /tmp
    labels = SecretLabels(permutation, folder=folder)
    try:
        shown = dict((target, source) for source, target in view_binds)
        copies: dict[str, str] = {}
        empty = folder / "empty"
        empty.touch()
        empty.chmod(0o644)
        for root in _roots():
            raw = root / "MNIST" / "raw"
            for name in MNIST_LABELS:
                target = str(raw / name)
                if not (raw / name).is_file():
                    continue
                source = shown.get(target, target)  # what the box would read without us
                if source not in copies:
                    copy = folder / f"{len(copies)}-{name}"
                    relabel_idx(Path(source), copy, permutation)
                    copy.chmod(0o644)
                    copies[source] = str(copy)
                labels.binds.append((copies[source], target))
            for name in MNIST_LABELS_COMPRESSED:
                if (raw / name).is_file():
                    labels.binds.append((str(empty), str(raw / name)))
    except BaseException:
        labels.close()
        raise
    return labels
