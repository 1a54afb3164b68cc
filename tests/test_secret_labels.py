"""A graded MNIST run's classes are renamed by a permutation drawn for it alone: what the
box reads, what the trusted side scores against, and that the permutation stays out of
sight (see grader/grading/secret_labels.py)."""

from __future__ import annotations

import torch
from torchvision.datasets.mnist import read_label_file

from grader.grading.training import secret_labels
from grader.grading.training import graded_run
from support.data_needs import skip_unless_available
from support.graded_runs import graded_with


def test_each_draw_is_a_permutation_in_which_no_class_keeps_its_number():
    draws = [secret_labels.derangement() for _ in range(300)]
    for order in draws:
        assert sorted(order.tolist()) == list(range(10))
        assert not (order == torch.arange(10)).any()
    assert len({tuple(o.tolist()) for o in draws}) > 250  # fresh each time, not a fixed one


def test_a_relabelled_idx_file_reads_back_as_the_permuted_labels(tmp_path):
    skip_unless_available("mnist")
    labels = secret_labels.for_mnist([])
    try:
        assert labels.binds, "no MNIST label file found to relabel"
        for copy, original in labels.binds:
            if original.endswith(".gz"):
                continue
            assert torch.equal(read_label_file(copy),
                               labels.relabel(read_label_file(original)))
        assert "tensor" not in repr(labels) and str(labels.permutation.tolist()) not in \
            repr(labels)
    finally:
        folder = labels.folder
        labels.close()
    assert not folder.exists()  # the relabelled files do not outlive the run


def test_the_relabelled_test_rest_replaces_the_views_own_bind():
    """The test set's view binds its public rest over the test labels; this run's
    relabelled copy of that rest takes its place, on the same target."""
    skip_unless_available("mnist")
    plan = graded_run.plan("quick")
    view = plan.view("mnist")
    labels = secret_labels.for_mnist(view.binds)
    try:
        cover = labels.cover(view.binds)
        targets = [t for _, t in cover]
        assert len(targets) == len(set(targets))  # one bind per target
        rest = dict((t, s) for s, t in view.binds)
        for source, target in cover:
            if target.endswith("t10k-labels-idx1-ubyte"):
                assert torch.equal(read_label_file(source),
                                   labels.relabel(read_label_file(rest[target])))
    finally:
        labels.close()


READS_LABELS = '''
"""Trains nothing: reports the first training and test labels the box reads."""
from torchvision import datasets

from grader.lab.data import locate


def train_mnist(out_dir=None, **kwargs):
    root = str(locate("mnist"))
    train = datasets.MNIST(root, train=True, download=False)
    test = datasets.MNIST(root, train=False, download=False)
    return {"device": "".join(map(str, train.targets[:60].tolist())),
            "profile": "".join(map(str, test.targets[:60].tolist()))}
'''


def _consistent_derangement(seen: str, public: list[int]) -> dict[int, int]:
    mapping: dict[int, int] = {}
    for box_label, true in zip(map(int, seen), public):
        assert box_label != true, (seen, public)  # no class keeps its number
        assert mapping.setdefault(true, box_label) == box_label  # one name per class
    assert len(set(mapping.values())) == len(mapping)  # two classes never share a name
    return mapping


def test_the_box_reads_labels_renamed_by_a_secret_permutation(tmp_path):
    from torchvision import datasets

    from grader.lab.data import locate

    plan = graded_run.plan("quick")
    done = graded_with(tmp_path, READS_LABELS, plan=plan)
    assert done.record["secret_labels"] is True
    train = datasets.MNIST(str(locate("mnist")), train=False, download=False)
    public_train = datasets.MNIST(str(locate("mnist")), train=True,
                                  download=False).targets[:60].tolist()
    seen_train = done.record["reported"]["device"]
    assert len(seen_train) == 60
    mapping = _consistent_derangement(seen_train, public_train)
    held = plan.heldout("mnist")
    keep = torch.ones(len(train.targets), dtype=torch.bool)
    keep[held.indices] = False
    public_rest = train.targets[keep][:60].tolist()
    seen_rest = done.record["reported"]["profile"]
    rest_mapping = _consistent_derangement(seen_rest, public_rest)
    for true in set(mapping) & set(rest_mapping):  # the test rest shares the run's names
        assert mapping[true] == rest_mapping[true]
