"""A datamodule's seeded train/valid split, judged by the images it yields.

The split is checked through what ``dm.train[k]`` / ``dm.valid[k]`` return, never through
attributes such as ``dm.valid.indices``: a datamodule that wraps its datasets (a transform
wrapper, a custom ``Dataset``) yields the same images and is the same split.
"""

from __future__ import annotations

from grader.core.i18n import msg

# Positions of dm.valid compared with the reference. An unseeded split of n training
# images puts the reference's image at a position with probability 1/n; all of them with
# probability (1/n)^POSITIONS (under 1e-16 for the 120-image test tree, 1e-37 for CIFAR-10).
POSITIONS = 8


def fingerprint(image) -> float:
    """One number per image, the same on both sides for the same tensor."""
    return round(float(image.double().sum()), 3)


def reference_split(n_train: int, n_valid: int, seed: int = 42):
    """The indices ``random_split(range(n), [n_train, n_valid], generator=...(seed))`` gives."""
    import torch
    from torch.utils.data import random_split

    train, valid = random_split(range(n_train + n_valid), [n_train, n_valid],
                                generator=torch.Generator().manual_seed(seed))
    return list(train.indices), list(valid.indices)


def _call(sizes, seed):
    train, valid, _ = sizes
    return (f"random_split(..., [{train}, {valid}], "
            f"generator=torch.Generator().manual_seed({seed}))")


def check_sizes(dm, sizes) -> None:
    __tracebackhide__ = True
    train, valid, test = sizes
    got = (len(dm.train), len(dm.valid), len(dm.test))
    assert got == tuple(sizes), msg(
        f"train/valid/test sizes are {got}; expected {tuple(sizes)}: the {train + valid:,} "
        f"training images are split {train:,} / {valid:,}, and the {test:,} test images stay "
        "apart",
        f"kích thước train/valid/test là {got}; cần {tuple(sizes)}: {train + valid:,} ảnh huấn "
        f"luyện được chia {train:,} / {valid:,}, còn {test:,} ảnh test để riêng")


def check_split_yields(dm, files, sizes, seed: int = 42, again=None) -> None:
    """``dm``'s sizes are ``sizes``; its validation images are the training ``files`` (a
    dataset giving ``(tensor, label)`` as ``dm`` with its default transforms would) that the
    seeded ``random_split`` puts there, in any order. ``again``: a second datamodule built
    the same way must yield the same training and validation images."""
    __tracebackhide__ = True
    check_sizes(dm, sizes)
    _, ref_valid = reference_split(sizes[0], sizes[1], seed)
    valid_keys = None
    for k in range(min(POSITIONS, sizes[1])):
        x, y = dm.valid[k]
        want_x, want_y = files[ref_valid[k]]
        if int(y) == int(want_y) and x.shape == want_x.shape and bool((x == want_x).all()):
            continue
        if valid_keys is None:  # another order of the same images is the same split
            valid_keys = {(fingerprint(files[i][0]), int(files[i][1])) for i in ref_valid}
        assert (fingerprint(x), int(y)) in valid_keys, msg(
            f"dm.valid[{k}] is not one of the validation images of {_call(sizes, seed)}: an "
            "unseeded split (or another seed) gives a different validation set every run, so "
            "results cannot be compared",
            f"dm.valid[{k}] không thuộc các ảnh validation của {_call(sizes, seed)}: chia "
            "không cố định seed (hoặc seed khác) thì mỗi lần chạy có một tập validation khác, "
            "nên không thể so sánh kết quả")
    if again is not None:
        _check_reproducible(dm, again, sizes)


def _check_reproducible(dm, again, sizes) -> None:
    __tracebackhide__ = True
    for which, n in (("valid", sizes[1]), ("train", sizes[0])):
        for k in range(min(POSITIONS, n)):
            a, b = getattr(dm, which)[k], getattr(again, which)[k]
            same = int(a[1]) == int(b[1]) and a[0].shape == b[0].shape and bool(
                (a[0] == b[0]).all())
            assert same, msg(
                f"two datamodules built the same way give different dm.{which}[{k}]: the "
                "split must be seeded (generator=torch.Generator().manual_seed(42)) so every "
                "run trains and validates on the same images",
                f"hai datamodule tạo giống hệt nhau cho dm.{which}[{k}] khác nhau: phép chia "
                "phải cố định seed (generator=torch.Generator().manual_seed(42)) để lần chạy "
                "nào cũng huấn luyện và kiểm định trên cùng các ảnh")
