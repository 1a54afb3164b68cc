"""The slides' ``torch.hub.list('pytorch/vision:v0.13.0')`` and ``torch.hub.load(...,
'resnet18', weights='IMAGENET1K_V1')``, served without a network.

A graded run has no network, and a student's machine may have none: torch hub would
download the ``pytorch/vision`` repository from GitHub and fail with a bare URLError.
``install()`` wraps ``torch.hub.list`` / ``load`` / ``help`` so that ``pytorch/vision`` at
any tag is served from the installed torchvision (``vision_hub/hubconf.py``), its weights
from the kit's torch hub caches (``grader.lab.weights``). Any other repository goes to
torch hub as before; if that fails for want of a network, the error says why and what to
call instead.
"""

from __future__ import annotations

import importlib.util
import re
import urllib.error
from pathlib import Path

from grader.core.i18n import msg

HUBCONF_DIR = Path(__file__).with_name("vision_hub")
_VISION = re.compile(r"^pytorch/vision(:[\w.\-/]+)?$")
_ORIGINAL: dict = {}


class HubOffline(RuntimeError):
    """torch hub needed the network for a repository the kit does not serve."""


def serves(repo, source: str = "github") -> bool:
    """Whether the kit serves this repository: ``pytorch/vision`` at any tag, from GitHub."""
    return source == "github" and isinstance(repo, str) and bool(_VISION.match(repo.strip()))


def install() -> None:
    """Wrap torch hub's list/load/help (once per process)."""
    import torch.hub as hub

    if _ORIGINAL:
        return
    found = {"list": hub.list, "load": hub.load, "help": hub.help}
    # torch hub's own functions, also when an earlier install (of another copy of this
    # module, or before a test reset ``_ORIGINAL``) already wrapped them
    _ORIGINAL.update({name: getattr(f, "_cnnkit_original", f) for name, f in found.items()})
    for name, ours in (("list", list_entrypoints), ("load", load), ("help", help_of)):
        ours._cnnkit_original = _ORIGINAL[name]
    hub.list, hub.load, hub.help = list_entrypoints, load, help_of


def _hubconf():
    spec = importlib.util.spec_from_file_location("cnnkit_vision_hubconf",
                                                  HUBCONF_DIR / "hubconf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def list_entrypoints(github, *args, **kwargs):
    if not serves(github):
        return _explained(_ORIGINAL["list"], github, *args, **kwargs)
    module = _hubconf()
    return [f for f in dir(module) if callable(getattr(module, f)) and not f.startswith("_")]


def help_of(github, model, *args, **kwargs):
    if not serves(github):
        return _explained(_ORIGINAL["help"], github, model, *args, **kwargs)
    return getattr(_hubconf(), model).__doc__


def load(repo_or_dir, model, *args, source="github", trust_repo=None, force_reload=False,
         verbose=True, skip_validation=False, **kwargs):
    if not serves(repo_or_dir, source):
        return _explained(_ORIGINAL["load"], repo_or_dir, model, *args, source=source,
                          trust_repo=trust_repo, force_reload=force_reload, verbose=verbose,
                          skip_validation=skip_validation, **kwargs)
    weights_at_hand(model, kwargs.get("weights"))
    return _ORIGINAL["load"](str(HUBCONF_DIR), model, *args, source="local", **kwargs)


def weights_at_hand(model: str, weights) -> None:
    """Point torch hub at a cache that holds ``model``'s ``weights`` file; for a backbone the
    kit knows, fetch it or stop with what is missing (``weights.ensure_available``)."""
    if weights is None or not isinstance(weights, str):
        return  # no weights, or an enum: torchvision reads it from the current cache
    import torch
    import torchvision.models as tvm

    from grader.lab import weights as kit_weights  # lazy: keeps torch out of start-up

    try:
        enum = tvm.get_model_weights(model)[weights]
    except (KeyError, ValueError):
        return  # torchvision itself says which names exist
    name = enum.url.rsplit("/", 1)[-1]
    for hub in kit_weights.hub_dirs():
        if (hub / "checkpoints" / name).is_file():
            torch.hub.set_dir(str(hub))
            return
    if model in kit_weights.KNOWN:
        kit_weights.ensure_available(model, enum.name)


def _explained(call, repo, *args, **kwargs):
    try:
        return call(repo, *args, **kwargs)
    except urllib.error.URLError as exc:
        raise HubOffline(msg(
            f"torch.hub could not download {repo!r} (no network: {exc.reason}); offline the "
            "kit serves only 'pytorch/vision' (any tag), or call torchvision.models.get_model"
            "(name, weights=...) directly",
            f"torch.hub không tải được {repo!r} (không có mạng: {exc.reason}); khi không có "
            "mạng, kit chỉ phục vụ 'pytorch/vision' (mọi tag), hoặc hãy gọi trực tiếp "
            "torchvision.models.get_model(name, weights=...)")) from exc
