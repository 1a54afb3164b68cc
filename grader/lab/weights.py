"""Pretrained weights: find them in a torch hub cache, fetch them, or say exactly what is missing."""

from __future__ import annotations

from pathlib import Path

from grader.core import paths
from grader.lab import data
from grader.lab.catalog import BACKBONES as KNOWN
from grader.lab.catalog import weights_enum  # noqa: F401  (re-exported: weights.weights_enum)


class WeightsMissing(data.DataMissing):
    pass


def file_name(backbone: str, weights: str = "IMAGENET1K_V1") -> str:
    return weights_enum(backbone, weights).url.rsplit("/", 1)[-1]


def manifest_name(backbone: str) -> str:
    """The data manifest's entry for a backbone's ImageNet weights."""
    return f"{backbone}-weights"


def hub_dirs() -> list[Path]:
    """torch hub folders to look in: the current one, the data root's, the mirror's."""
    import torch

    return [Path(torch.hub.get_dir()), paths.data_root() / "torch" / "hub",
            paths.shared_mirror() / "torch" / "hub"]


def ensure_available(backbone: str, weights: str = "IMAGENET1K_V1") -> Path:
    """Point torch hub at a cache that has the file, fetch it into the data root, or fail
    clearly; never let torchvision fall back to random weights in silence."""
    import torch

    name = file_name(backbone, weights)
    for hub in hub_dirs():
        if (hub / "checkpoints" / name).is_file():
            torch.hub.set_dir(str(hub))
            return hub / "checkpoints" / name
    entry = manifest_name(backbone)
    try:
        if data.entry(entry).file != name:  # weights the manifest does not list
            raise data.DataMissing(entry, {"en": f"the kit fetches only {data.entry(entry).file}",
                                           "vi": f"kit chỉ tải {data.entry(entry).file}"})
        root = data.locate(entry)  # fetches into the data root unless offline
    except data.DataMissing as exc:
        raise WeightsMissing(entry, exc.why, (
            f"ImageNet weights for {backbone} ({KNOWN[backbone]}.{weights}): the file {name} "
            f"is in none of\n  " + "\n  ".join(str(h / 'checkpoints') for h in hub_dirs()) +
            f"\n(or copy {name} into one of those folders). The kit never trains on random "
            "weights in silence; use backbone='mobilenet_v2' if only its weights are at "
            "hand.")) from None
    torch.hub.set_dir(str(root / "torch" / "hub"))
    return root / "torch" / "hub" / "checkpoints" / name
