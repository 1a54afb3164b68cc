"""Cifar10DataModule: the seeded split, an ImageFolder tree, valid data never augmented."""

import pytest
import numpy as np
import torch
from PIL import Image
from torch.utils.data import random_split
from torchvision import datasets, transforms

from grader.course.data import locate
from grader.testkit.harness import exercise
from grader.testkit.toy_models import Tag

dmod = exercise(__file__, "datamodule")


def _image_tree(root, classes=("cat", "dog", "fish"), per_class=10):
    rng = np.random.default_rng(0)
    for split, n in (("train", per_class), ("test", 4)):
        for c in classes:
            (root / split / c).mkdir(parents=True)
            for i in range(n):
                pixels = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
                Image.fromarray(pixels).save(root / split / c / f"{i:04d}.png")
    return root


def test_reads_an_image_folder_tree(shared_tmp):
    dm = dmod.Cifar10DataModule(_image_tree(shared_tmp), batch_size=4)
    dm.setup("fit")
    assert (len(dm.train), len(dm.valid), len(dm.test)) == (27, 3, 12), (
        f"train/valid/test sizes are {(len(dm.train), len(dm.valid), len(dm.test))} for 30 "
        "training and 12 test images; expected (27, 3, 12): 10% of train/ becomes the "
        "validation set, test/ stays apart")
    x, y = dm.test[0]
    assert tuple(x.shape) == (3, 32, 32) and 0 <= int(y) < 3
    # the images are the files' own pixels, read here: test in ImageFolder order, valid
    # from the seeded 27 / 3 split of train/
    plain = transforms.ToTensor()
    test_files = datasets.ImageFolder(shared_tmp / "test", transform=plain)
    train_files = datasets.ImageFolder(shared_tmp / "train", transform=plain)
    _, ref_valid = random_split(range(30), [27, 3], generator=torch.Generator().manual_seed(42))
    for what, got, want in [("test[5]", dm.test[5], test_files[5]),
                            *[(f"valid[{k}]", dm.valid[k], train_files[i])
                              for k, i in enumerate(ref_valid.indices)]]:
        assert int(got[1]) == want[1] and torch.equal(got[0], want[0]), (
            f"dm.{what} is not the image the files hold there (read with ToTensor(), classes "
            "from the folder names, valid = random_split(..., [27, 3], "
            "generator=torch.Generator().manual_seed(42)) of train/)")


@pytest.mark.reported
def test_valid_uses_the_test_transform(shared_tmp):
    dm = dmod.Cifar10DataModule(_image_tree(shared_tmp), train_transform=Tag(1.0),
                                test_transform=Tag(2.0))
    dm.setup("fit")
    assert float(dm.train[0][0]) == 1.0, "training images must go through train_transform"
    assert float(dm.valid[0][0]) == 2.0, (
        "validation images went through train_transform: validation data is never augmented "
        "- read the training files a second time with test_transform for the valid split")
    assert float(dm.test[0][0]) == 2.0, "test images must go through test_transform"


@pytest.mark.reported
def test_cifar10_split_is_45000_5000_seeded_42():
    root = locate("cifar10-jpg") / "cifar10-jpg"
    dm = dmod.Cifar10DataModule(root)
    dm.setup("fit")
    assert (len(dm.train), len(dm.valid), len(dm.test)) == (45000, 5000, 10000), (
        f"sizes {(len(dm.train), len(dm.valid), len(dm.test))}; expected 45,000 / 5,000 / 10,000")
    seeded = torch.Generator().manual_seed(42)
    _, ref_valid = random_split(range(50000), [45000, 5000], generator=seeded)
    assert list(dm.valid.indices) == list(ref_valid.indices), (
        "the validation images are not those of random_split(..., [45000, 5000], "
        "generator=torch.Generator().manual_seed(42)): an unseeded split changes every run")
