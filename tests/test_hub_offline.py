"""The slides' torch.hub calls run offline, and a missing module is named with its fix."""

import urllib.error
from pathlib import Path

import pytest
import torch
import torchvision.models as tvm

from grader.lab import hub_offline
from grader.testkit import harness

# The lecture's listing of torch.hub.list('pytorch/vision:v0.13.0') filtered by "resnet".
LECTURE_RESNETS = ["deeplabv3_resnet101", "deeplabv3_resnet50", "fcn_resnet101",
                   "fcn_resnet50", "resnet101", "resnet152", "resnet18", "resnet34",
                   "resnet50", "wide_resnet101_2", "wide_resnet50_2"]


@pytest.fixture(autouse=True)
def hub_served(monkeypatch):
    """install() for this test; torch hub's own functions and folder are back afterwards."""
    monkeypatch.setattr(hub_offline, "_ORIGINAL", {})
    for name in ("list", "load", "help"):
        monkeypatch.setattr(torch.hub, name, getattr(torch.hub, name))
    monkeypatch.setattr(torch.hub, "_hub_dir", torch.hub._hub_dir)
    hub_offline.install()


def test_the_slides_hub_list_is_served_offline():
    entrypoints = torch.hub.list("pytorch/vision:v0.13.0", force_reload=True)
    assert [e for e in entrypoints if "resnet" in e] == LECTURE_RESNETS


def test_the_slides_hub_load_builds_torchvisions_network():
    model = torch.hub.load("pytorch/vision:v0.13.0", "resnet18", weights=None)
    assert isinstance(model, tvm.ResNet) and model.fc.out_features == 1000


def test_hub_load_reads_the_kits_cached_weights(data_mirror):
    from grader.lab.weights import ensure_available

    path = ensure_available("mobilenet_v2")
    model = torch.hub.load("pytorch/vision:v0.13.0", "mobilenet_v2", weights="IMAGENET1K_V1")
    state = torch.load(path, map_location="cpu", weights_only=True)
    assert torch.equal(model.features[0][0].weight, state["features.0.0.weight"])


def test_another_repository_offline_says_why_and_what_to_call(monkeypatch):
    def no_network(*args, **kwargs):
        raise urllib.error.URLError("no route")

    monkeypatch.setitem(hub_offline._ORIGINAL, "load", no_network)
    with pytest.raises(hub_offline.HubOffline, match="get_model"):
        torch.hub.load("someone/models", "net")


def test_a_missing_module_is_named_with_what_to_do():
    text = harness.describe_import_failure(Path("feature_maps.py"),
                                           ModuleNotFoundError("No module named 'cv2'",
                                                               name="cv2"))
    assert "`cv2`" in text and "pip install opencv-python-headless" in text
    assert "module level" not in text and "cấp module" not in text


def test_a_second_install_in_one_process_never_wraps_itself(monkeypatch):
    """An exercise imported earlier in the process installed the offline hub already; a
    later install (its record reset) must still find torch hub's own load, not ours."""
    monkeypatch.setattr(hub_offline, "_ORIGINAL", {})
    for name in ("list", "load", "help"):
        monkeypatch.setattr(torch.hub, name, getattr(torch.hub, name))
    hub_offline.install()
    monkeypatch.setattr(hub_offline, "_ORIGINAL", {})
    hub_offline.install()
    assert torch.hub.load is hub_offline.load
    assert hub_offline._ORIGINAL["load"] is not hub_offline.load
