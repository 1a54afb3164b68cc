"""Fine-tuning variants: what is frozen, what learns, and the weights' own preprocessing."""

import copy

import numpy as np
import pytest
import torch
import torch.nn as nn
import torchvision.models as tvm
from PIL import Image

from grader.core.i18n import msg
from grader.testkit.checks import check_close, check_int
from grader.testkit.architecture import compare_architectures
from grader.testkit.harness import exercise, guarded, probe
from grader.lab.weights import ensure_available

tr = exercise(__file__, "transfer")

HEADS = {"resnet18": "fc.", "mobilenet_v2": "classifier.1."}
LAST_STAGE = {"resnet18": "layer4.", "mobilenet_v2": "features.18."}
VARIANT_TEXT = {
    1: msg("variant 1 (last layer): freeze everything, then replace the head",
           "biến thể 1 (lớp cuối cùng): đóng băng tất cả, rồi thay lớp đầu ra (head)"),
    2: msg("variant 2 (last layers): freeze everything, unfreeze the last stage "
           "(layer4 of ResNet18, features[-1] of MobileNetV2), then replace the head. The "
           "slide's 'last FC layers' read literally is the head alone (both networks have one "
           "FC layer): that reading passes too",
           "biến thể 2 (các lớp cuối): đóng băng tất cả, bỏ đóng băng khối cuối "
           "(layer4 của ResNet18, features[-1] của MobileNetV2), rồi thay lớp đầu ra (head). "
           "Đọc đúng từng chữ 'các lớp FC cuối cùng' trên slide thì chỉ có lớp đầu ra (cả hai "
           "mạng chỉ có một lớp FC): cách đọc đó cũng được chấp nhận"),
    3: msg("variant 3 (all layers): replace the head and freeze nothing",
           "biến thể 3 (toàn bộ các lớp): thay lớp đầu ra và không đóng băng lớp nào"),
}


@pytest.fixture(autouse=True)
def no_downloads(request):
    """weights=None must build the network without loading any weights."""
    if request.node.get_closest_marker("loads_weights"):
        yield
        return
    with guarded("no_weight_loading"):
        yield


_PREPARED: dict = {}


def _prepared(backbone, variant, own_copy=True):
    """prepare_finetuning on a fresh backbone. A network made only of torch and torchvision
    layers is built once per (backbone, variant). Each test gets its own deep copy, save
    those that only read the network on this side and never hand it to the student's code
    (own_copy=False): code that changed it would change what later tests see. Anything else
    is built again for each test."""
    key = (backbone, variant)
    if key not in _PREPARED:
        torch.manual_seed(0)
        model = probe("fine_tuned", tr, backbone, variant, 10)
        if not all(type(m).__module__.split(".")[0] in ("torch", "torchvision")
                   for m in model.modules()):
            return model
        _PREPARED[key] = model
    return copy.deepcopy(_PREPARED[key]) if own_copy else _PREPARED[key]


def _student_count(backbone, variant):
    """trainable_parameter_count(prepare_finetuning(load_backbone(backbone), variant)): both
    of the student's functions, run where the student's code runs; the network stays there."""
    return probe("trainable_count_of_fine_tuned", tr, backbone, variant, 10)


def _expected_trainable(backbone, variant):
    """Counted on a fresh torchvision model, by the lecture's rule for each variant (built
    on the meta device: shapes only, no weights drawn). Variant 2 has two readings (see
    VARIANT_TEXT): the last stage and the head (first), or the head alone."""
    with torch.device("meta"):
        ref = tvm.get_model(backbone, weights=None)
    head = ref.fc if backbone == "resnet18" else ref.classifier[-1]
    new_head = head.in_features * 10 + 10
    if variant == 1:
        return (new_head,)
    if variant == 2:
        stage = ref.layer4 if backbone == "resnet18" else ref.features[-1]
        return (sum(p.numel() for p in stage.parameters()) + new_head, new_head)
    head_params = sum(p.numel() for p in head.parameters())
    return (sum(p.numel() for p in ref.parameters()) - head_params + new_head,)


