"""Hidden tests: the same formulas on fixed cases students do not see before grading."""

import pytest
import torch
import torch.nn as nn

from grader.core.i18n import msg
from grader.testkit.checks import check_int, check_int_pair
from grader.testkit.harness import exercise

params = exercise(__file__, "params")

CASES = [
    dict(in_channels=8, out_channels=8, kernel_size=3, bias=True, groups=8),  # depthwise
    dict(in_channels=6, out_channels=4, kernel_size=(1, 7), bias=False, groups=2),
    dict(in_channels=512, out_channels=512, kernel_size=3, bias=False, groups=1),
]


@pytest.mark.parametrize("layer", CASES, ids=["depthwise", "asymmetric", "resnet"])
def test_conv2d_param_count_fixed_cases(layer):
    expected = sum(p.numel() for p in nn.Conv2d(**layer, device="meta").parameters())
    check_int(f"conv2d_param_count(**{layer})", params.conv2d_param_count(**layer), expected,
              msg("k_h*k_w*(C_in/groups)*C_out (+ C_out with bias)",
                  "k_h*k_w*(C_in/groups)*C_out (+ C_out nếu có bias)"))


def test_conv2d_output_shape_mixed_pairs():
    args = dict(input_hw=(31, 17), kernel_size=(1, 7), stride=(3, 2), padding=(0, 3),
                dilation=(2, 1))
    layer = nn.Conv2d(1, 1, args["kernel_size"], stride=args["stride"], padding=args["padding"],
                      dilation=args["dilation"])
    real = tuple(layer(torch.zeros(1, 1, 31, 17)).shape[-2:])
    check_int_pair(f"conv2d_output_shape(**{args})", params.conv2d_output_shape(**args), real,
                   msg("height and width use their own kernel, stride, padding and dilation",
                       "chiều cao và chiều rộng dùng kernel, stride, padding và dilation riêng "
                       "của chúng"))


def test_receptive_field_of_the_mnist_cnn():
    check_int("receptive_field([5, 2, 3, 2, 3, 2], [1, 2, 1, 2, 1, 2])",
              params.receptive_field([5, 2, 3, 2, 3, 2], [1, 2, 1, 2, 1, 2]), 24,
              msg("poolings count as layers too; strides multiply the growth of later layers",
                  "các lớp pooling cũng được tính là lớp; stride nhân lên phần mở rộng của các "
                  "lớp phía sau"))
