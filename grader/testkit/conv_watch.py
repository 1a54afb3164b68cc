"""Watch a call where the student's code runs, and name every library convolution or window
function it reached, however it was reached (an alias, a name built at run time, eval).

Two observers hold for the length of the call:

* a ``TorchDispatchMode``, which sees each PyTorch operator as it is dispatched:
  ``aten.convolution`` (F.conv2d, nn.Conv2d, torch.convolution, conv_transpose...),
  ``aten.im2col``/``col2im`` (F.unfold/fold), ``aten.unfold`` (Tensor.unfold),
  ``aten.as_strided`` and ``set_`` on a storage (hand-made strided views);
* a profile hook (``sys.setprofile``), which sees Python and C functions by their code:
  numpy's ``sliding_window_view``, ``as_strided``, ``convolve``, ``correlate``, and scipy's,
  scikit-image's and OpenCV's filters.

The honest ways to write the exercise (slicing, einsum, tensordot, matmul, sum, F.pad,
stack, numpy arithmetic) dispatch none of these (``tests/test_naive_conv_rule.py``). What
is seen is proof: a student gains nothing by faking a sighting, and code that would blind
the observers (``sys``, ``torch._C``, the dispatch stack) is flagged by the source rule.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import os
import sys
import threading

from grader.core.i18n import pick

# PyTorch operators (their overload packet's name) that convolve or cut windows.
WINDOW_OPS = {"im2col", "col2im", "unfold", "unfold_copy", "as_strided", "as_strided_",
              "as_strided_copy"}
# Python functions, by name, inside these libraries' folders.
LIBRARY_FUNCTIONS = {"sliding_window_view", "as_strided", "convolve", "correlate", "convolve2d",
                     "correlate2d", "fftconvolve", "oaconvolve", "convolve1d", "correlate1d",
                     "generic_filter", "view_as_windows", "view_as_blocks", "correlate_sparse"}
LIBRARY_PACKAGES = ("numpy", "scipy", "skimage", "cv2")
# C functions of those libraries, by name.
C_FUNCTIONS = {"correlate", "correlate2", "filter2D", "sepFilter2D", "convolve"}


class BuiltinConvObserved(AssertionError):
    """The watched call reached a library convolution or window function."""


def forbidden_op(name: str, overload: str = "") -> bool:
    """Whether the PyTorch operator ``name`` (an overload packet) convolves or cuts windows."""
    bare = name.lstrip("_")
    if "conv" in bare and not bare.startswith("convert"):
        return True
    return name in WINDOW_OPS or (name == "set_" and overload.startswith("source_Storage"))


def _package_folders() -> tuple[str, ...]:
    folders = []
    for name in LIBRARY_PACKAGES:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            spec = None
        for folder in (spec.submodule_search_locations or []) if spec else []:
            folders.append(os.path.realpath(folder) + os.sep)
    return tuple(folders)


class _Profile:
    """The profile hook: notes library window functions called in this thread and any
    thread started while it holds."""

    def __init__(self, seen: list[str]):
        self.seen = seen
        self.folders = _package_folders()
        self.places: dict[str, bool] = {}

    def _in_library(self, filename: str) -> bool:
        known = self.places.get(filename)
        if known is None:
            known = os.path.realpath(filename).startswith(self.folders) if self.folders else False
            self.places[filename] = known
        return known

    def __call__(self, frame, event, arg):
        if event == "call":
            code = frame.f_code
            if code.co_name in LIBRARY_FUNCTIONS and self._in_library(code.co_filename):
                self.seen.append(f"{code.co_name} ({os.path.basename(code.co_filename)})")
        elif event == "c_call":
            name = getattr(arg, "__name__", "")
            module = str(getattr(arg, "__module__", "") or "")
            if name in C_FUNCTIONS and module.split(".")[0] in LIBRARY_PACKAGES:
                self.seen.append(f"{module}.{name}")


@contextlib.contextmanager
def _profiled(seen: list[str]):
    hook = _Profile(seen)
    before, before_threads = sys.getprofile(), threading.getprofile()
    sys.setprofile(hook)
    threading.setprofile(hook)
    try:
        yield
    finally:
        sys.setprofile(before)
        threading.setprofile(before_threads)


@functools.lru_cache(maxsize=None)
def _watch_mode():
    from torch.utils._python_dispatch import TorchDispatchMode  # lazy: torch only when watching

    class Watch(TorchDispatchMode):
        """Notes each forbidden operator and runs every operator unchanged."""

        def __init__(self, seen: list[str]):
            super().__init__()
            self.seen = seen

        @classmethod
        def _should_skip_dynamo(cls) -> bool:
            return False  # else the first use imports torch._dynamo: 3 s in every worker

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            packet = func.overloadpacket.__name__
            if forbidden_op(packet, func._overloadname):
                self.seen.append(f"aten.{packet}")
            return func(*args, **(kwargs or {}))

    return Watch


def _message(seen: list[str]) -> str:
    names = ", ".join(dict.fromkeys(seen))
    return pick({
        "en": f"while the grader watched it run, conv2d_naive reached {names}: a library "
              "convolution or window function (it does not matter how it was reached: an "
              "alias, a name built at run time, eval). The exercise is to slide the window "
              "yourself: cut each k x k window by slicing and combine it with the kernel, so "
              "this exercise scores zero.",
        "vi": f"khi bộ chấm theo dõi lúc chạy, conv2d_naive đã gọi tới {names}: một phép tích "
              "chập hoặc hàm cắt cửa sổ có sẵn của thư viện (gọi tới bằng cách nào cũng vậy: "
              "bí danh, tên dựng lúc chạy, eval). Bài tập yêu cầu tự trượt cửa sổ: cắt từng "
              "cửa sổ k x k bằng slicing rồi kết hợp với kernel, nên bài tập này được 0 điểm."})


@contextlib.contextmanager
def watched():
    """Run the body watched; raise ``BuiltinConvObserved`` after it if it reached a library
    convolution or window function (even when the body itself raised, or caught an error)."""
    seen: list[str] = []
    try:
        with _profiled(seen), _watch_mode()(seen):
            yield
    finally:
        if seen:
            raise BuiltinConvObserved(_message(seen))


def observed(exc: BaseException) -> bool:
    """Whether ``exc`` is the watch's verdict: raised here, or rebuilt from the worker's
    report (then only its type's name crosses)."""
    return isinstance(exc, BuiltinConvObserved) or \
        getattr(exc, "type_name", "") == BuiltinConvObserved.__name__
