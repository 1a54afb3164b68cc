"""What comes back from a worker, on the trusted side: its errors rebuilt as exceptions
of the kit's own classes, its values restored (numpy arrays, bytes), and a reply frame
that stopped midway named for the student."""

from __future__ import annotations

import torch

from grader.core.i18n import pick
from grader.grading.worker import objects, wire
from grader.testkit.harness import ExerciseImportError


def begun(frame: wire.Frame) -> bool:
    """Whether a reply's frame had started: a header announced, or bytes received."""
    return frame.announced is not None or frame.received > 0


def reply_timeout(frame: wire.Frame) -> dict[str, str]:
    """A test's time limit that ran out while a reply was coming: what was announced."""
    told = frame.describe()
    return {"en": f"this test ran out of time waiting for the student's process to finish "
                  f"its reply: {told['en']}, and the rest never arrived",
            "vi": f"bài kiểm tra này hết thời gian khi chờ tiến trình của sinh viên gửi xong "
                  f"câu trả lời: {told['vi']}, và phần còn lại không bao giờ đến"}


def raise_remote(err: dict):
    __tracebackhide__ = True
    type_name = str(err.get("type", "Exception"))[:100]
    message = str(err.get("message", ""))
    where = [str(w)[:300] for w in err.get("where", [])[:3]] if isinstance(
        err.get("where"), list) else []
    if type_name == "ExerciseImportError":
        raise ExerciseImportError(message, str(err.get("kind", "")))
    if where:
        message += "\n" + pick({"en": "  raised at ", "vi": "  lỗi tại "}) + \
            "\n  ".join(where)
    raise objects.rebuild_error(type_name, message)


def restore(value):
    """numpy arrays come as tagged tensors; everything else is already safe data."""
    if isinstance(value, dict):
        if set(value) == {"__ndarray__"} and isinstance(value["__ndarray__"], torch.Tensor):
            return value["__ndarray__"].numpy()
        if set(value) == {"__bytes__"} and isinstance(value["__bytes__"], torch.Tensor) and \
                value["__bytes__"].dtype == torch.uint8:
            return bytes(value["__bytes__"].tolist())
        return {k: restore(v) for k, v in value.items()}
    if isinstance(value, list):
        return [restore(v) for v in value]
    if isinstance(value, tuple):
        return tuple(restore(v) for v in value)
    return value
