"""train_transfer: the weights' preprocessing on both sides, and a fast_dev_run."""

import pytest
import torch
import torchvision.models as tvm

from grader.core.i18n import msg
from grader.lab import reference_eval, weights_io
from grader.testkit.harness import exercise, probe

train = exercise(__file__, "train")


def test_build_datamodule_preprocesses_train_and_test_alike(tmp_path):
    weights = tvm.MobileNet_V2_Weights.IMAGENET1K_V1
    dm = train.build_datamodule(tmp_path, weights, batch_size=8)
    image = torch.randint(0, 256, (3, 40, 40), dtype=torch.uint8)
    reference = weights.transforms()(image)
    for side in ("train_transform", "test_transform"):
        transform = getattr(dm, side)
        out = transform(image) if transform is not None else None
        assert out is not None and out.shape == reference.shape and torch.allclose(
            out, reference, atol=1e-5), msg(
            f"the datamodule's {side} is not the weights' preprocessing: a pretrained network "
            "must see train and test images prepared the same way it saw ImageNet "
            "(weights.transforms(): resize, crop 224, ImageNet mean/std)",
            f"{side} của datamodule không phải bước tiền xử lý của bộ trọng số: mạng đã huấn "
            "luyện trước phải thấy ảnh train và test được chuẩn bị giống hệt cách nó đã thấy "
            "ImageNet (weights.transforms(): resize, crop 224, mean/std của ImageNet)")


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
