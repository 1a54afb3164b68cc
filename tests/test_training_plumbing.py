"""The quick profile's plumbing: data held in memory as the same tensors, and a progress
line for runs whose output no one watches on a terminal."""

import io
from types import SimpleNamespace

import pytest
import torch
from torch.utils.data import Subset, TensorDataset
from torchvision import datasets, transforms

from grader.core import paths
from grader.lab import training
from grader.testkit import targets
from support.data_needs import skip_unless_available


@pytest.fixture(scope="module")
def mnist_root():
    skip_unless_available("mnist")
    from grader.lab.data import locate

    return str(locate("mnist"))


@pytest.mark.parametrize("transform", [
    transforms.ToTensor(),
    transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))]),
])
def test_the_fast_path_gives_the_images_pil_gives(mnist_root, transform):
    test = datasets.MNIST(mnist_root, train=False, transform=transform)
    subset = Subset(Subset(test, list(range(100, 400))), [0, 5, 7, 299])
    fast = training.as_tensors(subset)
    assert training._tensor_fast_path(subset) is not None
    slow = [subset[i] for i in range(len(subset))]
    assert torch.equal(fast.tensors[0], torch.stack([x for x, _ in slow]))
    assert fast.tensors[1].tolist() == [y for _, y in slow]


def test_other_transforms_go_through_the_data_set_itself(mnist_root):
    flip = transforms.Compose([transforms.RandomHorizontalFlip(1.0), transforms.ToTensor()])
    test = datasets.MNIST(mnist_root, train=False, transform=flip)
    sub = Subset(test, [1, 2, 3])
    assert training._tensor_fast_path(sub) is None
    held = training.as_tensors(sub)
    assert torch.equal(held.tensors[0][0], test[1][0])


def test_in_memory_keeps_the_students_loaders_and_decodes_once(mnist_root):
    topic = paths.solutions_dir() / "02_training"
    MnistDataModule = targets.import_exercise(topic, "datamodule").MnistDataModule
    calls = []

    class Counting(MnistDataModule):
        def setup(self, stage=None):
            calls.append(stage)
            super().setup(stage)

    dm = training.in_memory(Counting(data_path=mnist_root, batch_size=32))
    dm.setup("fit")
    inner = dm.inner
    assert all(isinstance(getattr(inner, n), TensorDataset) for n in ("train", "valid", "test"))
    assert (len(inner.train), len(inner.valid), len(inner.test)) == (55000, 5000, 10000)
    first = inner.train
    loader = dm.train_dataloader()
    assert loader.batch_size == 32 and loader.drop_last and dm.batch_size == 32
    assert not dm.val_dataloader().drop_last
    dm.setup("test")
    assert calls == ["fit", "test"] and inner.train is first  # not decoded again
    original = training.original_dataset(dm, "test")
    assert isinstance(original, datasets.MNIST) and original.transform is not None
    x, y = original[0]
    assert torch.equal(x, inner.test.tensors[0][0]) and y == inner.test.tensors[1][0]


def _fake_trainer(batch_idx_total=100):
    return SimpleNamespace(current_epoch=0, max_epochs=2, num_training_batches=batch_idx_total,
                           callback_metrics={"train_loss": torch.tensor(0.25),
                                             "val_acc": torch.tensor(0.9)},
                           sanity_checking=False)


@pytest.mark.parametrize("lang, words", [("en", "epoch 1/2, batch 8/100"),
                                         ("vi", "giây")])
def test_the_progress_line_speaks_where_no_bar_is_shown(monkeypatch, lang, words):
    monkeypatch.setenv("CNNKIT_LANG", lang)
    monkeypatch.setattr(training, "show_progress", lambda: False)
    out = io.StringIO()
    line = training.progress_line(every_s=0.0, stream=out)
    trainer = _fake_trainer()
    line.on_train_start(trainer, None)
    line.on_train_batch_end(trainer, None, None, None, 7)
    line.on_validation_epoch_end(trainer, None)
    text = out.getvalue()
    assert words in text and "train_loss 0.2500" in text and "0.9000" in text
    assert len(text.splitlines()) == 2


def test_the_progress_line_is_quiet_beside_a_bar_and_between_its_intervals(monkeypatch):
    monkeypatch.setattr(training, "show_progress", lambda: True)
    out = io.StringIO()
    line = training.progress_line(every_s=0.0, stream=out)
    line.on_train_start(_fake_trainer(), None)
    line.on_train_batch_end(_fake_trainer(), None, None, None, 1)
    assert out.getvalue() == ""
    monkeypatch.setattr(training, "show_progress", lambda: False)
    slow = training.progress_line(every_s=3600, stream=out)
    slow.on_train_start(_fake_trainer(), None)
    for i in range(50):
        slow.on_train_batch_end(_fake_trainer(), None, None, None, i)
    assert out.getvalue() == ""
    assert training.log_interval() == 50
