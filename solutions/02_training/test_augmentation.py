"""Augmentation pipelines: shapes, ranges, randomness where allowed, and only there."""

import pytest
import numpy as np
import torch
from hypothesis import given

from grader.core.i18n import msg
from grader.testkit import pinned
from grader.testkit import strategies as S
from grader.testkit.checks import check_close, check_shape
from grader.testkit.harness import exercise, probe
from grader.testkit.toy_models import InvertedTestImage

aug = exercise(__file__, "augmentation")

# The slide's pipelines applied once, by tools/pin_expected.py, to fixed images (and fixed
# seeds for the random one). What is stored is the mean of each 8x8 block of the output.
PINNED = pinned.load(__file__, "augmentation")
TRAIN_STEPS = ("ToPILImage, Resize((150, 150)), RandomCrop((128, 128)), "
               "RandomHorizontalFlip(p=0.2), ColorJitter(0.1, 0.1, 0.1, 0.1), ToTensor, "
               "Normalize((0.5,)*3, (0.5,)*3)")


def _half_image():
    """Left half black, right half white: a horizontal flip swaps them."""
    img = np.zeros((60, 60, 3), dtype=np.uint8)
    img[:, 30:] = 255
    return img


@given(S.rgb_images())
def test_train_output_is_3x128x128_in_minus1_1(image):
    out = aug.build_train_transform()(image)
    check_shape(msg(f"build_train_transform()(uint8 image {image.shape})",
                    f"build_train_transform()(ảnh uint8 {image.shape})"), out, (3, 128, 128),
                msg("Resize((150, 150)) then RandomCrop((128, 128)): every image ends 128x128",
                    "Resize((150, 150)) rồi RandomCrop((128, 128)): ảnh nào cuối cùng cũng "
                    "có kích thước 128x128"))
    assert -1.0 <= out.min() and out.max() <= 1.0, msg(
        f"values span [{out.min():.3f}, {out.max():.3f}]; Normalize((0.5,)*3, (0.5,)*3) after "
        "ToTensor maps [0, 1] to [-1, 1]",
        f"giá trị nằm trong [{out.min():.3f}, {out.max():.3f}]; Normalize((0.5,)*3, (0.5,)*3) "
        "sau ToTensor đưa [0, 1] về [-1, 1]")


@given(S.rgb_images())
def test_test_output_is_3x128x128(image):
    check_shape(msg(f"build_test_transform()(uint8 image {image.shape})",
                    f"build_test_transform()(ảnh uint8 {image.shape})"),
                aug.build_test_transform()(image), (3, 128, 128),
                msg("Resize((150, 150)) then CenterCrop((128, 128))",
                    "Resize((150, 150)) rồi CenterCrop((128, 128))"))


DRAWS = 60


def test_test_transform_is_deterministic():
    """60 draws under 60 seeds must all agree. A random step that changes the image with
    probability p in [0.2, 0.8] (RandomHorizontalFlip(p=0.2), say) leaves all 60 alike with
    probability p**60 + (1-p)**60 <= 2 * 0.8**60 < 4e-6: missed almost never."""
    image = np.random.default_rng(3).integers(0, 256, size=(45, 61, 3), dtype=np.uint8)
    pipeline = aug.build_test_transform()
    torch.manual_seed(0)
    first = pipeline(image)
    differing = []
    for seed in range(1, DRAWS):
        torch.manual_seed(seed)
        if not torch.equal(first, pipeline(image)):
            differing.append(seed)
    assert not differing, msg(
        f"the test transform gave {len(differing)} of {DRAWS - 1} later draws (seeds "
        f"{differing[:5]}...) another tensor than the first for the same image: validation "
        "and test data are never augmented (no random crop, flip or color jitter), otherwise "
        "the measured accuracy changes from run to run",
        f"transform của tập test cho {len(differing)} trên {DRAWS - 1} lần gọi sau (seed "
        f"{differing[:5]}...) một tensor khác lần đầu với cùng một ảnh: dữ liệu validation và "
        "test không bao giờ được tăng cường (không cắt ngẫu nhiên, không lật, không "
        "ColorJitter), nếu không độ chính xác đo được sẽ thay đổi sau mỗi lần chạy")


