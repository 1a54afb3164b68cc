"""Held-out evaluation: secretly shifted test images that never enter a box, and the
trusted side's reference network that classifies them with a run's weights."""

from pathlib import Path

import pytest
import torch

from grader.core.errors import BadInput
from grader.lab import reference_eval
from grader.lab import heldout_images as heldout
from support.data_needs import skip_unless_available

SECRET = bytes(range(32))


def test_shift_moves_pixels_and_fills_the_border():
    x = torch.arange(1, 10, dtype=torch.uint8).view(1, 3, 3)
    right = heldout.shift(x, torch.tensor([[1, 0]]))
    assert right.tolist() == [[[0, 1, 2], [0, 4, 5], [0, 7, 8]]]
    up_left = heldout.shift(x, torch.tensor([[-1, -1]]), fill="edge")
    assert up_left.tolist() == [[[5, 6, 6], [8, 9, 9], [8, 9, 9]]]
    rgb = torch.stack([x[0], x[0] * 2, x[0] * 3]).unsqueeze(0)  # 1 x 3 x 3 x 3
    down = heldout.shift(rgb, torch.tensor([[0, 1]]))
    assert down[0, 2].tolist() == [[0, 0, 0], [3, 6, 9], [12, 15, 18]]
    assert down.dtype == torch.uint8


def test_shifts_are_never_zero_and_follow_the_secret():
    g = heldout._generator(SECRET, "x")
    shifts = heldout.random_shifts(5000, g, max_shift=1)
    assert shifts.abs().max() == 1 and (shifts.abs().sum(1) > 0).all()
    assert len({tuple(s) for s in shifts.tolist()}) == 8
    again = heldout.random_shifts(5000, heldout._generator(SECRET, "x"), max_shift=1)
    other = heldout.random_shifts(5000, heldout._generator(bytes(32), "x"), max_shift=1)
    assert torch.equal(shifts, again) and not torch.equal(shifts, other)
    with pytest.raises(BadInput, match="16 random bytes"):
        heldout._generator(b"short", "x")


def test_score_counts_matches_and_refuses_what_it_cannot_score():
    labels = torch.tensor([1, 2, 3, 4])
    assert heldout.score(torch.tensor([1, 2, 0, 4]), labels) == 0.75
    assert heldout.score([1, 2, 3, 4], labels) == 1.0
    for bad, words in (([1, 2, 3], "for 4 images"), (torch.rand(4), "class numbers"),
                       ([1, 2, 3, 10], "0..9"), ("abcd", "not a list")):
        with pytest.raises(heldout.BadPredictions, match=words) as info:
            heldout.score(bad, labels)
        assert info.value.why["vi"]


@pytest.fixture(scope="module")
def mnist_sets():
    skip_unless_available("mnist")
    public, labels = heldout._mnist_test(None)
    return public, labels, heldout.mnist(SECRET)


def test_a_lookup_table_of_the_public_test_set_scores_near_chance(mnist_sets):
    public, labels, held = mnist_sets
    assert len(held) == 10000 and held.images.dtype == torch.uint8
    assert held.images.shape == (10000, 28, 28)
    assert torch.equal(held.labels, labels[held.indices])  # the labels are the public ones
    assert "labels" not in repr(held) and "tensor" not in repr(held)
    table = {img.numpy().tobytes(): int(y) for img, y in zip(public, labels)}
    # a student who looks each image up, and guesses 0 when it is not found
    looked_up = [table.get(img.numpy().tobytes(), 0) for img in held.images]
    hits = sum(img.numpy().tobytes() in table for img in held.images)
    assert hits == 0
    assert heldout.score(looked_up, held.labels) < 0.15  # the share of zeros: chance
    # the position says nothing either: the public labels in order score chance
    assert heldout.score(labels, held.labels) < 0.15
    # and every image is its public original, moved by one pixel
    for i in range(0, 10000, 997):
        original = public[held.indices[i]]
        assert torch.equal(heldout.shift(original[None], held.shifts[i:i + 1])[0],
                           held.images[i])


def test_another_secret_gives_another_set_and_the_same_secret_the_same(mnist_sets):
    _, _, held = mnist_sets
    again = heldout.mnist(SECRET, n=100)
    assert torch.equal(again.indices, held.indices[:100])
    other = heldout.mnist(heldout.new_secret(), n=100)
    assert not torch.equal(other.indices, again.indices)


def test_the_reference_network_takes_mnist_pixels_as_the_lecture_test_set_gives_them(
        mnist_sets):
    """``mnist_inputs`` is what the lecture's datamodule (``ToTensor()``) makes of an image."""
    from torchvision import datasets, transforms

    from grader.lab.data import locate

    public, _, _ = mnist_sets
    test = datasets.MNIST(str(locate("mnist")), train=False, transform=transforms.ToTensor())
    inputs = reference_eval.mnist_inputs(public[:5])
    for i in range(5):
        assert torch.equal(inputs[i], test[i][0])


def test_cifar10_images_are_the_decoded_jpegs_an_image_folder_gives(tmp_path):
    skip_unless_available("cifar10-jpg")
    import numpy as np
    from torchvision import datasets

    held = heldout.cifar10(SECRET, n=50)
    assert held.images.shape == (50, 3, 32, 32) and held.images.dtype == torch.uint8
    samples = heldout._cifar10_files(None)
    assert held.labels.tolist() == [samples[i][1] for i in held.indices.tolist()]
    public = torch.stack([heldout._read_rgb(samples[i][0]) for i in held.indices.tolist()])
    assert not any(torch.equal(a, b) for a, b in zip(public, held.images))
    folder = datasets.ImageFolder(str(Path(samples[0][0]).parents[1]))  # test/<class>/*.jpg
    for i in range(3):  # the pixels an ImageFolder hands its transform
        image = np.array(folder[held.indices[i].item()][0])
        assert torch.equal(public[i].permute(1, 2, 0), torch.from_numpy(image))


def test_predict_runs_the_model_in_eval_mode():
    class Count(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.bn = torch.nn.BatchNorm1d(784)
            self.fc = torch.nn.Linear(784, 10)

        def forward(self, x):
            assert not self.training, "predict must use evaluation mode"
            return self.fc(self.bn(x.flatten(1)))

    model = Count().train()
    inputs = torch.rand(12, 784)
    pred = reference_eval.predict(model, inputs, batch_size=5)
    assert pred.dtype == torch.long and pred.shape == (12,)
    with pytest.raises(ValueError, match="uint8"):
        reference_eval.mnist_inputs(torch.rand(3, 28, 28))


def test_the_shipped_layer_list_builds_the_reference_network(monkeypatch, tmp_path):
    """Where the kit has no solutions (a student bundle), the lecture's CNN is built from
    expected_cnn.pt: the same network, so the same weights give the same outputs."""
    from grader.core import paths

    with torch.random.fork_rng():
        torch.manual_seed(0)
        reference = reference_eval.mnist_network()
    monkeypatch.setattr(paths, "solutions_dir", lambda: tmp_path / "no-solutions")
    built = reference_eval.mnist_network()
    assert not isinstance(built, type(reference))  # really built from the list
    with torch.no_grad():
        for t in reference.state_dict().values():
            if t.is_floating_point():
                t.uniform_(0.1, 0.9)  # positive: running variances too
    reference_eval.load_by_order(built, reference.state_dict())
    reference.eval()
    x = torch.rand(6, 1, 28, 28)
    assert torch.allclose(built(x), reference(x), atol=1e-6)
