"""train_transfer: the weights' preprocessing on both sides, and a fast_dev_run."""

import numpy as np
import pytest
import torch
import torchvision.models as tvm
from PIL import Image
from torchvision import datasets

from grader.core.i18n import msg
from grader.lab import reference_eval, weights_io
from grader.testkit.harness import exercise, probe

train = exercise(__file__, "train")


def _tree(root, per_class=(6, 2)):
    """A small ImageFolder tree of 40x48 images: train/ and test/, two classes."""
    rng = np.random.default_rng(7)
    for split, n in zip(("train", "test"), per_class):
        for c in ("cat", "dog"):
            (root / split / c).mkdir(parents=True)
            for i in range(n):
                pixels = rng.integers(0, 256, (40, 48, 3), dtype=np.uint8)
                Image.fromarray(pixels).save(root / split / c / f"{i:04d}.png")
    return root


def test_build_datamodule_preprocesses_train_and_test_alike(shared_tmp):
    """Judged by the images the datamodule yields: each is a file of the tree prepared by
    ``weights.transforms()``, on the training, validation and test side alike."""
    weights = tvm.MobileNet_V2_Weights.IMAGENET1K_V1
    root = _tree(shared_tmp)
    dm = train.build_datamodule(root, weights, batch_size=8)
    dm.setup("fit")
    prepare = weights.transforms()
    files = {split: datasets.ImageFolder(root / split, transform=prepare)
             for split in ("train", "test")}
    for side, split, yielded in (("train_transform", "train", dm.train[0]),
                                 ("test_transform", "train", dm.valid[0]),
                                 ("test_transform", "test", dm.test[0])):
        image = yielded[0]
        ok = any(image.shape == want.shape and torch.allclose(image, want, atol=1e-5)
                 for want, _ in files[split])
        assert ok, msg(
            f"an image of the datamodule that goes through {side} (shape "
            f"{tuple(image.shape)}) is no file of the data prepared by the weights' "
            "preprocessing: a pretrained network must see train and test images prepared the "
            "same way it saw ImageNet (weights.transforms(): resize, crop 224, ImageNet "
            "mean/std), given as train_transform and test_transform",
            f"một ảnh của datamodule đi qua {side} (shape {tuple(image.shape)}) không phải "
            "tệp dữ liệu nào đã qua bước tiền xử lý của bộ trọng số: mạng đã huấn luyện "
            "trước phải thấy ảnh train và test được chuẩn bị giống hệt cách nó đã thấy "
            "ImageNet (weights.transforms(): resize, crop 224, mean/std của ImageNet), truyền "
            "vào cả train_transform lẫn test_transform")


@pytest.mark.reported
def test_fast_dev_run_with_cached_features():
    # one batch of each stage, 32 images in all: extracting their features is most of the time
    result = probe("training_run", train, "train_transfer", dict(
        variant=1, profile="quick", backbone="mobilenet_v2", fast_dev_run=True, n_train=16,
        n_val=8, n_test=8, batch_size=16))["result"]
    assert result["cached_features"] is True, msg(
        "variant 1 should train the head on cached features",
        "biến thể 1 nên huấn luyện lớp đầu ra trên các đặc trưng đã tính sẵn (cached features)")
    assert result["trainable_params"] == 1280 * 10 + 10, msg(
        f"trainable_params is {result['trainable_params']}; expected 1280 * 10 + 10: only the "
        "new head of MobileNetV2 trains in variant 1",
        f"trainable_params là {result['trainable_params']}; cần 1280 * 10 + 10: ở biến thể 1 "
        "chỉ lớp đầu ra mới của MobileNetV2 được huấn luyện")
    assert 0.0 <= result["test_acc"] <= 1.0, msg(
        f"test_acc is {result['test_acc']}; accuracy is a fraction between 0 and 1",
        f"test_acc là {result['test_acc']}; độ chính xác là một tỉ lệ giữa 0 và 1")
    for key in ("device", "torch", "extract_seconds", "train_seconds", "feature_key"):
        assert key in result, msg(f"the result has no {key!r}",
                                  f"kết quả trả về không có {key!r}")
    features = torch.zeros(4, 1280)
    try:
        state = weights_io.checked_state_dict(result.get("weights"))
        predictions = reference_eval.head_predictions(state, features)
    except weights_io.BadWeights as exc:
        pytest.fail(msg(
            f"result['weights'] is not the new head's state dict: {exc.why['en']}. The grader "
            "puts your trained head on the frozen reference backbone and measures it itself",
            f"result['weights'] không phải state dict của lớp đầu ra mới: {exc.why['vi']}. "
            "Trình chấm đặt lớp đầu ra bạn đã huấn luyện lên mạng nền tham chiếu (đóng băng) "
            "và tự đo nó"))
    assert predictions.shape == (4,), msg("one predicted class per image",
                                          "mỗi ảnh cần một lớp dự đoán")