def _pinned_output(what, out, expected):
    check_shape(what, out, (3, 128, 128),
                msg("every pipeline of the slide ends with 3x128x128",
                    "mọi pipeline trên slide đều cho ra 3x128x128"))
    return pinned.pooled(out, PINNED["pool"]), expected


def test_test_transform_equals_the_slides():
    for case in PINNED["test"]:
        h, w, salt = case["image"]
        what = msg(f"build_test_transform()(fixed uint8 image {h}x{w}x3)",
                   f"build_test_transform()(ảnh uint8 cố định {h}x{w}x3)")
        got, expected = _pinned_output(what, aug.build_test_transform()(
            pinned.pinned_image(h, w, salt)), case["pooled"])
        check_close(what + msg(", means of 8x8 blocks", ", trung bình của các khối 8x8"), got,
                    expected,
                    msg("the slide's test pipeline: ToPILImage, Resize((150, 150)), "
                        "CenterCrop((128, 128)), ToTensor, Normalize((0.5,)*3, (0.5,)*3)",
                        "pipeline cho tập test trên slide: ToPILImage, Resize((150, 150)), "
                        "CenterCrop((128, 128)), ToTensor, Normalize((0.5,)*3, (0.5,)*3)"),
                    atol=1e-5)


def test_train_transform_equals_the_slides_under_one_seed():
    for case in PINNED["train"]:
        h, w, salt = case["image"]
        torch.manual_seed(case["seed"])
        what = msg(f"build_train_transform()(fixed image {h}x{w}x3) after "
                   f"torch.manual_seed({case['seed']})",
                   f"build_train_transform()(ảnh cố định {h}x{w}x3) sau "
                   f"torch.manual_seed({case['seed']})")
        got, expected = _pinned_output(what, aug.build_train_transform()(
            pinned.pinned_image(h, w, salt)), case["pooled"])
        check_close(what + msg(", means of 8x8 blocks", ", trung bình của các khối 8x8"), got,
                    expected,
                    msg(f"the slide's steps in the slide's order: {TRAIN_STEPS}",
                        f"đúng các bước của slide, theo đúng thứ tự: {TRAIN_STEPS}"), atol=1e-5)


def test_normalisation_maps_0_1_to_minus1_1():
    black = aug.build_test_transform()(np.zeros((40, 40, 3), dtype=np.uint8))
    white = aug.build_test_transform()(np.full((40, 40, 3), 255, dtype=np.uint8))
    for value, out in ((-1.0, black), (1.0, white)):
        assert torch.allclose(out, torch.full_like(out, value), atol=1e-5), msg(
            f"a {'black' if value < 0 else 'white'} image gives values from {out.min():.3f} to "
            f"{out.max():.3f} per channel; expected {value}: the lecture normalises with "
            "mean (0.5, 0.5, 0.5) and std (0.5, 0.5, 0.5), not ImageNet's statistics",
            f"ảnh {'đen' if value < 0 else 'trắng'} cho giá trị từ {out.min():.3f} đến "
            f"{out.max():.3f} ở mỗi kênh; cần {value}: bài giảng chuẩn hoá với mean "
            "(0.5, 0.5, 0.5) và std (0.5, 0.5, 0.5), không dùng thống kê của ImageNet")


def test_train_transform_is_random():
    image = np.random.default_rng(0).integers(0, 256, size=(64, 64, 3), dtype=np.uint8)
    pipeline = aug.build_train_transform()
    outs = []
    for seed in range(4):
        torch.manual_seed(seed)
        outs.append(pipeline(image))
    assert any(not torch.equal(outs[0], o) for o in outs[1:]), msg(
        "the train transform gave the same tensor four times: training augmentation must be "
        "random (RandomCrop, RandomHorizontalFlip, ColorJitter)",
        "transform của tập train cho ra cùng một tensor cả bốn lần: tăng cường dữ liệu khi "
        "huấn luyện phải ngẫu nhiên (RandomCrop, RandomHorizontalFlip, ColorJitter)")


