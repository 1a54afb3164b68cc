"""naive_conv's rule "write the convolution yourself", judged on the submitted file in the
test process (read, never run), where the student's code cannot lift it.

The exercise scores zero only on proof (``conv_scan`` says what counts as proof); what the
rule cannot decide is flagged for a person, with the points kept until then. A file whose
``conv2d_naive`` is still the stub (only ``raise NotImplementedError``) has nothing to judge
and keeps no rule. The half that watches the code run is ``grader.testkit.conv_watch``.
"""

from __future__ import annotations

import ast
import importlib.util
from dataclasses import dataclass
from pathlib import Path

from grader.core import failure_kinds
from grader.core.i18n import msg
from grader.testkit.conv_scan import ENTRY, PROOF, REASONS, REVIEW, Finding, scan

__all__ = ["Finding", "PROOF", "REVIEW", "Verdict", "naive_conv_verdict",
           "no_builtin_conv_problem", "scan", "scan_file", "unfinished"]

SHOWN = 8  # findings listed in one message


@dataclass(frozen=True)
class Verdict:
    zero: str | None = None  # why the exercise scores zero (proof, or nothing to judge yet)
    review: str | None = None  # what a person should look at (the points stand until then)
    stub: str | None = None  # what conv2d_naive's stub says, while it is still the stub
    kind: str = ""  # a fixed failure id (core.failure_kinds) where the file is missing or broken


def read_source(path: Path) -> str:
    """The file's text as Python reads it (its ``# coding:`` line honoured, so a file in
    Latin-1 is judged as the program that runs); bytes that are not text in that encoding
    are replaced, never a crash."""
    data = Path(path).read_bytes()
    try:
        return importlib.util.decode_source(data)
    except (SyntaxError, UnicodeDecodeError, LookupError):
        return data.decode("utf-8", errors="replace")


def scan_file(path: Path) -> list[Finding]:
    return scan(read_source(path))


def _not_implemented(node) -> bool:
    if not isinstance(node, ast.Raise) or node.exc is None:
        return False
    exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
    return isinstance(exc, ast.Name) and exc.id == "NotImplementedError"


def unfinished(source: str) -> str | None:
    """What the stub says when ``conv2d_naive``'s body is still only ``raise
    NotImplementedError(...)`` (a docstring, comments and ``pass`` aside): the kit's stub or
    nbgrader's. A student's own ``raise NotImplementedError("TODO: ...")`` for a case they
    do not support, beside their code, is neither."""
    for node in ast.parse(source).body:
        if not (isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == ENTRY):
            continue
        rest = [n for n in node.body if not isinstance(n, ast.Pass) and not (
            isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))]
        if len(rest) == 1 and _not_implemented(rest[0]):
            call = rest[0].exc if isinstance(rest[0].exc, ast.Call) else None
            arg = call.args[0] if call is not None and call.args else None
            said = arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, str) \
                else ""
            return said or "raise NotImplementedError()"
    return None


def _lines(findings: list[Finding], lang: int) -> str:
    shown = [f"    line {f.line}: {f.text}  ({REASONS[f.reason][lang]})" if lang == 0 else
             f"    dòng {f.line}: {f.text}  ({REASONS[f.reason][lang]})" for f in findings[:SHOWN]]
    if len(findings) > SHOWN:
        more = len(findings) - SHOWN
        shown.append(f"    ... {more} more" if lang == 0 else f"    ... thêm {more} chỗ khác")
    return "\n".join(shown)


