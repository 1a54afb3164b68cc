"""Raw PyTorch errors, put into words a student can act on."""

from __future__ import annotations

import re

from grader.core.i18n import pick

_PATTERNS = [
    (re.compile(r"mat1 and mat2 shapes cannot be multiplied \((\d+)x(\d+) and (\d+)x(\d+)\)"),
     lambda m: {
         "en": (f"A Linear layer expected {m[3]} input features but received {m[2]}. "
                f"The flattened output of the layers before it has {m[2]} values per sample: "
                f"set in_features={m[2]}, or check the convolution/pooling sizes "
                f"(a MaxPool dropped or added changes the flattened size)."),
         "vi": (f"Lớp Linear cần {m[3]} đặc trưng đầu vào nhưng nhận được {m[2]}. "
                f"Đầu ra đã làm phẳng (flatten) của các lớp phía trước có {m[2]} giá trị cho mỗi "
                f"mẫu: hãy đặt in_features={m[2]}, hoặc kiểm tra lại kích thước các lớp tích chập/"
                f"pooling (thêm hay bớt một MaxPool sẽ làm thay đổi kích thước)."),
     }),
    (re.compile(r"expected input\[(.*?)\] to have (\d+) channels, but got (\d+) channels"),
     lambda m: {
         "en": (f"A Conv2d layer was built for {m[2]} input channels but the tensor reaching it "
                f"(shape [{m[1]}]) has {m[3]}. The in_channels of each convolution must equal "
                f"the out_channels of the one before it."),
         "vi": (f"Một lớp Conv2d được tạo cho {m[2]} kênh đầu vào nhưng tensor đi vào (kích thước "
                f"[{m[1]}]) có {m[3]} kênh. in_channels của mỗi lớp tích chập phải bằng "
                f"out_channels của lớp trước nó."),
     }),
    (re.compile(r"Kernel size can't be greater than actual input size|Output size is too small"),
     lambda m: {
         "en": ("The feature map became smaller than the kernel: too many poolings or "
                "convolutions without padding for this input size."),
         "vi": ("Feature map đã nhỏ hơn kernel: quá nhiều lớp pooling hoặc tích chập không có "
                "padding so với kích thước ảnh đầu vào."),
     }),
    (re.compile(r"element \d+ of tensors does not require grad"),
     lambda m: {
         "en": ("Backward found no trainable parameter: everything is frozen. In transfer "
                "learning, freeze first and replace the head afterwards, so the new head "
                "stays trainable."),
         "vi": ("Không có tham số nào cần cập nhật: mọi trọng số đều bị đóng băng. Khi học "
                "chuyển giao, hãy đóng băng trọng số trước rồi mới thay lớp cuối, để lớp mới "
                "vẫn được huấn luyện."),
     }),
    (re.compile(r"Expected more than 1 value per channel when training"),
     lambda m: {
         "en": ("BatchNorm in training mode needs more than one sample per batch. Call "
                "model.eval() before evaluating single samples."),
         "vi": ("BatchNorm ở chế độ huấn luyện cần nhiều hơn một mẫu mỗi batch. Hãy gọi "
                "model.eval() trước khi đánh giá từng mẫu."),
     }),
]

_SIGNATURE = re.compile(r"(\w+)\(\) (got an unexpected keyword argument '(\w+)'|takes \d+ "
                        r"positional arguments? but \d+ (were|was) given|missing \d+ required "
                        r"positional arguments?)")


def _signature(m):
    return {
        "en": (f"{m[1]}() was called the way the exercise defines it, but your definition has "
               f"a different signature ({m[2]}). Keep the parameter names and defaults of the "
               "stub."),
        "vi": (f"{m[1]}() được gọi theo đúng định nghĩa của bài tập, nhưng hàm của bạn có chữ ký "
               f"khác ({m[2]}). Hãy giữ nguyên tên tham số và giá trị mặc định như trong stub."),
    }


_PATTERNS.append((_SIGNATURE, _signature))

LABEL = {"en": "What this means", "vi": "Ý nghĩa"}


def explain_message(text: str) -> str | None:
    for pattern, build in _PATTERNS:
        match = pattern.search(text)
        if match:
            return f"{pick(LABEL)}: {pick(build(match))}"
    return None


def explain_exception(exc: BaseException) -> str | None:
    if isinstance(exc, (RuntimeError, ValueError, TypeError)):
        return explain_message(str(exc))
    return None
