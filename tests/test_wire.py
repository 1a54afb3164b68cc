"""The worker's wire: what a request carries arrives as it left, on the fast path and off it."""

import datetime

import pytest
import torch
import torch.nn as nn
import torchvision

from grader.grading.worker import objects, wire


def _round_trip(value):
    return wire.load_request(wire.dump_request(value, lambda obj: None), lambda pid: None)


@pytest.mark.parametrize("make", [
    lambda: torch.randn(3, 4),
    lambda: torch.arange(6, dtype=torch.int64).reshape(2, 3),
    lambda: torch.tensor([True, False, True]),
    lambda: torch.randn(5).to(torch.bfloat16),
    lambda: torch.randn(2, 2, dtype=torch.complex64),
    lambda: torch.empty(0, 3),
    lambda: torch.tensor(2.5),
    lambda: torch.randn(4, 4).t(),  # not contiguous: torch's own way
    lambda: torch.randn(3).to_sparse(),  # not strided: torch's own way
], ids=["float", "int64", "bool", "bfloat16", "complex", "empty", "scalar", "transposed",
        "sparse"])
def test_a_tensor_arrives_with_its_values_dtype_and_shape(make):
    sent = make()
    got = _round_trip(sent)
    assert type(got) is torch.Tensor and got.dtype == sent.dtype and got.shape == sent.shape
    assert torch.equal(got.to_dense() if got.is_sparse else got,
                       sent.to_dense() if sent.is_sparse else sent)


def test_parameters_keep_their_type_and_requires_grad():
    frozen = nn.Parameter(torch.randn(3), requires_grad=False)
    got = _round_trip({"a": nn.Parameter(torch.randn(2)), "b": frozen,
                       "c": torch.randn(2, requires_grad=True)})
    assert type(got["a"]) is nn.Parameter and got["a"].requires_grad
    assert type(got["b"]) is nn.Parameter and not got["b"].requires_grad
    assert got["c"].requires_grad and got["c"].is_leaf


def test_one_tensor_sent_twice_is_one_tensor_that_the_worker_can_change():
    x = torch.zeros(3)
    a, b = _round_trip((x, x))
    assert a is b
    a.add_(1)  # writable, and no warning about a read-only buffer
    assert torch.equal(b, torch.ones(3)) and torch.equal(x, torch.zeros(3))


def test_a_network_arrives_whole():
    net = torchvision.models.resnet18(num_classes=10)
    net.layer1.requires_grad_(False)
    got = _round_trip(net)
    assert [(n, p.requires_grad) for n, p in got.named_parameters()] == \
        [(n, p.requires_grad) for n, p in net.named_parameters()]
    for (name, mine), theirs in zip(net.state_dict().items(), got.state_dict().values()):
        assert torch.equal(mine, theirs), name


def test_the_request_is_a_plain_pickle_with_remote_objects_named():
    handle = objects.Handle(7, "DataLoader")
    named = []

    def ref(obj):
        if isinstance(obj, objects.Handle):
            named.append(obj._remote_id)
            return ("ref", obj._remote_id)
        return None

    data = wire.dump_request({"target": handle, "args": (torch.ones(2),)}, ref)
    got = wire.load_request(data, lambda pid: f"resolved {pid[1]}")
    assert got["target"] == "resolved 7" and torch.equal(got["args"][0], torch.ones(2))
    found = []
    wire.find_remote({"nested": [handle, {"t": torch.ones(10 ** 6)}]},
                     lambda obj: found.append(obj._remote_id) if isinstance(
                         obj, objects.Handle) else None)
    assert found == [7] and named == [7]


def test_a_reply_reads_back_and_refuses_unlisted_classes():
    torchs_own = torch._weights_only_unpickler._get_user_allowed_globals
    reply = {"ok": [torch.randn(3), {"n": 1}, nn.Conv2d(1, 2, 3)], "states": {}}
    got = wire.load_reply(wire.dump_reply(reply))
    assert type(got["ok"][2]) is nn.Conv2d
    assert torch._weights_only_unpickler._get_user_allowed_globals is torchs_own  # put back
    assert torch.equal(got["ok"][0], reply["ok"][0]) and got["ok"][1] == {"n": 1}

    with pytest.raises(wire.WireError, match="datetime"):
        wire.load_reply(wire.dump_reply({"ok": datetime.date(2026, 1, 1)}))
