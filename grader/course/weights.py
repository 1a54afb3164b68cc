"""Pretrained weights: find them in a torch hub cache, or say exactly what is missing."""

from __future__ import annotations

import os
from pathlib import Path

from grader.core import paths
from grader.core.errors import NotFound, UnknownName

KNOWN = {"resnet18": "ResNet18_Weights", "mobilenet_v2": "MobileNet_V2_Weights"}


class WeightsMissing(NotFound):
    pass


def weights_enum(backbone: str, weights: str = "IMAGENET1K_V1"):
    import torchvision.models as tvm

    if backbone not in KNOWN:
        raise UnknownName(f"unknown backbone {backbone!r}; choose one of {', '.join(KNOWN)}")
    return getattr(getattr(tvm, KNOWN[backbone]), weights)


def file_name(backbone: str, weights: str = "IMAGENET1K_V1") -> str:
    return weights_enum(backbone, weights).url.rsplit("/", 1)[-1]


def hub_dirs() -> list[Path]:
    """torch hub folders to look in: the current one, the data root's, the mirror's."""
    import torch

    return [Path(torch.hub.get_dir()), paths.data_root() / "torch" / "hub",
            paths.shared_mirror() / "torch" / "hub"]


def ensure_available(backbone: str, weights: str = "IMAGENET1K_V1") -> Path:
    """Point torch hub at a cache that has the file, download it, or fail clearly."""
    import torch

    name = file_name(backbone, weights)
    for hub in hub_dirs():
        if (hub / "checkpoints" / name).is_file():
            torch.hub.set_dir(str(hub))
            return hub / "checkpoints" / name
    if os.environ.get("CNNKIT_OFFLINE") != "1":
        try:
            torch.hub.load_state_dict_from_url(weights_enum(backbone, weights).url,
                                               progress=False, check_hash=True)
            return Path(torch.hub.get_dir()) / "checkpoints" / name
        except Exception as exc:  # no network, proxy, checksum: all end here
            reason = f"{type(exc).__name__}: {exc}"
        else:  # pragma: no cover
            reason = ""
    else:
        reason = "offline (CNNKIT_OFFLINE=1)"
    raise WeightsMissing(
        f"ImageNet weights for {backbone} ({KNOWN[backbone]}.{weights}) are missing: the file "
        f"{name} is in none of\n  " + "\n  ".join(str(h / 'checkpoints') for h in hub_dirs()) +
        f"\nand downloading failed ({reason}).\nFetch it with:  cnnkit data fetch "
        f"{backbone}-weights   (or copy {name} into one of those folders).\n"
        "The kit never trains on random weights in silence; use backbone='mobilenet_v2' if "
        "only its weights are at hand.")
