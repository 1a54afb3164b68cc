"""Data plumbing: manifest, data root from the environment, mirror import, clear errors."""

import pytest

from grader.lab import data, download
from grader.core import paths


def test_data_root_comes_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(paths.DATA_ENV, str(tmp_path))
    assert paths.data_root() == tmp_path
    monkeypatch.delenv(paths.DATA_ENV)
    assert paths.data_root() == paths.KIT_ROOT / "datasets"


def test_manifest_lists_checksums_for_mnist():
    entry = data.load_manifest()["mnist"]
    assert len(entry.md5) == 4 and all(len(h) == 32 for h in entry.md5.values())


def test_mirror_has_mnist_with_published_checksums(data_mirror):
    assert data.load_manifest()["mnist"].is_complete(data_mirror, verify=True)


def test_fetch_from_mirror_into_an_empty_data_root(data_mirror, tmp_path, monkeypatch):
    monkeypatch.setenv(paths.DATA_ENV, str(tmp_path))
    download.fetch_named("mnist", mirror=data_mirror)
    assert data.load_manifest()["mnist"].is_complete(tmp_path, verify=True)
    assert data.locate("mnist") == tmp_path


def test_missing_data_names_the_fetch_command(tmp_path, monkeypatch):
    monkeypatch.setenv(paths.DATA_ENV, str(tmp_path))
    monkeypatch.setenv("CNNKIT_MIRROR", str(tmp_path / "nowhere"))
    monkeypatch.setenv(data.OFFLINE_ENV, "1")
    with pytest.raises(data.DataMissing, match="./kit data fetch mnist"):
        data.locate("mnist")


def test_unknown_name_is_refused():
    with pytest.raises(KeyError, match="known"):
        download.fetch_named("imagenet")
