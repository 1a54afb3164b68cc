"""Frozen-backbone features, computed once per class (transfer learning, variant 1).

With the backbone frozen, the features of an image depend only on the backbone's
weights, the preprocessing and the image. So the features of a data set are keyed by

- the SHA-256 of the backbone's ``state_dict`` without its head (names in order, dtype,
  shape and bytes of every tensor);
- the SHA-256 of what the preprocessing makes of fixed probe images (so another
  ``Normalize``, size or crop gives another key, and two ways of writing the same
  preprocessing give the same one);
- a description of the images (data set, split sizes, subset seed).

A grader extracts the features once with the reference (trusted code), stores them
here, and hands them to every student whose key matches: their run trains only the head,
in seconds. A student whose backbone or preprocessing differs pays for their own
extraction. Entries are written atomically and read with ``torch.load(weights_only=True)``.
The held-out evaluation does not depend on these features: the grader puts the student's
trained head on the frozen reference backbone and computes the held-out images' features
itself, with the weights' own preprocessing (``grader/lab/reference_eval.py``).
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import shutil
import tempfile
from pathlib import Path

from grader.core.i18n import msg
from grader.core.errors import BadInput

FILE = "features.pt"
META = "meta.json"
SPLITS = ("train", "valid", "test")
PROBE_SEED = 1802
PROBE_SIZES = ((32, 32), (40, 56), (97, 64))  # (height, width): odd sizes catch crop rules


def _hash_tensor(h, name: str, tensor) -> None:
    import torch

    t = tensor.detach().cpu().contiguous()
    h.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
    h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())


def weights_hash(module) -> str:
    """SHA-256 over the module's ``state_dict``: sorted names, dtype, shape, bytes."""
    h = hashlib.sha256()
    state = module.state_dict()
    for name in sorted(state):
        _hash_tensor(h, name, state[name])
    return h.hexdigest()


def probe_images():
    """Fixed RGB images (PIL), the same on every machine: what a data set hands to its
    transform."""
    import torch
    from torchvision.transforms.functional import to_pil_image

    g = torch.Generator().manual_seed(PROBE_SEED)
    return [to_pil_image(torch.randint(0, 256, (3, h, w), generator=g, dtype=torch.uint8))
            for h, w in PROBE_SIZES]


def preprocessing_hash(transform, probes=None) -> str:
    """SHA-256 of ``transform``'s output (dtype, shape, bytes) on the probe images."""
    h = hashlib.sha256()
    for i, image in enumerate(probes if probes is not None else probe_images()):
        _hash_tensor(h, f"probe{i}", transform(image))
    return h.hexdigest()


def cache_key(backbone, transform, images: str) -> str:
    """The key of the features of ``images`` (a description such as
    ``"cifar10-jpg train=5000 valid=1000 test=2000 seed=123"``) through ``backbone``
    (head removed) after ``transform``."""
    parts = f"w={weights_hash(backbone)}|p={preprocessing_hash(transform)}|i={images}"
    return hashlib.sha256(parts.encode()).hexdigest()


def _check(features: dict) -> dict:
    import torch

    out = {}
    for split in SPLITS:
        if split not in features:
            raise BadInput(f"features lack the {split!r} split (need {', '.join(SPLITS)})")
        x, y = features[split]
        if not (isinstance(x, torch.Tensor) and isinstance(y, torch.Tensor)) or x.dim() != 2 \
                or y.dim() != 1 or len(x) != len(y) or not x.dtype.is_floating_point:
            raise BadInput(f"features[{split!r}] must be (N x D float tensor, N labels)")
        out[split] = (x, y.long())
    return out


def save(folder: Path, features: dict, meta: dict | None = None) -> Path:
    """Write ``{"train": (x, y), "valid": (x, y), "test": (x, y)}`` into ``folder``."""
    import torch

    features = _check(features)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    payload = {"format": 1, "splits": {s: {"x": x, "y": y} for s, (x, y) in features.items()}}
    tmp = folder / f".{FILE}.{os.getpid()}.tmp"
    torch.save(payload, tmp)
    os.replace(tmp, folder / FILE)
    if meta is not None:
        tmp = folder / f".{META}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(meta, indent=2, default=str), encoding="utf-8")
        os.replace(tmp, folder / META)
    return folder


def load(source) -> dict:
    """Features from a folder written by ``save`` (or its ``features.pt``), or a dict
    already in memory, checked: ``{"train": (x, y), "valid": (x, y), "test": (x, y)}``."""
    import torch

    if isinstance(source, dict):
        return _check(source)
    path = Path(source)
    if path.is_dir():
        path = path / FILE
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
        splits = payload["splits"]
        return _check({s: (splits[s]["x"], splits[s]["y"]) for s in SPLITS})
    except (OSError, KeyError, TypeError, RuntimeError, EOFError,
            pickle.UnpicklingError) as exc:
        raise BadInput(msg(f"cannot read features from {path}: {exc}",
                           f"không đọc được đặc trưng từ {path}: {exc}")) from None


class FeatureCache:
    """A folder of feature sets, one sub-folder per key, shared by a class."""

    def __init__(self, root):
        self.root = Path(root)

    def path(self, key: str) -> Path:
        if len(key) != 64 or not all(c in "0123456789abcdef" for c in key):
            raise BadInput(f"not a feature key: {key!r}")
        return self.root / key[:2] / key

    def lookup(self, key: str) -> Path | None:
        """The folder of ``key``'s features, or ``None`` when they are not cached."""
        folder = self.path(key)
        return folder if (folder / FILE).is_file() else None

    def load(self, key: str) -> dict | None:
        folder = self.lookup(key)
        return load(folder) if folder else None

    def store(self, key: str, features, meta: dict | None = None) -> Path:
        """Cache ``features`` (a dict, or a folder written by ``save``) under ``key``,
        atomically: a reader sees all of an entry or none. When another process stored
        the same key first, its entry is kept."""
        final = self.path(key)
        if self.lookup(key):
            return final
        features = load(features)
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{key[:8]}-", dir=final.parent))
        try:
            save(tmp, features, {"key": key, **(meta or {})})
            try:
                os.rename(tmp, final)
            except OSError:  # stored meanwhile by someone else
                if not self.lookup(key):
                    raise
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
        return final
