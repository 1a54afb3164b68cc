"""After a call, the worker sends back exactly the tensors of the student's modules that the
call changed, bit for bit: BatchNorm's statistics after a training forward, a weight
written through numpy (no version counter sees that), a zero's sign; nothing it left alone
(a NaN left as it was included)."""

from __future__ import annotations

import copy

import torch
import torch.nn as nn

from grader.grading.worker.module_state import state_of as _state_of
from grader.grading.worker.worker import Worker


class Net(nn.Module):  # a student's own class: mirrored, its state synced both ways
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 2)
        self.bn = nn.BatchNorm1d(2)

    def forward(self, x):
        return self.bn(self.fc(x))

    def zero_bias_through_numpy(self):
        self.fc.bias.detach().numpy()[:] = 0.0

    def negate_zero(self):
        with torch.no_grad():
            self.fc.bias.copy_(torch.tensor([-0.0, -0.0]))


def _call(worker: Worker, net: Net, trusted: Net, method: str, *args) -> dict:
    """One call on ``net`` in the worker, the trusted side holding ``trusted``'s state."""
    key = worker.register(net)
    request = {"op": "call", "target": ("obj", net), "path": [method] if method else [],
               "args": args, "kwargs": {}, "sync": [(("ref", key), _state_of(trusted))]}
    reply = worker.answer(request)
    return reply["states"][key]


def test_only_what_the_call_changed_goes_back(tmp_path):
    torch.manual_seed(0)
    worker, net = Worker(tmp_path), Net()
    trusted = copy.deepcopy(net)
    changed = _call(worker, net, trusted, "", torch.randn(4, 3))
    assert set(changed) == {"bn.running_mean", "bn.running_var", "bn.num_batches_tracked"}
    assert torch.equal(changed["bn.running_mean"], net.bn.running_mean)

    net.eval()
    trusted = copy.deepcopy(net)
    assert _call(worker, net, trusted, "", torch.randn(4, 3)) == {}

    changed = _call(worker, net, trusted, "zero_bias_through_numpy")
    assert set(changed) == {"fc.bias"} and not changed["fc.bias"].any()

    trusted = copy.deepcopy(net)
    changed = _call(worker, net, trusted, "negate_zero")
    assert set(changed) == {"fc.bias"} and torch.signbit(changed["fc.bias"]).all()


def test_a_nan_left_as_it_was_is_not_a_change(tmp_path):
    worker, net = Worker(tmp_path), Net().eval()
    with torch.no_grad():
        net.fc.weight[0, 0] = float("nan")
    assert _call(worker, net, copy.deepcopy(net), "", torch.randn(2, 3)) == {}


def test_the_trusted_sides_values_are_the_baseline(tmp_path):
    """The trusted side put new weights in: the call changes nothing, so nothing returns,
    and the worker computed with the trusted side's weights."""
    worker, net = Worker(tmp_path), Net().eval()
    trusted = copy.deepcopy(net)
    with torch.no_grad():
        trusted.fc.weight.fill_(0.5)
    assert _call(worker, net, trusted, "", torch.randn(2, 3)) == {}
    assert torch.equal(net.fc.weight, trusted.fc.weight)


def test_meta_modules_compare_by_shape(tmp_path):
    worker = Worker(tmp_path)
    with torch.device("meta"):
        net = Net()
    assert _call(worker, net, copy.deepcopy(net), "", torch.empty(4, 3, device="meta")) == {}
