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