def proof_message(name: str, findings: list[Finding]) -> str:
    return msg(
        f"{name} uses a library convolution or window function:\n{_lines(findings, 0)}\n"
        "The exercise is to slide the window yourself: cut each k x k window by slicing and "
        "combine it with the kernel (einsum, a product and .sum, matmul). F.conv2d, nn.Conv2d, "
        "torch.convolution, unfold, as_strided or sliding_window_view do that work for you, "
        "so the exercise scores zero. Replace the call by your own loop over the output "
        "positions; a check against F.conv2d may stay under `if __name__ == \"__main__\":`, "
        "which never runs when graded.",
        f"{name} dùng một phép tích chập hoặc hàm cắt cửa sổ có sẵn của thư viện:\n"
        f"{_lines(findings, 1)}\n"
        "Bài tập yêu cầu tự trượt cửa sổ: cắt từng cửa sổ k x k bằng slicing rồi kết hợp với "
        "kernel (einsum, phép nhân rồi .sum, matmul). F.conv2d, nn.Conv2d, torch.convolution, "
        "unfold, as_strided hay sliding_window_view làm việc đó thay bạn, nên bài tập này "
        "được 0 điểm. Hãy thay lời gọi đó bằng vòng lặp của chính bạn qua các vị trí đầu ra; "
        "phần tự kiểm tra so với F.conv2d có thể để trong `if __name__ == \"__main__\":`, "
        "phần này không chạy khi chấm bài.")


def review_message(name: str, findings: list[Finding]) -> str:
    return msg(
        f"{name} does something the grader cannot decide by reading it:\n"
        f"{_lines(findings, 0)}\nSuch code could reach a library convolution unseen, so a "
        "person (your instructor) will read it. This is not a zero: your points stand unless "
        "that review finds a library convolution. To avoid a review, use what you need by its "
        "name (torch.einsum, x[:, :, i:i+k, j:j+k], F.pad) instead of looking it up at run "
        "time, and import only the modules you need for the arithmetic.",
        f"{name} có đoạn code mà bộ chấm không thể kết luận chỉ bằng cách đọc:\n"
        f"{_lines(findings, 1)}\nCode như vậy có thể gọi tới một phép tích chập có sẵn mà bộ "
        "chấm không thấy, nên một người (giảng viên của bạn) sẽ đọc lại. Đây không phải điểm "
        "0: điểm của bạn được giữ nguyên trừ khi lần xem xét đó tìm thấy phép tích chập có "
        "sẵn. Để khỏi phải xem xét, hãy dùng trực tiếp theo tên những gì bạn cần "
        "(torch.einsum, x[:, :, i:i+k, j:j+k], F.pad) thay vì tra cứu lúc chạy, và chỉ import "
        "các module cần cho phép tính.")


def naive_conv_verdict(path: Path) -> Verdict:
    """The rule's verdict on the submitted file, its messages in the run's language."""
    path = Path(path)
    if not path.is_file():
        return Verdict(zero=msg(f"{path.name} is missing", f"thiếu tệp {path.name}"),
                       kind=failure_kinds.MISSING_FILE)
    source = read_source(path)
    try:
        findings, stub = scan(source), unfinished(source)
    except SyntaxError as exc:
        return Verdict(zero=msg(
            f"{path.name} does not parse: {exc.msg} (line {exc.lineno})",
            f"{path.name} không phân tích cú pháp được: {exc.msg} (dòng {exc.lineno})"),
            kind=failure_kinds.SYNTAX_ERROR)
    except ValueError as exc:  # a NUL byte (Python 3.11 says so with a ValueError)
        return Verdict(zero=msg(f"{path.name} does not parse: {exc}",
                                f"{path.name} không phân tích cú pháp được: {exc}"))
    if stub:
        return Verdict(stub=stub, zero=msg(
            f"{path.name} is not finished: {ENTRY} is still the stub, so there is nothing to "
            f"check yet: {stub}", f"{path.name} chưa làm xong: {ENTRY} vẫn là phần khung nên "
            f"chưa có gì để kiểm tra: {stub}"))
    proofs = [f for f in findings if f.kind == PROOF]
    if proofs:
        return Verdict(zero=proof_message(path.name, proofs))
    reviews = [f for f in findings if f.kind == REVIEW]
    return Verdict(review=review_message(path.name, reviews) if reviews else None)


def no_builtin_conv_problem(path: Path) -> str | None:
    """Why the file scores zero under the rule, in the run's language; None when it does not
    (it may still be flagged for review: see ``naive_conv_verdict``)."""
    return naive_conv_verdict(path).zero
