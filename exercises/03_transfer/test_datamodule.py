"""Cifar10DataModule: the seeded split, an ImageFolder tree, valid data never augmented."""

import pytest
import numpy as np
import torch
from PIL import Image
from torch.utils.data import random_split
from torchvision import datasets, transforms

from grader.core.i18n import msg
from grader.lab.data import locate
from grader.testkit.checks import check_seeded_split
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
    assert (len(dm.train), len(dm.valid), len(dm.test)) == (27, 3, 12), msg(
        f"train/valid/test sizes are {(len(dm.train), len(dm.valid), len(dm.test))} for 30 "
        "training and 12 test images; expected (27, 3, 12): 10% of train/ becomes the "
        "validation set, test/ stays apart",
        f"kích thước train/valid/test là {(len(dm.train), len(dm.valid), len(dm.test))} với "
        "30 ảnh huấn luyện và 12 ảnh test; cần (27, 3, 12): 10% của train/ thành tập "
        "validation, test/ để riêng")
    x, y = dm.test[0]
    assert tuple(x.shape) == (3, 32, 32) and 0 <= int(y) < 3, msg(
        f"a test sample is an image of {tuple(x.shape)} with label {y}; expected a "
        "(3, 32, 32) tensor and a label among the 3 class folders",
        f"một mẫu test là ảnh {tuple(x.shape)} có nhãn {y}; cần một tensor (3, 32, 32) và "
        "một nhãn thuộc 3 thư mục lớp")
    # the images are the files' own pixels, read here: test in ImageFolder order, valid
    # from the seeded 27 / 3 split of train/
    plain = transforms.ToTensor()
    test_files = datasets.ImageFolder(shared_tmp / "test", transform=plain)
    train_files = datasets.ImageFolder(shared_tmp / "train", transform=plain)
    _, ref_valid = random_split(range(30), [27, 3], generator=torch.Generator().manual_seed(42))
    for what, got, want in [("test[5]", dm.test[5], test_files[5]),
                            *[(f"valid[{k}]", dm.valid[k], train_files[i])
                              for k, i in enumerate(ref_valid.indices)]]:
        assert int(got[1]) == want[1] and torch.equal(got[0], want[0]), msg(
            f"dm.{what} is not the image the files hold there (read with ToTensor(), classes "
            "from the folder names, valid = random_split(..., [27, 3], "
            "generator=torch.Generator().manual_seed(42)) of train/)",
            f"dm.{what} không phải ảnh mà các tệp chứa ở vị trí đó (đọc bằng ToTensor(), lớp "
            "lấy từ tên thư mục, valid = random_split(..., [27, 3], "
            "generator=torch.Generator().manual_seed(42)) của train/)")


@pytest.mark.reported
def test_valid_uses_the_test_transform(shared_tmp):
    dm = dmod.Cifar10DataModule(_image_tree(shared_tmp), train_transform=Tag(1.0),
                                test_transform=Tag(2.0))
    dm.setup("fit")
    assert float(dm.train[0][0]) == 1.0, msg("training images must go through train_transform",
                                             "ảnh huấn luyện phải đi qua train_transform")
    assert float(dm.valid[0][0]) == 2.0, msg(
        "validation images went through train_transform: validation data is never augmented "
        "- read the training files a second time with test_transform for the valid split",
        "ảnh validation đã đi qua train_transform: dữ liệu validation không bao giờ được tăng "
        "cường - hãy đọc lại các tệp huấn luyện lần thứ hai với test_transform cho phần valid")
    assert float(dm.test[0][0]) == 2.0, msg("test images must go through test_transform",
                                            "ảnh test phải đi qua test_transform")


@pytest.mark.reported
def test_cifar10_split_is_45000_5000_seeded_42():
    root = locate("cifar10-jpg") / "cifar10-jpg"
    dm = dmod.Cifar10DataModule(root)
    dm.setup("fit")
    check_seeded_split(dm, (45000, 5000, 10000))
