"""Missing data on the machine: one clear line, fetching, 'not graded' in every report."""

import shutil

import pytest
from torchvision.datasets import ImageFolder

from grader.core import manifest, paths
from grader.lab import data, download, weights
from grader.dev import check
from grader.grading import readiness, report
from grader.grading import score


@pytest.fixture
def bare_machine(tmp_path, monkeypatch):
    """An empty data root, no mirror, offline."""
    monkeypatch.setenv(paths.DATA_ENV, str(tmp_path / "data"))
    monkeypatch.setenv("CNNKIT_MIRROR", str(tmp_path / "no-mirror"))
    monkeypatch.setenv(data.OFFLINE_ENV, "1")
    return tmp_path


@pytest.mark.parametrize("lang, words", [("en", "not on this machine"), ("vi", "máy này chưa có")])
def test_missing_data_is_one_line_naming_the_set_and_the_command(bare_machine, lang, words):
    with pytest.raises(data.DataMissing) as info:
        data.locate("mnist")
    line = info.value.line(lang)
    assert "\n" not in line and words in line and "MNIST (mnist)" in line
    assert line.endswith("./kit data fetch mnist") and "CNNKIT_OFFLINE=1" in line
    assert str(bare_machine / "data") in str(info.value), "the details say where the kit looked"


def test_missing_weights_are_data_missing_with_the_fetch_command(bare_machine, monkeypatch):
    import torch

    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(bare_machine / "hub"))
    with pytest.raises(data.DataMissing) as info:
        weights.ensure_available("mobilenet_v2")
    assert isinstance(info.value, weights.WeightsMissing)
    assert info.value.line("en").endswith("./kit data fetch mobilenet_v2-weights")
    assert "mobilenet_v2-b0353104.pth" in str(info.value)


def test_fetch_copies_weights_from_a_mirror_and_then_they_are_found(data_mirror, bare_machine,
                                                                    monkeypatch):
    import torch

    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(bare_machine / "hub"))
    download.fetch_named("mobilenet_v2-weights", mirror=data_mirror)
    copied = bare_machine / "data" / "torch/hub/checkpoints/mobilenet_v2-b0353104.pth"
    assert copied.read_bytes() == (data_mirror / "torch/hub/checkpoints" / copied.name).read_bytes()
    assert weights.ensure_available("mobilenet_v2") == copied


def test_cifar_images_are_written_as_image_folders_torchvision_reads(tmp_path):
    from PIL import Image

    samples = [(Image.new("RGB", (32, 32), (i * 20, 0, 0)), i % 3) for i in range(7)]
    download.save_images(samples, ["cat", "dog", "fish"], tmp_path / "train")
    folder = ImageFolder(str(tmp_path / "train"))
    assert folder.classes == ["cat", "dog", "fish"] and len(folder) == 7
    assert sorted(p.name for p in (tmp_path / "train" / "cat").iterdir()) == [
        "0000.png", "0001.png", "0002.png"]
    assert folder[0][0].getpixel((0, 0)) == (0, 0, 0), "lossless: pixels come back exactly"


def test_exercises_declare_the_data_their_tests_need():
    needs = {(t.name, e.name): e.data for t in manifest.load_all() for e in t.exercises}
    assert needs[("02_training", "datamodule")] == ("mnist",)
    assert "mobilenet_v2-weights" in needs[("03_transfer", "train")]
    assert needs[("01_cnn", "params")] == ()


def test_dev_check_refuses_an_unknown_data_name(tmp_path):
    topic = tmp_path / "01_cnn"
    shutil.copytree(paths.solutions_dir() / "01_cnn", topic)
    toml = topic / manifest.MANIFEST_NAME
    toml.write_text(toml.read_text().replace('points = 40', 'points = 40\ndata = ["imagenet"]', 1))
    problems = check.check_manifest(topic, paths.hidden_tests_dir() / "01_cnn")
    assert any("'imagenet'" in p and "datasets/manifest.toml" in p for p in problems), problems


def test_grading_stops_before_anyone_when_data_is_missing(bare_machine):
    ready = readiness.plan([manifest.load_topic("02_training")])
    assert set(ready.missing) == {"mnist"}
    assert set(ready.not_graded) == {"02_training/datamodule", "02_training/lightning_model",
                                     "02_training/train", "02_training/overfitting"}
    message = str(readiness.DataNotReady(ready, "en"))
    assert "nobody was graded" in message and "./kit data fetch mnist" in message
    assert "--skip-missing-data" in message
    assert "chưa chấm bài nào" in str(readiness.DataNotReady(ready, "vi"))


def test_not_graded_is_neither_zero_nor_counted():
    topic = manifest.load_topic("02_training")
    scores = [score.TestScore("02_training", "cnn", "test_a", "passed", 20.0, 20.0, "", False)]
    not_graded = {"02_training/datamodule": ["mnist"]}
    result = report.results_json("an", scores, [], 1.0, "fp", not_graded=not_graded)
    assert (result["score"], result["max_score"]) == (20.0, 20.0)
    assert result["cnnkit"]["not_graded"] == not_graded
    row = report.gradebook_csv({"an": result}, [topic]).splitlines()[1].split(",")
    header = report.gradebook_csv({"an": result}, [topic]).splitlines()[0].split(",")
    assert row[header.index("02_training/datamodule")] == "not graded"
    assert row[header.index("02_training/cnn")] == "20.0"
    for lang, words in (("en", "this is not a zero"), ("vi", "không phải điểm 0")):
        feedback = report.feedback_markdown("an", result, lang)
        assert words in feedback and "02_training/datamodule (mnist)" in feedback
