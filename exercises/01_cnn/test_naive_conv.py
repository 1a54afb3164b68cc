"""A hand-written convolution: equal to F.conv2d, shared weights, local windows."""

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given

from grader.core.i18n import msg, pick
from grader.core.results import FAILURE_KIND_PROPERTY, REVIEW_PROPERTY
from grader.testkit import strategies as S
from grader.testkit.checks import check_close, check_shape
from grader.testkit import conv_watch, source_rules
from grader.testkit.harness import current_topic_dir, exercise, guarded, topic_of

naive = exercise(__file__, "naive_conv")


def _submitted():
    return current_topic_dir(topic_of(__file__)) / "naive_conv.py"


def _case(c):
    g = torch.Generator().manual_seed(c["seed"])
    x = torch.randn(*c["x_shape"], generator=g)
    w = torch.randn(*c["w_shape"], generator=g)
    b = torch.randn(c["w_shape"][0], generator=g) if c["bias"] else None
    return x, w, b


@given(S.naive_conv_cases())
def test_conv2d_naive_matches_f_conv2d(case):
    x, w, b = _case(case)
    expected = F.conv2d(x, w, b, stride=case["stride"], padding=case["padding"])
    got = naive.conv2d_naive(x, w, b, stride=case["stride"], padding=case["padding"])
    check_close(f"conv2d_naive(x{tuple(x.shape)}, weight{tuple(w.shape)}, bias="
                f"{'bias' if b is not None else None}, stride={case['stride']}, "
                f"padding={case['padding']})", got, expected,
                msg("the reference is F.conv2d: zero padding on every side, the window moves "
                    "by stride, each output channel adds its bias once",
                    "kết quả tham chiếu là F.conv2d: đệm số 0 ở mọi phía, cửa sổ dịch đi "
                    "stride bước, mỗi kênh ra cộng bias của nó đúng một lần"))


@pytest.mark.gate
def test_conv2d_naive_calls_no_builtin_conv():
    """Watched where the code runs: reaching a library convolution or window function, by
    any route, is proof, and the whole exercise scores zero. Any other failure is left to
    the tests above and below, which say what went wrong; a file the source rule already
    zeroes is not run again here (one reason is enough), and a stub fails with its own
    message."""
    x, w, b = torch.randn(2, 3, 7, 6), torch.randn(4, 3, 3, 2), torch.randn(4)
    verdict = source_rules.naive_conv_verdict(_submitted())
    if verdict.stub:
        naive.conv2d_naive(x, w, b, stride=2, padding=1)
    if verdict.zero:
        return
    try:
        conv = naive.conv2d_naive  # imported before the watch: only the call is watched
        with guarded("no_builtin_conv"):
            conv(x, w, b, stride=2, padding=1)
    except Exception as exc:  # noqa: BLE001 - only the watch's verdict matters here
        if conv_watch.observed(exc):
            pytest.fail(str(exc), pytrace=False)


@pytest.mark.gate
def test_conv2d_naive_source_names_no_builtin_conv(record_property):
    """Read from the submitted file, not asked of the running code: this test's verdict
    is the grader's own. On proof it fails and the whole exercise scores zero; what it
    cannot decide it passes, flagged for a person (``review``)."""
    verdict = source_rules.naive_conv_verdict(_submitted())
    if verdict.kind:  # the file is missing or broken: the report groups it so
        record_property(FAILURE_KIND_PROPERTY, verdict.kind)
    if verdict.zero:
        pytest.fail(verdict.zero, pytrace=False)
    if verdict.review:
        record_property(REVIEW_PROPERTY, verdict.review)


def test_parameter_sharing_is_translation_equivariance():
    x = torch.zeros(1, 1, 12, 12)
    x[0, 0, 3:5, 2:6] = torch.arange(1.0, 9.0).view(2, 4)
    w = torch.randn(2, 1, 3, 3)
    shifted = torch.roll(x, shifts=(2, 3), dims=(2, 3))
    out = naive.conv2d_naive(x, w, None, stride=1, padding=1)
    out_shifted = naive.conv2d_naive(shifted, w, None, stride=1, padding=1)
    check_close(msg("conv2d_naive(shifted image) vs. shifted conv2d_naive(image)",
                    "conv2d_naive(ảnh đã dịch) so với conv2d_naive(ảnh) rồi mới dịch"),
                out_shifted, torch.roll(out, shifts=(2, 3), dims=(2, 3)),
                msg("parameter sharing: the same kernel is used at every position, so moving "
                    "the pattern moves the response by the same amount",
                    "chia sẻ tham số (parameter sharing): cùng một kernel được dùng ở mọi vị "
                    "trí, nên dịch mẫu hình đi bao nhiêu thì phản hồi cũng dịch đi bấy nhiêu"))


def test_sparse_connectivity_is_local():
    # Image 0 is random; image 1 + k is image 0 with input pixel k changed. Output pixel
    # (4, 2) must change exactly when the changed pixel lies in its 3x3 window.
    base = torch.randn(1, 1, 9, 9)
    batch = base.repeat(82, 1, 1, 1)
    for k in range(81):
        batch[1 + k, 0, k // 9, k % 9] += 1.0
    w = torch.rand(1, 1, 3, 3) + 0.5
    out = naive.conv2d_naive(batch, w, None, stride=1, padding=0)
    check_shape("conv2d_naive(x[82,1,9,9], w[1,1,3,3])", out, (82, 1, 7, 7),
                "without padding a 3x3 kernel shrinks 9 to 7")
    reached = (out[1:, 0, 4, 2] - out[0, 0, 4, 2]).abs().view(9, 9) > 1e-6
    touched = torch.zeros(9, 9, dtype=torch.bool)
    touched[4:7, 2:5] = True
    picture = "\n".join("    " + " ".join("#" if v else "." for v in row)
                         for row in reached.tolist())
    assert torch.equal(reached, touched), pick({
        "en": "output pixel (4, 2) of a 3x3 convolution depends on these input pixels "
              f"(# = changing it changes the output):\n{picture}\nexpected exactly the 3x3 "
              "window at rows 4..6, columns 2..4. Concept: sparse connectivity - one neuron "
              "sees one small window, unlike an MLP neuron, which sees every pixel.",
        "vi": "điểm ảnh đầu ra (4, 2) của phép tích chập 3x3 phụ thuộc vào các điểm ảnh đầu "
              f"vào sau (# = đổi điểm ảnh đó thì đầu ra đổi):\n{picture}\nmong đợi đúng cửa "
              "sổ 3x3 ở hàng 4..6, cột 2..4. Khái niệm: kết nối thưa (sparse connectivity) - "
              "mỗi nơ-ron chỉ nhìn một cửa sổ nhỏ, khác với nơ-ron của MLP nhìn mọi điểm ảnh."})
