"""The lecture's CNN and MLP: layers, shapes, and the parameter counts on the slides."""

import pytest
import torch
import torch.nn as nn

from grader.core.i18n import msg
from grader.testkit import pinned
from grader.testkit.architecture import compare_architectures
from grader.testkit.checks import check_float, check_int, check_shape
from grader.testkit.harness import exercise, reference

models = exercise(__file__, "models")
params = exercise(__file__, "params")

# The lecture's figures, computed once from the reference networks (tools/pin_expected.py):
# their learnable layers, and their outputs for fixed inputs and weights.
PINNED = pinned.load(__file__, "models")
# When grading, the reference network too: the pinned checks are then repeated on a
# fresh random input (None in a student's own run).
REFERENCE = reference(__file__, "models")


def _ref(name):
    return (lambda: getattr(REFERENCE, name)()) if REFERENCE else None


def _ref_small_mlp():
    if REFERENCE is None:
        return None
    with torch.device("meta"):
        mlp = REFERENCE.MLP()
    small = PINNED["mlp_small"]
    pinned.shrink_linears(mlp, small["widths"], small["input_shape"])
    return mlp


@pytest.mark.reported
def test_ml_cnn_layers_match_the_slide():
    compare_architectures(models.ML_CNN(), PINNED["ml_cnn"]["layers"],
                          PINNED["ml_cnn"]["input_shape"], "ML_CNN()")


def test_ml_cnn_computes_the_slides_function():
    pinned.check_pinned_function(
        msg("ML_CNN()(x[2,1,12,12]) with fixed weights",
            "ML_CNN()(x[2,1,12,12]) với trọng số cố định"), models.ML_CNN(), PINNED["ml_cnn"],
        "x1 = relu(conv1(x)), x2 = relu(conv2(x1)), x3 = relu(conv3(x2))",
        reference=_ref("ML_CNN"))


def test_ml_cnn_classifier_computes_the_slides_function():
    pinned.check_pinned_function(
        msg("ML_CNNClassifier()(x[2,1,28,28]) with fixed weights",
            "ML_CNNClassifier()(x[2,1,28,28]) với trọng số cố định"), models.ML_CNNClassifier(),
        PINNED["classifier"],
        msg("the three ReLU convolutions, flatten x3, then Linear, ReLU, Linear",
            "ba lớp tích chập có ReLU, làm phẳng (flatten) x3, rồi Linear, ReLU, Linear"),
        reference=_ref("ML_CNNClassifier"))


@pytest.mark.reported
def test_ml_cnn_returns_three_relu_feature_maps():
    torch.manual_seed(0)
    out = models.ML_CNN()(torch.randn(2, 1, 20, 24))
    assert isinstance(out, tuple) and len(out) == 3, msg(
        f"ML_CNN()(x) returned {type(out).__name__}"
        f"{' of length ' + str(len(out)) if isinstance(out, (tuple, list)) else ''}; expected "
        "a tuple (x1, x2, x3): the feature maps of each layer, to plot them",
        f"ML_CNN()(x) trả về {type(out).__name__}"
        f"{' có độ dài ' + str(len(out)) if isinstance(out, (tuple, list)) else ''}; cần "
        "một tuple (x1, x2, x3): feature map của từng lớp, để vẽ chúng")
    for name, t, c in zip(("x1", "x2", "x3"), out, (4, 8, 16)):
        check_shape(f"ML_CNN()(x[2,1,20,24]) -> {name}", t, (2, c, 20, 24),
                    msg("3x3 kernels with padding 1 and stride 1 keep height and width",
                        "kernel 3x3 với padding 1 và stride 1 giữ nguyên chiều cao và chiều "
                        "rộng"))
        assert t.min() >= 0, msg(f"{name} has negative values: apply ReLU after each convolution",
                                 f"{name} có giá trị âm: hãy áp dụng ReLU sau mỗi lớp tích chập")


@pytest.mark.reported
def test_ml_cnn_classifier_layers_match_the_slide():
    compare_architectures(models.ML_CNNClassifier(), PINNED["classifier"]["layers"],
                          PINNED["classifier"]["input_shape"], "ML_CNNClassifier()")


