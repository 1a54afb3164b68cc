"""Parameter and shape formulas, checked against real PyTorch layers."""

import torch
import torch.nn as nn
import torchinfo
from hypothesis import given

from grader.core.i18n import msg
from grader.testkit import strategies as S
from grader.testkit.checks import check_float, check_int, check_int_pair
from grader.testkit.harness import exercise

params = exercise(__file__, "params")


def _args(d):
    return ", ".join(f"{k}={v!r}" for k, v in d.items())


@given(S.conv_layers())
def test_conv2d_param_count_matches_nn_conv2d(layer):
    real = nn.Conv2d(**layer, device="meta")
    expected = sum(p.numel() for p in real.parameters())
    check_int(f"conv2d_param_count({_args(layer)})", params.conv2d_param_count(**layer), expected,
              msg("weights = k_h*k_w*(C_in/groups)*C_out, plus C_out biases when bias=True; "
                  "the reference is a real nn.Conv2d",
                  "số trọng số = k_h*k_w*(C_in/groups)*C_out, cộng thêm C_out bias khi "
                  "bias=True; kết quả tham chiếu là một nn.Conv2d thật"))


def test_conv2d_param_count_lecture_layers():
    for c_in, c_out in [(1, 4), (4, 8), (8, 16)]:
        check_int(f"conv2d_param_count({c_in}, {c_out}, 3)",
                  params.conv2d_param_count(c_in, c_out, 3), 3 * 3 * c_out * c_in + c_out,
                  msg("the slide writes 3*3*C_out*C_in + C_out next to each conv layer "
                      "(bias counted)",
                      "slide ghi 3*3*C_out*C_in + C_out bên cạnh mỗi lớp tích chập (có tính "
                      "bias)"))


@given(S.sizes, S.sizes, S.st.booleans())
def test_linear_param_count_matches_nn_linear(n_in, n_out, bias):
    real = nn.Linear(n_in * 100, n_out, bias=bias, device="meta")
    expected = sum(p.numel() for p in real.parameters())
    check_int(f"linear_param_count({n_in * 100}, {n_out}, bias={bias})",
              params.linear_param_count(n_in * 100, n_out, bias=bias), expected,
              msg("a fully connected layer has in*out weights plus out biases: every input "
                  "connects to every output (no sparse connectivity)",
                  "một lớp kết nối đầy đủ (fully connected) có in*out trọng số cộng out bias: "
                  "mỗi đầu vào nối với mọi đầu ra (không có kết nối thưa)"))


@given(S.conv_geometries())
def test_conv2d_output_shape_matches_nn_conv2d(geometry):
    layer = nn.Conv2d(1, 1, geometry["kernel_size"], stride=geometry["stride"],
                      padding=geometry["padding"], dilation=geometry["dilation"], bias=False)
    with torch.no_grad():
        real = layer(torch.zeros(1, 1, *geometry["input_hw"])).shape[-2:]
    check_int_pair(f"conv2d_output_shape({_args(geometry)})",
                   params.conv2d_output_shape(**geometry), tuple(real),
                   msg("out = floor((H + 2*padding - dilation*(k-1) - 1) / stride) + 1; "
                       "padding adds to both sides, dilation spreads the kernel, the division "
                       "rounds down",
                       "out = floor((H + 2*padding - dilation*(k-1) - 1) / stride) + 1; "
                       "padding thêm vào cả hai phía, dilation giãn kernel ra, phép chia làm "
                       "tròn xuống"))


