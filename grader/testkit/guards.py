"""Guards: patches applied where the student's code runs, for the length of a call.

A test asks for one by name (``harness.guarded("no_builtin_conv")``); in-process it is
applied here, in grading mode inside the worker. Each guard turns a forbidden call into
an ``AssertionError`` that says why it is forbidden (``no_builtin_conv`` raises it when the
call ends, naming what it saw).
"""

from __future__ import annotations

import contextlib

from grader.core.i18n import pick
from grader.testkit import conv_watch


@contextlib.contextmanager
def _patched(pairs):
    saved = [(owner, attr, owner.__dict__.get(attr, getattr(owner, attr)))
             for owner, attr, _ in pairs]
    try:
        for owner, attr, value in pairs:
            setattr(owner, attr, value)
        yield
    finally:
        for owner, attr, value in reversed(saved):
            setattr(owner, attr, value)


def no_builtin_conv():
    """conv2d_naive is watched while it runs (``conv_watch``): reaching a library
    convolution or window function, by any route, raises ``BuiltinConvObserved`` when the
    call ends, which the trusted side takes as proof."""
    return conv_watch.watched()


def no_download():
    import torchvision.datasets.utils as tv_utils

    def no_network(*a, **k):
        raise AssertionError(pick({
            "en": "prepare_data tried to download although the data is already there",
            "vi": "prepare_data cố tải dữ liệu về dù dữ liệu đã có sẵn"}))
    return _patched([(tv_utils, "download_and_extract_archive", no_network),
                     (tv_utils, "download_url", no_network)])


def no_weight_loading():
    import torch

    def refuse(*a, **k):
        raise AssertionError(pick({
            "en": "weights=None must build the network without loading weights",
            "vi": "weights=None phải dựng mạng mà không tải trọng số nào"}))
    return _patched([(torch.hub, "load_state_dict_from_url", refuse)])


GUARDS = {"no_builtin_conv": no_builtin_conv, "no_download": no_download,
          "no_weight_loading": no_weight_loading}


@contextlib.contextmanager
def applied(names):
    with contextlib.ExitStack() as stack:
        for name in names:
            stack.enter_context(GUARDS[name]())
        yield