@pytest.mark.reported
def test_ml_cnn_classifier_lecture_figures():
    model = models.ML_CNNClassifier()
    check_shape("ML_CNNClassifier()(x[3,1,28,28])", model(torch.randn(3, 1, 28, 28)), (3, 10),
                msg("ten class scores (logits) per image", "mười điểm số lớp (logits) cho mỗi ảnh"))
    check_int("count_parameters(ML_CNNClassifier())", params.count_parameters(model), 1_257_014,
              msg("the lecture prints 1257014 parameters for this CNN",
                  "bài giảng in ra 1257014 tham số cho mạng CNN này"))
    check_float("round(storage_size_gb(ML_CNNClassifier()), 6)",
                round(params.storage_size_gb(model), 6), 0.004683,
                msg("the lecture prints 0.004683 GB (float32: 4 bytes per parameter, / 1024**3)",
                    "bài giảng in ra 0.004683 GB (float32: 4 byte mỗi tham số, / 1024**3)"))


def _meta_mlp():
    with torch.device("meta"):
        return models.MLP()


@pytest.mark.reported
def test_mlp_lecture_figures_on_meta_device():
    model = _meta_mlp()
    on_meta = {p.device.type for p in model.parameters()}
    assert on_meta == {"meta"}, msg(
        f"MLP() created parameters on {on_meta}: create layers without a device= argument "
        "so the test can build the 6 GB model on the 'meta' device without allocating it",
        f"MLP() tạo tham số trên {on_meta}: hãy tạo các lớp mà không truyền device=, để bài "
        "kiểm tra dựng được mô hình 6 GB trên thiết bị 'meta' mà không cấp phát bộ nhớ")
    check_int("count_parameters(MLP())", params.count_parameters(model), 1_515_392_110,
              msg("the lecture prints 1515392110 parameters: a fully connected layer on a "
                  "224x224x3 image needs 150528 weights per neuron",
                  "bài giảng in ra 1515392110 tham số: một lớp kết nối đầy đủ trên ảnh "
                  "224x224x3 cần 150528 trọng số cho mỗi neuron"))
    check_float("round(storage_size_gb(MLP()), 6)", round(params.storage_size_gb(model), 6),
                5.645276, msg("the lecture prints 5.645276 GB for the MLP, against 0.004683 GB "
                              "for the CNN",
                              "bài giảng in ra 5.645276 GB cho MLP, so với 0.004683 GB cho CNN"))


@pytest.mark.reported
def test_mlp_layer_sizes():
    model = _meta_mlp()
    sizes = [(m.in_features, m.out_features) for m in model.modules() if isinstance(m, nn.Linear)]
    expected = [(3 * 224 * 224, 10000), (10000, 1000), (1000, 100), (100, 10)]
    assert sizes == expected, msg(
        f"MLP() has Linear layers {sizes}; expected {expected}. The slide's code writes "
        "Linear(1000, 10) for Linear3, a typo: its printed count proves 1000 -> 100",
        f"MLP() có các lớp Linear {sizes}; cần {expected}. Code trên slide ghi "
        "Linear(1000, 10) cho Linear3, đó là lỗi đánh máy (typo): số tham số in ra chứng minh "
        "phải là 1000 -> 100")
    out = model(torch.empty(2, 3, 224, 224, device="meta"))
    check_shape("MLP()(x[2,3,224,224]) on meta", out, (2, 10),
                msg("flatten the image first, then the four Linear layers",
                    "làm phẳng (flatten) ảnh trước, rồi qua bốn lớp Linear"))


def test_mlp_has_relu_between_its_layers():
    small = PINNED["mlp_small"]
    model = _meta_mlp()
    pinned.shrink_linears(model, small["widths"], small["input_shape"])
    pinned.check_pinned_function(
        msg(f"MLP()(x[2,3,224,224]), its Linear layers made {small['widths']} wide to fit in "
            "memory",
            f"MLP()(x[2,3,224,224]), các lớp Linear thu nhỏ còn {small['widths']} để vừa bộ "
            "nhớ"),
        model, small,
        msg("flatten the image, then a ReLU after each hidden Linear layer and none after the "
            "output layer. Without the non-linearity, stacked Linear layers collapse into one "
            "linear map",
            "làm phẳng ảnh, rồi đặt một ReLU sau mỗi lớp Linear ẩn và không đặt sau lớp đầu "
            "ra. Không có hàm phi tuyến, các lớp Linear xếp chồng gộp lại thành một ánh xạ "
            "tuyến tính duy nhất"),
        reference=_ref_small_mlp if REFERENCE else None)
