"""A graded MNIST run's classes are renamed by a permutation drawn for it alone: what the
box reads, what the trusted side scores against, and that the permutation stays out of
sight (see grader/grading/secret_labels.py)."""

from __future__ import annotations

import torch
from torchvision.datasets.mnist import read_label_file

from grader.grading.training import secret_labels
from grader.grading.training import graded_run
from support.data_needs import skip_unless_available
from support.graded_runs import graded_with


def test_each_draw_is_a_permutation_in_which_no_class_keeps_its_number():
    draws = [secret_labels.derangement() for _ in range(300)]
    for order in draws:
        assert sorted(order.tolist()) == list(range(10))
        assert not (order == torch.arange(10)).any()
    assert len({tuple(o.tolist()) for o in draws}) > 250  # fresh each time, not a fixed one


def test_a_relabelled_idx_file_reads_back_as_the_permuted_labels(tmp_path):
    skip_unless_available("mnist")
    labels = secret_labels.for_mnist([])
    try:
        assert labels.binds, "no MNIST label file found to relabel"
        for copy, original in labels.binds:
            if original.endswith(".gz"):
                continue
            assert torch.equal(read_label_file(copy),
                               labels.relabel(read_label_file(original)))
        assert "tensor" not in repr(labels) and str(labels.permutation.tolist()) not in \
            repr(labels)
    finally:
        folder = labels.folder
        labels.close()
    assert not folder.exists()  # the relabelled files do not outlive the run


def test_the_relabelled_test_rest_replaces_the_views_own_bind():
    """The test set's view binds its public rest over the test labels; this run's
    relabelled copy of that rest takes its place, on the same target."""
    skip_unless_available("mnist")
    plan = graded_run.plan("quick")
    view = plan.view("mnist")
    labels = secret_labels.for_mnist(view.binds)
    try:
        cover = labels.cover(view.binds)
        targets = [t for _, t in cover]
        assert len(targets) == len(set(targets))  # one bind per target
        rest = dict((t, s) for s, t in view.binds)
        for source, target in cover:
            if target.endswith("t10k-labels-idx1-ubyte"):
                assert torch.equal(read_label_file(source),
                                   labels.relabel(read_label_file(rest[target])))
    finally:
        labels.close()


READS_LABELS = '''
"""Trains nothing: reports the first training and test labels the box reads."""
from torchvision import datasets

from grader.lab.data import locate


def train_mnist(out_dir=None, **kwargs):
    root = str(locate("mnist"))
    train = datasets.MNIST(root, train=True, download=False)
    test = datasets.MNIST(root, train=False, download=False)
    return {"device": "".join(map(str, train.targets[:60].tolist())),
            "profile": "".join(map(str, test.targets[:60].tolist()))}
'''


def _consistent_derangement(seen: str, public: list[int]) -> dict[int, int]:
    mapping: dict[int, int] = {}
    for box_label, true in zip(map(int, seen), public):
        assert box_label != true, (seen, public)  # no class keeps its number
        assert mapping.setdefault(true, box_label) == box_label  # one name per class
    assert len(set(mapping.values())) == len(mapping)  # two classes never share a name
    return mapping


def test_the_box_reads_labels_renamed_by_a_secret_permutation(tmp_path):
    from torchvision import datasets

    from grader.lab.data import locate

    plan = graded_run.plan("quick")
    done = graded_with(tmp_path, READS_LABELS, plan=plan)
    assert done.record["secret_labels"] is True
    train = datasets.MNIST(str(locate("mnist")), train=False, download=False)
    public_train = datasets.MNIST(str(locate("mnist")), train=True,
                                  download=False).targets[:60].tolist()
    seen_train = done.record["reported"]["device"]
    assert len(seen_train) == 60
    mapping = _consistent_derangement(seen_train, public_train)
    held = plan.heldout("mnist")
    keep = torch.ones(len(train.targets), dtype=torch.bool)
    keep[held.indices] = False
    public_rest = train.targets[keep][:60].tolist()
    seen_rest = done.record["reported"]["profile"]
    rest_mapping = _consistent_derangement(seen_rest, public_rest)
    for true in set(mapping) & set(rest_mapping):  # the test rest shares the run's names
        assert mapping[true] == rest_mapping[true]


# CIFAR-10 as image folders: the box reads a fresh copy with the folders renamed.

CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
           "truck")


def _image_tree(root, per_class=3):
    """``train/`` and ``test/`` of 10 classes; each file's bytes name its class and rank."""
    for split in ("train", "test"):
        for c, name in enumerate(CLASSES):
            (root / split / name).mkdir(parents=True)
            for i in range(per_class):
                (root / split / name / f"{i:04d}.jpg").write_bytes(f"{split} {c} {i}".encode())
    return root