def test_flip_rate_is_near_0_2():
    pipeline = aug.build_train_transform()
    torch.manual_seed(0)
    trials, flipped = 300, 0
    for _ in range(trials):
        out = pipeline(_half_image())
        flipped += int(out[:, :, :40].mean() > out[:, :, -40:].mean())
    rate = flipped / trials
    assert 0.12 <= rate <= 0.28, msg(
        f"{flipped} of {trials} training images were flipped horizontally (rate {rate:.2f}); "
        "expected about 0.2: RandomHorizontalFlip(p=0.2)",
        f"{flipped} trên {trials} ảnh huấn luyện bị lật ngang (tỉ lệ {rate:.2f}); cần khoảng "
        "0.2: RandomHorizontalFlip(p=0.2)")


def _shown(tensor):
    """How a normalised image [3, H, W] in [-1, 1] is drawn: [H, W, 3] in [0, 1]."""
    return (tensor * 0.5 + 0.5).clamp(0, 1).permute(1, 2, 0).double()


def _as_unit(panel):
    """A drawn panel in [0, 1], whether drawn as floats or as uint8 values."""
    return panel / 255.0 if float(panel.max()) > 1.0 + 1e-6 else panel


@pytest.mark.reported
def test_augmentation_grid_figure():
    """The panels hold, top row, each image through the slide's test pipeline and, bottom
    row, the same image through the transform given (here the photographic negative of the
    test pipeline, which the test computes with torchvision itself)."""
    images = [_half_image(), np.random.default_rng(1).integers(0, 256, (50, 40, 3), np.uint8)]
    facts = probe("figure_facts", aug, "augmentation_grid", images, InvertedTestImage())
    assert facts["is_figure"], msg(
        f"augmentation_grid returned {facts['type']}; expected a Figure",
        f"augmentation_grid trả về {facts['type']}; cần một Figure")
    shown = facts["panels"]
    assert len(shown) == 4, msg(f"expected 2 rows x 2 images, got {len(shown)} panels",
                                f"cần 2 hàng x 2 ảnh, nhận được {len(shown)} ô")
    # top row first (larger y), each row from left to right
    shown = sorted(shown, key=lambda p: (-round(p["position"][1], 3), p["position"][0]))
    for k, panel in enumerate(shown):
        row, col = divmod(k, 2)
        negative = InvertedTestImage()(images[col])
        expected = _shown(-negative if row == 0 else negative)
        got = _as_unit(panel["array"])
        ok = tuple(got.shape) == tuple(expected.shape) and torch.allclose(
            got, expected, atol=2 / 255)
        what = ({"en": "the image through the test pipeline (the original)",
                 "vi": "ảnh qua pipeline của tập test (ảnh gốc)"} if row == 0 else
                {"en": "the image through the transform given (the augmented version)",
                 "vi": "ảnh qua transform được truyền vào (phiên bản tăng cường)"})
        assert ok, msg(
            f"augmentation_grid(images, transform): the panel in row {row + 1}, column "
            f"{col + 1} does not show image {col + 1} as expected ({tuple(got.shape)}); it "
            f"should show {what['en']}: top row the originals, bottom row their augmented "
            "versions, each drawn as (x * 0.5 + 0.5) in [0, 1]",
            f"augmentation_grid(images, transform): ô ở hàng {row + 1}, cột {col + 1} không "
            f"hiển thị ảnh {col + 1} như mong đợi ({tuple(got.shape)}); ô đó phải là "
            f"{what['vi']}: hàng trên là ảnh gốc, hàng dưới là phiên bản tăng cường của chúng, "
            "mỗi ảnh vẽ dưới dạng (x * 0.5 + 0.5) trong [0, 1]")