def test_load_resnet18_without_weights_is_the_lecture_architecture():
    model = tr.load_resnet18(weights=None)
    assert isinstance(model, tvm.ResNet), msg(
        f"load_resnet18 returned {type(model).__name__}; expected torchvision's ResNet",
        f"load_resnet18 trả về {type(model).__name__}; cần ResNet của torchvision")
    assert isinstance(model.fc, nn.Linear) and (model.fc.in_features, model.fc.out_features) \
        == (512, 1000), msg(f"ResNet18's ImageNet head is Linear(512, 1000), got {model.fc}",
                            f"lớp đầu ra ImageNet của ResNet18 là Linear(512, 1000), nhận được "
                            f"{model.fc}")
    check_int("sum(p.numel() for p in load_resnet18(weights=None).parameters())",
              sum(p.numel() for p in model.parameters()),
              sum(p.numel() for p in tvm.resnet18(weights=None).parameters()),
              msg("torchvision's ResNet18 with its 1000-class ImageNet head",
                  "ResNet18 của torchvision với lớp đầu ra 1000 lớp của ImageNet"))


@pytest.mark.reported
@pytest.mark.parametrize("variant,expected", [(1, 5130), (3, 11_181_642)])
def test_resnet18_trainable_counts_from_the_lecture(variant, expected):
    check_int(f"trainable_parameter_count(prepare_finetuning(resnet18, variant={variant}))",
              _student_count("resnet18", variant), expected, VARIANT_TEXT[variant])


@pytest.mark.parametrize("backbone", ["resnet18", "mobilenet_v2"])
@pytest.mark.parametrize("variant", [1, 2, 3])
def test_trainable_count_matches_the_variant(backbone, variant):
    model = _prepared(backbone, variant, own_copy=False)
    readings = _expected_trainable(backbone, variant)
    got = sum(p.numel() for p in model.parameters() if p.requires_grad)
    expected = got if got in readings else readings[0]
    hint = ""
    if got == 0:
        hint = msg(" - nothing is trainable: replacing the head *before* freezing freezes the "
                   "new head too. Freeze first, then replace the head",
                   " - không còn tham số nào được huấn luyện: thay lớp đầu ra *trước* khi đóng "
                   "băng thì lớp mới cũng bị đóng băng. Hãy đóng băng trước, rồi mới thay lớp "
                   "đầu ra")
    check_int(msg(f"trainable parameters of prepare_finetuning({backbone}, variant={variant})",
                  f"số tham số được huấn luyện của prepare_finetuning({backbone}, "
                  f"variant={variant})"), got,
              expected, VARIANT_TEXT[variant] + hint)
    check_int(f"trainable_parameter_count(prepare_finetuning({backbone}, variant={variant}))",
              _student_count(backbone, variant), expected,
              msg("count numel() of the parameters with requires_grad=True",
                  "cộng numel() của các tham số có requires_grad=True"))


@pytest.mark.parametrize("backbone", ["resnet18", "mobilenet_v2"])
@pytest.mark.parametrize("variant", [1, 2, 3])
def test_requires_grad_mask_matches_the_variant(backbone, variant):
    model = _prepared(backbone, variant, own_copy=False)
    head, stage = HEADS[backbone], LAST_STAGE[backbone]
    # variant 2: the last stage and the head, or (the slide's words read literally) the head
    readings = [True, False] if variant == 2 else [False]
    mistakes = []
    for with_stage in readings:
        wrong = []
        for name, p in model.named_parameters():
            should = (variant == 3 or name.startswith(head)
                      or (with_stage and name.startswith(stage)))
            if p.requires_grad != should:
                wrong.append(f"{name}: requires_grad={p.requires_grad}, "
                             + msg(f"expected {should}", f"cần {should}"))
        if not wrong:
            return
        mistakes.append(wrong)
    wrong = min(mistakes, key=len)
    assert not wrong, (msg(f"{backbone}, {VARIANT_TEXT[variant]}. These parameters are wrong "
                           f"({len(wrong)}):",
                           f"{backbone}, {VARIANT_TEXT[variant]}. Các tham số sau bị sai "
                           f"({len(wrong)}):") + "\n  " + "\n  ".join(wrong[:8]))


@pytest.mark.parametrize("backbone", ["resnet18", "mobilenet_v2"])
def test_new_head_is_one_linear_layer_to_10_classes(backbone):
    model = _prepared(backbone, 1)
    head = model.get_submodule(HEADS[backbone][:-1])
    expected_in = 512 if backbone == "resnet18" else 1280
    assert isinstance(head, nn.Linear), msg(
        f"the head of {backbone} is {head}; expected one Linear({expected_in}, 10) in place of "
        "the ImageNet classifier, not a new layer stacked on the old 1000-class head",
        f"lớp đầu ra của {backbone} là {head}; cần một Linear({expected_in}, 10) thay cho bộ "
        "phân loại ImageNet, chứ không phải một lớp mới xếp chồng (stacked) lên lớp đầu ra "
        "1000 lớp cũ")
    assert (head.in_features, head.out_features) == (expected_in, 10), msg(
        f"the new head is Linear({head.in_features}, {head.out_features}); expected "
        f"Linear({expected_in}, 10): in_features must match the features that reach it",
        f"lớp đầu ra mới là Linear({head.in_features}, {head.out_features}); cần "
        f"Linear({expected_in}, 10): in_features phải bằng số đặc trưng đi vào lớp này")
    model.eval()
    out = model(torch.randn(2, 3, 64, 64))
    assert tuple(out.shape) == (2, 10), msg(
        f"the model outputs {tuple(out.shape)}; expected (2, 10)",
        f"mô hình cho đầu ra {tuple(out.shape)}; cần (2, 10)")