def _synthetic(tmp_path, sizes=None):
    from types import SimpleNamespace

    from grader.grading.training import secret_images

    view = SimpleNamespace(cifar10_root=_image_tree(tmp_path / "cifar10-jpg"), binds=[])
    return secret_images.for_cifar10(view, sizes)


def test_each_class_lies_under_the_folder_of_its_secret_name(tmp_path):
    from torchvision import datasets

    labels = _synthetic(tmp_path)
    try:
        assert labels.secret
        copy = labels.folder / "cifar10-jpg"
        for split in ("train", "test"):
            seen = datasets.ImageFolder(str(copy / split), loader=lambda p: open(p, "rb").read())
            assert seen.classes == list(CLASSES)  # the same names, other contents
            assert len(seen) == 30
            for content, box_label in seen:
                _, public, _ = content.decode().split()
                assert box_label == labels.relabel(torch.tensor(int(public))).item()
    finally:
        folder = labels.folder
        labels.close()
    assert not folder.exists()


def test_nothing_in_the_copy_tells_the_classes_apart(tmp_path):
    """Names, times and inode order of the copy, and the bind sources, say nothing of
    which public class a folder holds."""
    labels = _synthetic(tmp_path)
    try:
        train = labels.folder / "cifar10-jpg" / "train"
        files = sorted(train.glob("*/*"), key=lambda p: p.stat().st_ino)
        assert {p.name for p in train.glob("*/*")} == {f"{i:05d}.jpg" for i in range(3)}
        stats = [p.stat() for p in (labels.folder / "cifar10-jpg").rglob("*")]
        assert len({s.st_mtime for s in stats}) == 1  # one time for all
        # (a folder's access time is the time someone, this test too, last listed it)
        assert len({s.st_atime for s in stats if not (s.st_mode & 0o40000)}) == 1
        assert all(s.st_nlink == 1 for s in stats if not (s.st_mode & 0o40000))  # copies
        # written in one random order over all classes: by inode, the folders interleave
        changes = sum(a.parent != b.parent for a, b in zip(files, files[1:]))
        assert changes > len(CLASSES) - 1
        for source, _ in labels.binds:
            assert source.startswith(str(labels.folder))
            assert not any(name in source for name in CLASSES)
    finally:
        labels.close()


def test_the_box_mountinfo_names_no_class_folder(tmp_path):
    import shutil
    import subprocess

    import pytest

    if shutil.which("bwrap") is None:
        pytest.skip("bubblewrap is not installed")
    labels = _synthetic(tmp_path)
    try:
        if not labels.binds:
            pytest.skip("no cifar10-jpg folder in the data roots to cover")
        args = ["bwrap", "--dev-bind", "/", "/"]
        for source, target in labels.binds:
            args += ["--ro-bind", source, target]
        shown = subprocess.run([*args, "cat", "/proc/self/mountinfo"], capture_output=True,
                               text=True, check=True).stdout
        ours = [line for line in shown.splitlines() if "cifar10-jpg" in line]
        assert ours, shown
        for line in ours:
            assert not any(f"/{name}" in line for name in CLASSES), line
    finally:
        labels.close()


def test_only_the_images_a_quick_run_reads_are_copied(tmp_path):
    labels = _synthetic(tmp_path, {"train": 20, "test": 10})
    try:
        copy = labels.folder / "cifar10-jpg"
        assert len(list((copy / "train").glob("*/*"))) == 20
        assert len(list((copy / "test").glob("*/*"))) == 10
        assert all(len(list(d.iterdir())) == 2 for d in (copy / "train").iterdir())
    finally:
        labels.close()
    sizes = graded_run._images_read("03_transfer", _transfer_spec(), "quick")
    assert sizes["train"] >= 10 * 1000 and sizes["test"] == 2000  # n_val 1000 is 10%
    assert graded_run._images_read("03_transfer", _transfer_spec(), "full") == \
        {"train": 0, "test": 0}


def _transfer_spec():
    from grader.core import manifest

    return manifest.load_topic("03_transfer").training("transfer", 1)


def test_the_trusted_side_scores_a_cifar_run_through_its_permutation(monkeypatch):
    from types import SimpleNamespace

    public = torch.arange(200) % 10
    held = SimpleNamespace(labels=public)
    labels = secret_labels.SecretLabels(secret_labels.derangement())
    for answer, trained in ((labels.relabel(public), True), (public, False)):
        monkeypatch.setattr(graded_run, "_evaluate", lambda *a, answer=answer: answer)
        record = {"floor": 0.45}
        problem = graded_run._measure(None, _transfer_spec(), "quick", {}, held, labels,
                                      record)
        assert record["accuracy"] == (1.0 if trained else 0.0)
        assert record["not_trained_here"] is (not trained)
        assert (problem is None) is trained
