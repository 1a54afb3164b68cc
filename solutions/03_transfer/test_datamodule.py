"""Cifar10DataModule: the seeded split, an ImageFolder tree, valid data never augmented, and
the loaders (training shuffled in full batches, evaluation in order, every image).

The split is judged by the images the datamodule yields, never by attributes such as
``dm.valid.indices``: wrapping the datasets (a transform wrapper, a custom Dataset) is the
same split when it yields the same images."""

import pytest
import numpy as np
import torch
from PIL import Image
from torch.utils.data import random_split
from torchvision import datasets, transforms

from grader.core.i18n import msg
from grader.lab.data import locate
from grader.testkit.harness import exercise, probe
from grader.testkit.split_checks import check_split_yields, fingerprint
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
    dm, again = dmod.Cifar10DataModule(root), dmod.Cifar10DataModule(root)
    dm.setup("fit")
    again.setup("fit")
    files = datasets.ImageFolder(root / "train", transform=transforms.ToTensor())
    check_split_yields(dm, files, (45000, 5000, 10000), again=again)


def test_split_is_seeded_42_and_the_same_every_time(shared_tmp):
    """120 training images, 12 of them for validation: an unseeded split matches the seeded
    one at the 8 positions compared with probability under 1e-16, and two unseeded
    constructions agree there with the same bound."""
    root = _image_tree(shared_tmp, per_class=40)
    dm, again = dmod.Cifar10DataModule(root), dmod.Cifar10DataModule(root)
    dm.setup("fit")
    again.setup("fit")
    files = datasets.ImageFolder(root / "train", transform=transforms.ToTensor())
    check_split_yields(dm, files, (108, 12, 12), again=again)


def _keys(dataset):
    return [(fingerprint(x), int(y)) for x, y in (dataset[i] for i in range(len(dataset)))]


# Each training epoch is drawn from its own seed: a shuffling loader gives the files' own
# order for 27 images with probability 1/27! (under 1e-28), so an honest answer fails
# this test with probability under 1e-56 (two epochs in the files' order).
SHUFFLE_SEEDS = (0, 1)


@pytest.mark.reported
def test_loaders_shuffle_training_only_and_keep_every_evaluation_image(shared_tmp):
    dm = dmod.Cifar10DataModule(_image_tree(shared_tmp), batch_size=5)
    dm.setup("fit")
    valid, test = _keys(dm.valid), _keys(dm.test)
    for name, want in (("val_dataloader", valid), ("test_dataloader", test)):
        batches = probe("loader_epochs", getattr(dm, name)(), 1, 0)[0]
        got = [key for batch in batches for key in batch]
        sizes = [len(b) for b in batches]
        assert got == [tuple(k) for k in want], msg(
            f"{name}() yields {len(got)} images in batches of {sizes}; expected all "
            f"{len(want)} images of the split, in order, in batches of 5 (the last may be "
            "smaller): evaluation is never shuffled and never drops a batch "
            "(shuffle=False, drop_last=False)",
            f"{name}() cho {len(got)} ảnh theo các batch {sizes}; cần đủ {len(want)} ảnh "
            "của tập, đúng thứ tự, theo batch 5 (batch cuối có thể nhỏ hơn): dữ liệu đánh "
            "giá không bao giờ bị xáo trộn và không bỏ batch nào (shuffle=False, "
            "drop_last=False)")
    train = [tuple(k) for k in _keys(dm.train)]
    orders = []
    for seed in SHUFFLE_SEEDS:
        batches = probe("loader_epochs", dm.train_dataloader(), 1, seed)[0]
        sizes = [len(b) for b in batches]
        got = [tuple(key) for batch in batches for key in batch]
        assert sizes and all(n == 5 for n in sizes[:-1]) and len(got) >= 25 \
            and len(set(got)) == len(got) and set(got) <= set(train), msg(
                f"train_dataloader() yields batches of {sizes}; expected batches of "
                "batch_size=5, each training image at most once per epoch",
                f"train_dataloader() cho các batch {sizes}; cần các batch kích thước "
                "batch_size=5, mỗi ảnh huấn luyện nhiều nhất một lần mỗi epoch")
        orders.append(got)
    assert any(order != train[:len(order)] for order in orders), msg(
        "train_dataloader() yields the training images in the same order every epoch: "
        "training batches must be shuffled (shuffle=True), or every epoch sees the same "
        "batches in the same order",
        "train_dataloader() cho ảnh huấn luyện theo cùng một thứ tự ở mọi epoch: batch "
        "huấn luyện phải được xáo trộn (shuffle=True), nếu không mọi epoch đều thấy cùng "
        "các batch theo cùng thứ tự")


@pytest.mark.parametrize("large_n, target_n, large_classes", [(6, 4, 10), (3, 5, 1000)])
def test_joint_dataset_holds_both_with_the_target_labels_moved(large_n, target_n,
                                                               large_classes):
    """Transfer learning's second kind trains on the large and the target data together."""
    large = torch.utils.data.TensorDataset(torch.rand(large_n, 3, 4, 4),
                                           torch.randint(0, large_classes, (large_n,)))
    target = torch.utils.data.TensorDataset(torch.rand(target_n, 3, 4, 4),
                                            torch.randint(0, 3, (target_n,)))
    call = f"joint_dataset(large of {large_n}, target of {target_n}, {large_classes})"
    joint = dmod.joint_dataset(large, target, large_classes)
    size = len(joint)
    assert size == large_n + target_n, msg(
        f"{call} has {size} items; expected {large_n + target_n}: every large item and every "
        "target item, once",
        f"{call} có {size} mẫu; cần {large_n + target_n}: mọi mẫu của tập lớn và mọi mẫu của "
        "tập đích, mỗi mẫu một lần")
    expected = [(x, int(y)) for x, y in large] + \
        [(x, int(y) + large_classes) for x, y in target]
    for i, (image, label) in enumerate(expected):
        got_image, got_label = joint[i]
        assert torch.equal(torch.as_tensor(got_image), image) and int(got_label) == label, msg(
            f"{call}[{i}] is (an image, label {int(got_label)}); expected item {i} of "
            f"{'large' if i < large_n else 'target'}, label {label}: the large items first, "
            f"then the target's, whose labels move after the {large_classes} large classes "
            "(label + large_classes) so one head tells all the classes apart",
            f"{call}[{i}] là (một ảnh, nhãn {int(got_label)}); cần mẫu {i} của "
            f"{'tập lớn' if i < large_n else 'tập đích'}, nhãn {label}: các mẫu của tập lớn "
            f"trước, rồi các mẫu của tập đích, với nhãn dời ra sau {large_classes} lớp của tập "
            "lớn (label + large_classes) để một head phân biệt được mọi lớp")