@pytest.mark.parametrize("backbone", ["resnet18", "mobilenet_v2"])
def test_architecture_matches_backbone_with_new_head(backbone):
    reference = tvm.get_model(backbone, weights=None)
    if backbone == "resnet18":
        reference.fc = nn.Linear(512, 10)
    else:
        reference.classifier[-1] = nn.Linear(1280, 10)
    compare_architectures(_prepared(backbone, 1), reference, (1, 3, 64, 64),
                          f"prepare_finetuning({backbone}, variant=1)")


@pytest.mark.parametrize("variant", [1, 2])
def test_frozen_parameters_do_not_change_after_a_step(variant):
    model = _prepared("resnet18", variant)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    loss = nn.functional.cross_entropy(model(torch.randn(4, 3, 64, 64)), torch.tensor([0, 1, 2, 3]))
    loss.backward()
    opt.step()
    for name, p in model.named_parameters():
        changed = not torch.equal(before[name], p.detach())
        if p.requires_grad and name.startswith("fc."):
            assert changed, msg(
                f"{name} is trainable but did not change after an SGD step",
                f"{name} được huấn luyện nhưng không thay đổi sau một bước SGD")
        if not p.requires_grad:
            assert not changed, msg(f"{name} is frozen but changed after an SGD step",
                                    f"{name} bị đóng băng nhưng lại thay đổi sau một bước SGD")
    assert not torch.equal(before["fc.weight"], model.fc.weight.detach()), msg(
        "the head did not learn: it must stay trainable in every variant",
        "lớp đầu ra không học: nó phải luôn được huấn luyện, ở mọi biến thể")


def _test_images():
    """PIL images, as a datamodule's ImageFolder or CIFAR10 hands them to a transform: a
    CIFAR-sized one, smooth photographs-like ones larger than the crop (portrait and
    landscape), and a small noisy one."""
    rng = np.random.default_rng(3)
    images = [Image.fromarray(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8))]
    for h, w in ((300, 280), (375, 500)):
        coarse = Image.fromarray(rng.integers(0, 256, (h // 8, w // 8, 3), dtype=np.uint8))
        images.append(coarse.resize((w, h), Image.BICUBIC))
    images.append(Image.fromarray(rng.integers(0, 256, (40, 52, 3), dtype=np.uint8)))
    return images


def test_preprocessing_is_the_weights_own_transforms():
    """Judged by the values it computes on images, never by the object's attributes: any
    transform that prepares images as ``weights.transforms()`` does is right."""
    weights = tvm.ResNet18_Weights.IMAGENET1K_V1
    got = tr.preprocessing(weights)
    reference = weights.transforms()
    for image in _test_images():
        check_close(f"preprocessing(ResNet18_Weights.IMAGENET1K_V1)(<{image.width}x"
                    f"{image.height} image>)", got(image), reference(image),
                    msg("a pretrained network expects its own preprocessing: resize 256 "
                        "(bilinear), center crop 224, ImageNet mean/std - not CIFAR-10's "
                        "statistics",
                        "mạng đã huấn luyện trước (pretrained) cần đúng bước tiền xử lý của "
                        "nó: resize 256 (bilinear), center crop 224, mean/std của ImageNet - "
                        "không dùng thống kê của CIFAR-10"), atol=1e-5)


@pytest.mark.loads_weights
def test_pretrained_mobilenet_loads_real_weights():
    path = ensure_available("mobilenet_v2")
    model = tr.load_backbone("mobilenet_v2", "IMAGENET1K_V1")
    state = torch.load(path, map_location="cpu", weights_only=True)
    assert torch.equal(model.features[0][0].weight, state["features.0.0.weight"]), msg(
        "load_backbone('mobilenet_v2', 'IMAGENET1K_V1') did not load the ImageNet weights",
        "load_backbone('mobilenet_v2', 'IMAGENET1K_V1') không tải trọng số ImageNet")
