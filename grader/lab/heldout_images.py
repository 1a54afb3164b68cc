"""Held-out evaluation images for graded training.

Shipped with the student bundle: a visible test draws its own small held-out set with a
fresh secret, and the grader (``grader/grading/training/graded_run.py``) draws the class's with its
key. Nothing here holds a secret of its own.

A graded run's accuracy is measured by the grader, not reported by the student's code.
The trusted side builds, once per grading run, a secret variant of a public test set:

- a secret order (and, with ``n``, a secret subset) of the test images, so that a
  position says nothing about a label;
- each image moved by one pixel in a secret direction (one of the 8 neighbours,
  ``max(|dx|, |dy|) == 1``), the uncovered border filled with zeros (MNIST's background)
  or with the edge pixels (CIFAR-10), so that no image equals a public test image and a
  lookup table of the public test set, keyed on the images, finds nothing.

Why one pixel: measured on the quick MNIST reference (seed 2, test accuracy 0.9818),
moves of up to 2 pixels cost 6.8 points (0.9137), one pixel 1.7 (0.9651). The
thresholds must measure training, not the CNN's tolerance of shifts it never saw.

The images stay on the trusted side: a graded run hands back its trained weights, and the
trusted side loads them into the lecture's architecture and classifies these images
itself (``grader/lab/reference_eval.py``), in the raw pixel form of the data set:
MNIST ``uint8 N x 28 x 28``, CIFAR-10 ``uint8 N x 3 x 32 x 32``. ``score`` compares the
predictions with the labels. The secret is drawn per grading run (``new_secret``) and
never written into a box.

A training box never holds the held-out images either: ``hidden_test_set.py`` lays the
public rest of the test set over every copy the box could read, so a search of the box's
test set for the nearest image under every small shift finds nothing to copy. The shift
costs an honest model a little accuracy, which is why the thresholds in ``topic.toml``
are set on these sets (see the topics' READMEs).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from pathlib import Path

import torch

from grader.core.i18n import msg
from grader.core.errors import BadInput
from grader.lab.data import locate

MAX_SHIFT = 1
CLASS_NUMBER_DTYPES = (torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64)
FILL = {"mnist": "zero", "cifar10": "edge"}


@dataclass(frozen=True)
class HeldOut:
    """A held-out set: ``images`` go to the worker, the rest never leaves this process."""

    dataset: str  # "mnist" or "cifar10"
    images: torch.Tensor  # uint8, the data set's raw pixels after the secret shift
    labels: torch.Tensor  # int64
    indices: torch.Tensor  # int64: which public test image each one is
    shifts: torch.Tensor  # int64, N x 2: (dx, dy) in pixels, right and down

    def __len__(self) -> int:
        return len(self.labels)

    def __repr__(self) -> str:  # never print labels into a log by accident
        return f"HeldOut({self.dataset!r}, {len(self)} images)"


class BadPredictions(BadInput):
    """Predictions that cannot be scored: wrong count, not class numbers."""

    def __init__(self, why: dict[str, str]):
        super().__init__(why["en"])
        self.why = why


def new_secret() -> bytes:
    """A fresh secret for one grading run."""
    return secrets.token_bytes(32)


def _generator(secret: bytes, purpose: str) -> torch.Generator:
    if not isinstance(secret, bytes) or len(secret) < 16:
        raise BadInput("the held-out secret must be at least 16 random bytes (new_secret())")
    digest = hashlib.sha256(secret + b"\0cnnkit-heldout\0" + purpose.encode()).digest()
    return torch.Generator().manual_seed(int.from_bytes(digest[:8], "big") >> 1)


def offsets(max_shift: int = MAX_SHIFT) -> torch.Tensor:
    """Every ``(dx, dy)`` with ``|dx|, |dy| <= max_shift`` except ``(0, 0)``: ``K x 2``."""
    r = range(-max_shift, max_shift + 1)
    return torch.tensor([(dx, dy) for dy in r for dx in r if (dx, dy) != (0, 0)])


def random_shifts(n: int, generator: torch.Generator, max_shift: int = MAX_SHIFT) -> torch.Tensor:
    """``n x 2`` offsets drawn uniformly from ``offsets(max_shift)``."""
    choices = offsets(max_shift)
    return choices[torch.randint(len(choices), (n,), generator=generator)]


def shift(images: torch.Tensor, shifts: torch.Tensor, fill: str = "zero") -> torch.Tensor:
    """Each image moved by its ``(dx, dy)`` (right, down): ``out[y, x] = in[y - dy, x - dx]``.

    ``images`` is ``N x H x W`` or ``N x C x H x W``; what the move uncovers is 0
    (``fill="zero"``) or the nearest edge pixel (``fill="edge"``).
    """
    if fill not in ("zero", "edge"):
        raise BadInput(f"fill must be 'zero' or 'edge', not {fill!r}")
    if len(shifts) != len(images):
        raise BadInput(f"{len(shifts)} shifts for {len(images)} images")
    if len(images) == 0:
        return images.clone()
    m = int(shifts.abs().max())
    flat = images.dim() == 3
    x = images.unsqueeze(1) if flat else images
    h, w = x.shape[-2:]
    if fill == "zero":
        padded = torch.nn.functional.pad(x, (m, m, m, m))
    else:  # replicate padding needs a float tensor
        padded = torch.nn.functional.pad(x.float(), (m, m, m, m), mode="replicate").to(x.dtype)
    out = torch.empty_like(x)
    for dx, dy in {tuple(s) for s in shifts.tolist()}:
        rows = ((shifts[:, 0] == dx) & (shifts[:, 1] == dy)).nonzero().flatten()
        out[rows] = padded[rows, :, m - dy:m - dy + h, m - dx:m - dx + w]
    return out.squeeze(1) if flat else out


def _mnist_test(root: Path | None):
    from torchvision import datasets

    test = datasets.MNIST(str(root or locate("mnist")), train=False, download=False)
    return test.data, test.targets.long()


def _cifar10_files(root: Path | None):
    from torchvision import datasets

    folder = Path(root) if root else locate("cifar10-jpg") / "cifar10-jpg"
    test = datasets.ImageFolder(str(folder / "test"))
    return test.samples


def _read_rgb(path: str) -> torch.Tensor:
    """The pixels an ``ImageFolder`` gives its transform (PIL, RGB), as ``3 x H x W``."""
    import numpy as np
    from PIL import Image

    with open(path, "rb") as fh:
        image = Image.open(fh).convert("RGB")
        return torch.from_numpy(np.array(image)).permute(2, 0, 1).contiguous()


def _choose(total: int, n: int | None, secret: bytes, name: str) -> torch.Tensor:
    order = torch.randperm(total, generator=_generator(secret, f"{name}/order"))
    if n is not None:
        if not 0 < n <= total:
            raise BadInput(f"n must be between 1 and {total}, not {n}")
        order = order[:n]
    return order


def mnist(secret: bytes, n: int | None = None, max_shift: int = MAX_SHIFT,
          root: Path | None = None) -> HeldOut:
    """The MNIST test set (all 10,000, or a secret ``n``), secretly ordered and shifted."""
    data, targets = _mnist_test(root)
    index = _choose(len(data), n, secret, "mnist")
    shifts = random_shifts(len(index), _generator(secret, "mnist/shift"), max_shift)
    return HeldOut("mnist", shift(data[index], shifts, FILL["mnist"]), targets[index], index,
                   shifts)


def cifar10(secret: bytes, n: int | None = 2000, max_shift: int = MAX_SHIFT,
            root: Path | None = None) -> HeldOut:
    """CIFAR-10 test images (a secret ``n`` of the 10,000; ``None``: all), secretly
    ordered and shifted with edge fill. ``root`` holds ``test/<class>/*.jpg``."""
    samples = _cifar10_files(root)
    index = _choose(len(samples), n, secret, "cifar10")
    images = torch.stack([_read_rgb(samples[i][0]) for i in index.tolist()])
    labels = torch.tensor([samples[i][1] for i in index.tolist()], dtype=torch.long)
    shifts = random_shifts(len(index), _generator(secret, "cifar10/shift"), max_shift)
    return HeldOut("cifar10", shift(images, shifts, FILL["cifar10"]), labels, index, shifts)


def build(dataset: str, secret: bytes, n: int | None = None, **kw) -> HeldOut:
    """``mnist(...)`` or ``cifar10(...)`` by name (``n=None``: MNIST all, CIFAR-10 2,000)."""
    if dataset == "mnist":
        return mnist(secret, n, **kw)
    if dataset == "cifar10":
        return cifar10(secret, n if n is not None else 2000, **kw)
    raise BadInput(msg(f"no held-out set for {dataset!r} (mnist, cifar10)",
                       f"không có tập giữ lại cho {dataset!r} (mnist, cifar10)"))


def _not_scorable(what: str) -> BadPredictions:
    return BadPredictions({
        "en": f"the predictions are not a list of class numbers ({what})",
        "vi": f"kết quả dự đoán không phải danh sách số lớp ({what})"})


def _as_prediction_tensor(predictions) -> torch.Tensor:
    """``predictions`` as a dense 1-D tensor, without letting them decide what is
    allocated: a plain tensor (strided, on the CPU, at most one entry per image), or a
    list or tuple of Python ints; anything else is refused."""
    if isinstance(predictions, torch.Tensor):
        if type(predictions) not in (torch.Tensor, torch.nn.Parameter) or \
                predictions.layout != torch.strided or predictions.device.type != "cpu":
            raise _not_scorable(f"a {predictions.layout} tensor on {predictions.device.type}"
                                if type(predictions) is torch.Tensor else
                                type(predictions).__name__)
        return predictions.detach()
    if isinstance(predictions, (list, tuple)) and all(
            type(p) is int and -2**62 < p < 2**62 for p in predictions):
        return torch.tensor(list(predictions), dtype=torch.long)
    raise _not_scorable(type(predictions).__name__)


def score(predictions, labels: torch.Tensor, num_classes: int = 10) -> float:
    """The fraction of ``predictions`` (one class number per image, in the order the
    images were sent) that equal ``labels``. Raises ``BadPredictions`` (with an English and a
    Vietnamese reason) when the predictions cannot be scored: not a dense tensor or a list
    of ints, the wrong count, not integers, out of range."""
    if isinstance(predictions, (list, tuple)) and len(predictions) != len(labels):
        raise BadPredictions({
            "en": f"{len(predictions)} predictions for {len(labels)} images: one class number "
                  "per image was expected",
            "vi": f"{len(predictions)} dự đoán cho {len(labels)} ảnh: cần đúng một số lớp cho "
                  "mỗi ảnh"})
    pred = _as_prediction_tensor(predictions)
    if pred.dim() != 1 or len(pred) != len(labels):
        raise BadPredictions({
            "en": f"{tuple(pred.shape)} predictions for {len(labels)} images: one class number "
                  "per image was expected",
            "vi": f"{tuple(pred.shape)} dự đoán cho {len(labels)} ảnh: cần đúng một số lớp cho "
                  "mỗi ảnh"})
    if pred.dtype not in CLASS_NUMBER_DTYPES:
        raise BadPredictions({"en": f"predictions of type {pred.dtype}: class numbers (integers) "
                                    "were expected",
                              "vi": f"dự đoán có kiểu {pred.dtype}: cần số lớp (số nguyên)"})
    if len(pred) and (int(pred.min()) < 0 or int(pred.max()) >= num_classes):
        raise BadPredictions({"en": f"class numbers must lie in 0..{num_classes - 1}",
                              "vi": f"số lớp phải nằm trong khoảng 0..{num_classes - 1}"})
    if len(labels) == 0:
        return float("nan")
    return float((pred.long() == labels.long()).float().mean())
