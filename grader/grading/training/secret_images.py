"""A graded CIFAR-10 run's secret labels: each class's images under another class's folder.

``ImageFolder`` numbers the classes by their sorted folder names, so the box's training
data names public class ``c`` ``permutation[c]`` when every image of ``c`` lies in the
folder of class ``permutation[c]``. The box must not be able to read that mapping back:

- binds show their source in ``/proc/self/mountinfo``: the folders are not bound from the
  mirror's class folders but from a fresh copy of this run, under the grader's temp space;
- hard links keep the mirror's inode numbers and times, which follow the alphabetical
  order of the class folders: the images are copied (their bytes, not their metadata),
  the class folders created in a random order, the files written in one random order
  over all classes, renamed to their rank in that order, and every time set equal.

Only what the run reads is copied: the quick profile reads a subset (``sizes``), the full
profile every image. The permutation itself is never written; the copy is removed after
the run (``SecretLabels.close``). Cached features carry public labels: graded runs on
renamed data do not get the class's shared features (``graded_run``).

What this proves, and what it does not: docs/threat-model.md.
"""

from __future__ import annotations

import math
import os
import secrets
from pathlib import Path

from grader.grading.training import secret_labels
from grader.grading.training.secret_labels import SecretLabels, derangement
from grader.lab import data

SPLITS = ("train", "test")
# torchvision's python batches of the training set carry the public labels.
CIFAR_TRAIN_OTHER = tuple(f"cifar-10-batches-py/data_batch_{i}" for i in range(1, 6)) + \
    ("cifar-10-batches-py/batches.meta",)
EQUAL_TIME = 946684800  # every copied file and folder: 2000-01-01, the same for all


def _roots() -> list[Path]:
    return [r.resolve() for r in data.search_roots() if r.is_dir()]


def _chosen(source: Path, sizes: dict[str, int], rng) -> list[tuple[Path, str, int]]:
    """``(file, split, public class)`` of the images to copy: all, or ``sizes[split]``
    drawn evenly over the classes."""
    out = []
    for split in SPLITS:
        classes = sorted(p.name for p in (source / split).iterdir() if p.is_dir())
        for c, name in enumerate(classes):
            files = sorted(p for p in (source / split / name).iterdir() if p.is_file())
            wanted = sizes.get(split, 0)
            if wanted:
                files = rng.sample(files, min(len(files), math.ceil(wanted / len(classes))))
            out += [(f, split, c) for f in files]
    return out


def copy_renamed(source: Path, target: Path, permutation, sizes: dict[str, int]) -> None:
    """``source``'s ``train/`` and ``test/`` under ``target``, each image of public class
    ``c`` in the folder of class ``permutation[c]``, with nothing left in names, inode
    order or times that tells the classes apart."""
    rng = secrets.SystemRandom()
    names = sorted(p.name for p in (source / "train").iterdir() if p.is_dir())
    folders = [target / split / names[k] for split in SPLITS for k in range(len(names))]
    rng.shuffle(folders)
    for split in SPLITS:
        (target / split).mkdir(parents=True)
    for folder in folders:
        folder.mkdir()
    files = _chosen(source, sizes, rng)
    rng.shuffle(files)
    ranks: dict[Path, int] = {}
    for path, split, c in files:
        folder = target / split / names[int(permutation[c])]
        rank = ranks[folder] = ranks.get(folder, -1) + 1
        copy = folder / f"{rank:05d}{path.suffix.lower()}"
        copy.write_bytes(path.read_bytes())
        copy.chmod(0o644)
        os.utime(copy, (EQUAL_TIME, EQUAL_TIME))
    for folder in (*folders, *(target / s for s in SPLITS), target):
        folder.chmod(0o755)
        os.utime(folder, (EQUAL_TIME, EQUAL_TIME))


def for_cifar10(view, sizes: dict[str, int] | None = None) -> SecretLabels:
    """A fresh permutation for one CIFAR-10 run and its renamed copy of the images the
    box's view shows (``view.cifar10_root``: train and the test set's public rest), laid
    over every ``cifar10-jpg`` split the box could read; ``sizes``: how many images of
    each split the run reads (0 or missing: all)."""
    import tempfile

    permutation = derangement()
    folder = Path(tempfile.mkdtemp(prefix="cnnkit-labels-"))
    folder.chmod(0o755)
    labels = SecretLabels(permutation, folder=folder)
    try:
        copy = folder / "cifar10-jpg"
        copy_renamed(Path(view.cifar10_root), copy, permutation, sizes or {})
        empty = folder / "empty"
        empty.touch()
        empty.chmod(0o644)
        for root in _roots():
            for split in SPLITS:
                if (root / "cifar10-jpg" / split).is_dir():
                    labels.binds.append((str(copy / split), str(root / "cifar10-jpg" / split)))
            for name in CIFAR_TRAIN_OTHER:
                if (root / name).is_file():
                    labels.binds.append((str(empty), str(root / name)))
    except BaseException:
        labels.close()
        raise
    return labels


def renames(dataset: str) -> bool:
    """Whether graded runs on ``dataset`` train on secretly renamed classes."""
    return dataset in ("mnist", "cifar10")


def for_run(dataset: str, view, sizes: dict[str, int] | None = None) -> SecretLabels:
    """The secret labels of one graded run on ``dataset`` (``view``: the test set's view,
    ``hidden_test_set.TestSetView``): MNIST's label files are rewritten, CIFAR-10's images
    copied under permuted folder names (``secret_images``; ``sizes``: how many images of
    each split the run reads, 0: all); other data sets keep their labels."""
    if dataset == "mnist":
        return secret_labels.for_mnist(view.binds)
    if dataset == "cifar10":
        return for_cifar10(view, sizes)
    return secret_labels.identity()
