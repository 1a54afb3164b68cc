"""Parameter and shape formulas, checked against real PyTorch layers."""

import torch
import torch.nn as nn
import torchinfo
from hypothesis import given

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
              "weights = k_h*k_w*(C_in/groups)*C_out, plus C_out biases when bias=True; "
              "the reference is a real nn.Conv2d")


def test_conv2d_param_count_lecture_layers():
    for c_in, c_out in [(1, 4), (4, 8), (8, 16)]:
        check_int(f"conv2d_param_count({c_in}, {c_out}, 3)",
                  params.conv2d_param_count(c_in, c_out, 3), 3 * 3 * c_out * c_in + c_out,
                  "the slide writes 3*3*C_out*C_in + C_out next to each conv layer (bias counted)")


@given(S.sizes, S.sizes, S.st.booleans())
def test_linear_param_count_matches_nn_linear(n_in, n_out, bias):
    real = nn.Linear(n_in * 100, n_out, bias=bias, device="meta")
    expected = sum(p.numel() for p in real.parameters())
    check_int(f"linear_param_count({n_in * 100}, {n_out}, bias={bias})",
              params.linear_param_count(n_in * 100, n_out, bias=bias), expected,
              "a fully connected layer has in*out weights plus out biases: every input "
              "connects to every output (no sparse connectivity)")


@given(S.conv_geometries())
def test_conv2d_output_shape_matches_nn_conv2d(geometry):
    layer = nn.Conv2d(1, 1, geometry["kernel_size"], stride=geometry["stride"],
                      padding=geometry["padding"], dilation=geometry["dilation"], bias=False)
    with torch.no_grad():
        real = layer(torch.zeros(1, 1, *geometry["input_hw"])).shape[-2:]
    check_int_pair(f"conv2d_output_shape({_args(geometry)})",
                   params.conv2d_output_shape(**geometry), tuple(real),
                   "out = floor((H + 2*padding - dilation*(k-1) - 1) / stride) + 1; padding adds "
                   "to both sides, dilation spreads the kernel, the division rounds down")


@given(S.pool_geometries())
def test_conv2d_output_shape_matches_maxpool(geometry):
    pool = nn.MaxPool2d(geometry["kernel_size"], stride=geometry["stride"],
                        padding=geometry["padding"])
    real = pool(torch.zeros(1, 1, *geometry["input_hw"])).shape[-2:]
    check_int_pair(f"conv2d_output_shape({_args(geometry)})  # as nn.MaxPool2d",
                   params.conv2d_output_shape(**geometry), tuple(real),
                   "MaxPool2d uses the same formula with floor (ceil_mode=False): a window that "
                   "does not fit is dropped")


def test_receptive_field_three_3x3_is_7():
    check_int("receptive_field([3, 3, 3])", params.receptive_field([3, 3, 3]), 7,
              "many layers: each stacked 3x3 conv widens what one output pixel sees by 2")


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
              "each layer adds (k-1) input pixels, multiplied by the product of the strides "
              "of the layers below it; measured here as the gradient support of one output pixel")


def _frozen_mix():
    model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.Flatten(), nn.Linear(8, 5))
    for p in model[0].parameters():
        p.requires_grad = False
    return model


def test_count_parameters_matches_torchinfo():
    model = _frozen_mix()
    stats = torchinfo.summary(model, verbose=0)
    check_int("count_parameters(model)", params.count_parameters(model), stats.total_params,
              "count every parameter tensor's numel(), frozen or not (torchinfo's total)")
    check_int("count_parameters(model, trainable_only=True)",
              params.count_parameters(model, trainable_only=True), stats.trainable_params,
              "trainable_only skips parameters with requires_grad=False (frozen weights)")


def test_storage_size_gb_uses_element_size_and_1024_cubed():
    for dtype in (torch.float32, torch.float16, torch.float64):
        model = _frozen_mix().to(dtype)
        expected = torchinfo.summary(model, verbose=0).total_param_bytes / 1024 ** 3
        check_float(f"storage_size_gb(model in {dtype})", params.storage_size_gb(model), expected,
                    "bytes = numel * element_size (4 for float32, 2 for float16), and the "
                    "lecture divides by 1024**3, not 1e9", rel=1e-9)