@given(S.pool_geometries())
def test_conv2d_output_shape_matches_maxpool(geometry):
    pool = nn.MaxPool2d(geometry["kernel_size"], stride=geometry["stride"],
                        padding=geometry["padding"])
    real = pool(torch.zeros(1, 1, *geometry["input_hw"])).shape[-2:]
    check_int_pair(msg(f"conv2d_output_shape({_args(geometry)})  # as nn.MaxPool2d",
                       f"conv2d_output_shape({_args(geometry)})  # như nn.MaxPool2d"),
                   params.conv2d_output_shape(**geometry), tuple(real),
                   msg("MaxPool2d uses the same formula with floor (ceil_mode=False): a window "
                       "that does not fit is dropped",
                       "MaxPool2d dùng cùng công thức, làm tròn xuống (ceil_mode=False): cửa sổ "
                       "nào không vừa thì bị bỏ"))


def test_receptive_field_three_3x3_is_7():
    check_int("receptive_field([3, 3, 3])", params.receptive_field([3, 3, 3]), 7,
              msg("many layers: each stacked 3x3 conv widens what one output pixel sees by 2",
                  "nhiều lớp (many layers): mỗi lớp tích chập 3x3 xếp chồng mở rộng vùng mà "
                  "một pixel đầu ra nhìn thấy thêm 2"))


def _measured_receptive_field(stack):
    """Gradient support of one output pixel of a real conv stack, along one side."""
    layers = [nn.Conv2d(1, 1, k, stride=s, bias=False) for k, s in stack]
    for layer in layers:
        nn.init.constant_(layer.weight, 1.0)
    net = nn.Sequential(*layers)
    size = 1
    for k, s in reversed(stack):
        size = (size - 1) * s + k
    x = torch.zeros(1, 1, size + 4, size + 4, requires_grad=True)
    out = net(x)
    out[0, 0, 0, 0].backward()
    rows = torch.nonzero(x.grad[0, 0].abs().sum(dim=1))
    return int(rows.max() - rows.min() + 1)


@given(S.stacks)
def test_receptive_field_matches_gradient_support(stack):
    kernels, strides = [k for k, _ in stack], [s for _, s in stack]
    check_int(f"receptive_field({kernels}, strides={strides})",
              params.receptive_field(kernels, strides), _measured_receptive_field(stack),
              msg("each layer adds (k-1) input pixels, multiplied by the product of the "
                  "strides of the layers below it; measured here as the gradient support of "
                  "one output pixel",
                  "mỗi lớp cộng thêm (k-1) pixel đầu vào, nhân với tích các stride của những "
                  "lớp bên dưới nó; ở đây được đo bằng vùng mà gradient của một pixel đầu ra "
                  "lan tới"))


def _frozen_mix():
    model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.Flatten(), nn.Linear(8, 5))
    for p in model[0].parameters():
        p.requires_grad = False
    return model


def test_count_parameters_matches_torchinfo():
    model = _frozen_mix()
    stats = torchinfo.summary(model, verbose=0)
    check_int("count_parameters(model)", params.count_parameters(model), stats.total_params,
              msg("count every parameter tensor's numel(), frozen or not (torchinfo's total)",
                  "cộng numel() của mọi tensor tham số, dù bị đóng băng hay không (tổng của "
                  "torchinfo)"))
    check_int("count_parameters(model, trainable_only=True)",
              params.count_parameters(model, trainable_only=True), stats.trainable_params,
              msg("trainable_only skips parameters with requires_grad=False (frozen weights)",
                  "trainable_only bỏ qua các tham số có requires_grad=False (trọng số bị đóng "
                  "băng)"))


def test_storage_size_gb_uses_element_size_and_1024_cubed():
    for dtype in (torch.float32, torch.float16, torch.float64):
        model = _frozen_mix().to(dtype)
        expected = torchinfo.summary(model, verbose=0).total_param_bytes / 1024 ** 3
        check_float(f"storage_size_gb(model.to({dtype}))", params.storage_size_gb(model),
                    expected,
                    msg("bytes = numel * element_size (4 for float32, 2 for float16), and the "
                        "lecture divides by 1024**3, not 1e9",
                        "số byte = numel * element_size (4 với float32, 2 với float16), và bài "
                        "giảng chia cho 1024**3, không phải 1e9"), rel=1e-9)
