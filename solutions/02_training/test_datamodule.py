"""MnistDataModule on the real MNIST: split, loaders and prepare_data rules."""

import pytest
import torch
from torchvision import datasets, transforms

from grader.core.i18n import msg
from grader.lab.data import locate
from grader.testkit.checks import check_seeded_split
from grader.testkit.harness import exercise, guarded, probe

dmod = exercise(__file__, "datamodule")


def _ready(batch_size=64):
    dm = dmod.MnistDataModule(data_path=str(locate("mnist")), batch_size=batch_size)
    dm.setup("fit")
    return dm


def test_split_is_55000_5000_seeded_42():
    dm = _ready()
    valid_indices = check_seeded_split(dm, (55000, 5000, 10000))
    # and the images themselves are those MNIST images, read here from the files
    mnist = datasets.MNIST(str(locate("mnist")), train=True, transform=transforms.ToTensor())
    for k in torch.randint(0, 5000, (3,)).tolist():
        x, y = dm.valid[k]
        want_x, want_y = mnist[valid_indices[k]]
        assert int(y) == want_y and torch.equal(x, want_x), msg(
            f"valid[{k}] is not MNIST training image {valid_indices[k]} as ToTensor() "
            "reads it",
            f"valid[{k}] không phải ảnh huấn luyện MNIST số {valid_indices[k]} như "
            "ToTensor() đọc ra")


@pytest.mark.reported
def test_split_is_reproducible():
    a, b = _ready(), _ready()
    assert list(a.valid.indices) == list(b.valid.indices), msg(
        "two setups gave different validation sets: seed the split with "
        "torch.Generator().manual_seed(42)",
        "hai lần gọi setup cho ra hai tập validation khác nhau: hãy cố định seed khi chia bằng "
        "torch.Generator().manual_seed(42)")


@pytest.mark.reported
def test_train_loader_shuffles_and_drops_last():
    loader = probe("loader_facts", _ready(batch_size=64).train_dataloader())
    assert loader["sampler"] == "RandomSampler", msg(
        "train_dataloader() does not shuffle: use shuffle=True so each epoch sees a new order",
        "train_dataloader() không xáo trộn dữ liệu: hãy dùng shuffle=True để mỗi epoch thấy "
        "một thứ tự mới")
    assert loader["batch_size"] == 64, msg(
        f"train_dataloader() uses batch_size {loader['batch_size']}; expected the module's 64",
        f"train_dataloader() dùng batch_size {loader['batch_size']}; cần batch_size của module "
        "là 64")
    assert loader["drop_last"] is True, msg(
        "train_dataloader() keeps the last incomplete batch: use drop_last=True (a tiny last "
        "batch makes BatchNorm statistics noisy)",
        "train_dataloader() giữ lại batch cuối chưa đủ: hãy dùng drop_last=True (một batch "
        "cuối quá nhỏ làm thống kê của BatchNorm bị nhiễu)")


@pytest.mark.reported
@pytest.mark.parametrize("which", ["val_dataloader", "test_dataloader"])
def test_eval_loaders_keep_order_and_every_sample(which):
    dm = _ready(batch_size=64)
    loader = probe("loader_facts", getattr(dm, which)())
    assert loader["sampler"] == "SequentialSampler", msg(
        f"{which}() shuffles: evaluation needs no shuffling (shuffle=False), so results are "
        "reproducible",
        f"{which}() xáo trộn dữ liệu (shuffle): khi đánh giá không cần xáo trộn "
        "(shuffle=False), để kết quả lặp lại được")
    assert loader["drop_last"] is False, msg(
        f"{which}() drops its last batch: every validation/test image must be counted",
        f"{which}() bỏ batch cuối: phải tính mọi ảnh validation/test")
    assert loader["batch_size"] == 64, msg(
        f"{which}() uses batch_size {loader['batch_size']}; expected 64",
        f"{which}() dùng batch_size {loader['batch_size']}; cần 64")


@pytest.mark.reported
def test_images_are_tensors_in_0_1():
    x, y = _ready().valid[0]
    assert isinstance(x, torch.Tensor) and tuple(x.shape) == (1, 28, 28), msg(
        f"a sample is {type(x).__name__} {getattr(x, 'shape', '')}; expected a [1, 28, 28] "
        "tensor: transforms.ToTensor()",
        f"một mẫu là {type(x).__name__} {getattr(x, 'shape', '')}; cần một tensor "
        "[1, 28, 28]: transforms.ToTensor()")
    assert 0.0 <= x.min() and x.max() <= 1.0, msg("ToTensor() scales pixels to [0, 1]",
                                                  "ToTensor() đưa pixel về [0, 1]")


@pytest.mark.reported
def test_prepare_data_sets_no_state_and_downloads_nothing():
    with guarded("no_download"):
        added = probe("prepare_data_adds", dmod, str(locate("mnist")))
    assert not added, msg(
        f"prepare_data() set {added} on the module. Lightning runs prepare_data on one "
        "process only, so state set there is missing on the others: download only, and "
        "assign datasets in setup()",
        f"prepare_data() gán {added} vào module. Lightning chỉ chạy prepare_data trên một "
        "tiến trình, nên trạng thái gán ở đó sẽ thiếu ở các tiến trình khác: ở đây chỉ tải "
        "dữ liệu về, còn gán các tập dữ liệu trong setup()")
