"""The class-shared feature cache of transfer variant 1: keyed by the backbone's weights,
the preprocessing's output and the images; a hit skips the extraction."""

import time

import pytest
import torch
from torchvision import transforms

from grader.core import paths
from grader.core.errors import BadInput
from grader.lab import feature_cache
from grader.testkit import targets
from support.data_needs import skip_unless_available


def _small_backbone(seed=0):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.AdaptiveAvgPool2d(1),
                               torch.nn.Flatten())


def _prep(mean=(0.485, 0.456, 0.406), size=24):
    return transforms.Compose([transforms.Resize(size), transforms.CenterCrop(size),
                               transforms.ToTensor(), transforms.Normalize(mean, (0.2,) * 3)])


def test_equal_weights_and_preprocessing_give_the_same_key():
    a = feature_cache.cache_key(_small_backbone(0), _prep(), "cifar10 n=10 seed=1")
    b = feature_cache.cache_key(_small_backbone(0), _prep(), "cifar10 n=10 seed=1")
    assert a == b and len(a) == 64


def test_another_preprocessing_weights_or_image_set_gives_another_key():
    base = feature_cache.cache_key(_small_backbone(0), _prep(), "images")
    assert feature_cache.cache_key(_small_backbone(0), _prep(mean=(0.5,) * 3), "images") != base
    assert feature_cache.cache_key(_small_backbone(0), _prep(size=32), "images") != base
    assert feature_cache.cache_key(_small_backbone(1), _prep(), "images") != base
    assert feature_cache.cache_key(_small_backbone(0), _prep(), "other images") != base


def test_the_same_preprocessing_written_differently_keeps_the_key():
    same = transforms.Compose([transforms.Resize((24, 24)), transforms.ToTensor(),
                               transforms.Normalize([0.485, 0.456, 0.406], [0.2, 0.2, 0.2])])
    probes = [img.resize((40, 40)) for img in feature_cache.probe_images()]  # square images
    assert (feature_cache.preprocessing_hash(same, probes)
            == feature_cache.preprocessing_hash(_prep(), probes))


def _features(n=(6, 3, 4), dim=5):
    return {split: (torch.randn(k, dim), torch.randint(0, 10, (k,)))
            for split, k in zip(feature_cache.SPLITS, n)}


def test_store_and_lookup_round_trip(tmp_path):
    cache = feature_cache.FeatureCache(tmp_path / "cache")
    key = feature_cache.cache_key(_small_backbone(), _prep(), "x")
    assert cache.lookup(key) is None and cache.load(key) is None
    features = _features()
    folder = cache.store(key, features, {"backbone": "tiny"})
    assert cache.lookup(key) == folder
    loaded = cache.load(key)
    for split in feature_cache.SPLITS:
        assert all(torch.equal(a, b) for a, b in zip(loaded[split], features[split]))
    # a second store of the same key keeps the first entry
    cache.store(key, _features())
    assert torch.equal(cache.load(key)["train"][0], features["train"][0])
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".")]  # no leftovers


def test_bad_keys_and_files_are_refused(tmp_path):
    cache = feature_cache.FeatureCache(tmp_path)
    with pytest.raises(BadInput, match="not a feature key"):
        cache.lookup("../../etc")
    with pytest.raises(BadInput, match="lack the 'test' split"):
        feature_cache.save(tmp_path / "f", {"train": (torch.zeros(2, 3), torch.zeros(2)),
                                            "valid": (torch.zeros(2, 3), torch.zeros(2))})
    evil = tmp_path / "evil"
    evil.mkdir()

    class Boom:
        def __reduce__(self):
            return (print, ("unpickled!",))

    torch.save({"splits": Boom()}, evil / feature_cache.FILE)
    with pytest.raises(BadInput, match="cannot read features"):
        feature_cache.load(evil)  # weights_only: an arbitrary object is never unpickled


def test_a_cache_hit_skips_the_extraction(tmp_path):
    """The reference trains variant 1 on handed-in features: the same result, far faster."""
    skip_unless_available("cifar10-jpg", "mobilenet_v2-weights")
    train = targets.import_exercise(paths.solutions_dir() / "03_transfer", "train")
    small = dict(n_train=256, n_val=64, n_test=64, max_epochs=2, image_size=64)
    first = train.train_transfer(variant=1, profile="quick", backbone="mobilenet_v2",
                                 out_dir=tmp_path / "a", save_features=tmp_path / "f", **small)
    key = train.feature_key(backbone="mobilenet_v2", profile="quick", **small)
    assert first["feature_key"] == key
    cache = feature_cache.FeatureCache(tmp_path / "cache")
    cache.store(key, tmp_path / "f", {"backbone": "mobilenet_v2"})
    t0 = time.perf_counter()
    second = train.train_transfer(variant=1, profile="quick", backbone="mobilenet_v2",
                                  out_dir=tmp_path / "b", features=cache.lookup(key), **small)
    seconds = time.perf_counter() - t0
    assert second["features_given"] and second["test_acc"] == first["test_acc"]
    assert second["val_acc"] == first["val_acc"]
    assert second["extract_seconds"] < first["extract_seconds"] / 5, (first, second)
    print(f"\nextraction {first['extract_seconds']} s -> {second['extract_seconds']} s; "
          f"run {first['seconds']} s -> {seconds:.1f} s")
    with pytest.raises(ValueError, match="this run uses"):
        train.train_transfer(variant=1, profile="quick", backbone="mobilenet_v2",
                             out_dir=tmp_path / "c", features=cache.lookup(key),
                             **{**small, "n_train": 128})
