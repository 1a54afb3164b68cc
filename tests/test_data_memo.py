"""Inside a worker, data files are read once: every caller still gets the same answer, and
its own copy of it."""

import struct

import pytest
import torch
from torchvision.datasets import ImageFolder, folder, mnist

from grader.grading.worker import data_memo


@pytest.fixture
def remembered(monkeypatch):
    for module, name in ((mnist, "read_image_file"), (mnist, "read_label_file"),
                         (folder, "make_dataset")):
        monkeypatch.setattr(module, name, getattr(module, name))  # undone after the test
    data_memo.install()


def _idx_images(path, images):
    n, h, w = images.shape
    path.write_bytes(struct.pack(">IIII", 0x0803, n, h, w) + images.numpy().tobytes())


def test_mnist_files_are_parsed_once_and_each_caller_owns_its_copy(tmp_path, remembered):
    images = torch.randint(0, 256, (5, 4, 4), dtype=torch.uint8)
    path = tmp_path / "images-idx3-ubyte"
    _idx_images(path, images)
    first = mnist.read_image_file(str(path))
    first.zero_()  # the caller's own copy
    second = mnist.read_image_file(str(path))
    assert torch.equal(second, images)
    _idx_images(path, images[:3])  # a changed file is read again
    assert torch.equal(mnist.read_image_file(str(path)), images[:3])


def test_an_image_folder_is_listed_once_unless_the_caller_filters(tmp_path, remembered,
                                                                   monkeypatch):
    for cls in ("cat", "dog"):
        (tmp_path / cls).mkdir()
        for i in range(3):
            (tmp_path / cls / f"{i}.png").write_bytes(b"")
    first = ImageFolder(str(tmp_path), loader=lambda p: p)
    calls = []
    monkeypatch.setattr(folder.os, "walk", lambda *a, **k: calls.append(a) or iter(()))
    second = ImageFolder(str(tmp_path), loader=lambda p: p)
    assert second.samples == first.samples and second.samples is not first.samples
    assert not calls  # not listed again
    ImageFolder(str(tmp_path), loader=lambda p: p, is_valid_file=lambda p: True,
                allow_empty=True)
    assert calls  # the caller's own filter: listed afresh


def test_warm_reads_the_data_sets_before_anyone_asks(tmp_path, remembered, monkeypatch):
    """What a template does before it forks: MNIST's raw files parsed and the image tree
    listed, so the tests' own MNIST and ImageFolder read nothing again, and get what a
    fresh read gives."""
    from grader.lab import data

    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    images = torch.randint(0, 256, (5, 28, 28), dtype=torch.uint8)
    for stem in ("train", "t10k"):
        _idx_images(raw / f"{stem}-images-idx3-ubyte", images)
        (raw / f"{stem}-labels-idx1-ubyte").write_bytes(
            struct.pack(">II", 0x0801, 5) + bytes([1, 2, 3, 4, 5]))
    for split in ("train", "test"):
        for cls in ("cat", "dog"):
            (tmp_path / "cifar10-jpg" / split / cls).mkdir(parents=True)
            (tmp_path / "cifar10-jpg" / split / cls / "0.jpg").write_bytes(b"")
    monkeypatch.setattr(data, "locate", lambda name, fetch_missing=True: tmp_path)
    data_memo.warm()
    walks, reads = [], []
    monkeypatch.setattr(folder.os, "walk", lambda *a, **k: walks.append(a) or iter(()))
    real_open = open
    monkeypatch.setattr("builtins.open", lambda f, *a, **k: reads.append(f) or
                        real_open(f, *a, **k))
    tree = ImageFolder(str(tmp_path / "cifar10-jpg" / "train"), loader=lambda p: p)
    assert [s[1] for s in tree.samples] == [0, 1] and not walks, "listed again"
    got = mnist.read_image_file(str(raw / "t10k-images-idx3-ubyte"))
    assert torch.equal(got, images) and not [r for r in reads if "idx" in str(r)]
