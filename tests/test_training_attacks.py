"""Hostile graded runs: what a training run hands back is judged by the trusted side.

- a nearest-neighbour "model" (the training set as its weights) earns nothing;
- weights fitted before the run on public MNIST, carried in the source, earn nothing:
  the run's data named the classes by a secret permutation, and the record, the feedback
  and the gradebook say why, in English and Vietnamese;
- junk weights and junk predictions (any type, shape, dtype, layout, non-finite values,
  huge declared sizes) never raise past their student and stay under a memory cap;
- a crafted reply that would make its reader build a 3 GB layer costs that student the
  item, not the grader its memory.
"""

from __future__ import annotations

import base64
import io
import json
import os
import pickle
import resource
import subprocess
import sys
import textwrap

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grader.core import manifest
from grader.lab import heldout_images, reference_eval, weights_io
from grader.grading import report
from grader.grading.training import exchange_reader
from grader.grading.training import graded_run
from support.data_needs import skip_unless_available
from support.graded_runs import TOPIC, graded_with


SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
GROWTH_MB = 400  # what a whole hypothesis test may add to this process's peak memory


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _reference_state() -> dict:
    with torch.random.fork_rng():
        return reference_eval.mnist_network().state_dict()


# --- the nearest-neighbour "model" ----------------------------------------------------

def _nearest_neighbour_weights(n: int = 2000) -> dict:
    """A 1-NN classifier's whole knowledge: training images and their labels."""
    g = torch.Generator().manual_seed(0)
    return {"train_images": torch.rand(n, 784, generator=g),
            "train_labels": torch.randint(0, 10, (n,), generator=g).float()}


def test_a_nearest_neighbour_lookup_does_not_load_into_the_lecture_network():
    state = weights_io.checked_state_dict(_nearest_neighbour_weights())
    with pytest.raises(weights_io.BadWeights) as info:
        reference_eval.mnist_predictions(state, torch.zeros(3, 28, 28, dtype=torch.uint8))
    assert "lecture's network" in info.value.why["en"]
    assert "mạng của bài giảng" in info.value.why["vi"]


def test_the_whole_training_set_is_over_the_weights_cap():
    big = {"train_images": torch.zeros(60000, 784), "train_labels": torch.zeros(60000)}
    with pytest.raises(weights_io.BadWeights, match="more than"):
        weights_io.checked_state_dict(big)


NEAREST_NEIGHBOUR = '''
"""No CNN: a shift-tolerant 1-nearest-neighbour lookup in the training set."""
import torch
from torchvision import datasets

from grader.lab.data import locate


def train_mnist(out_dir=None, **kwargs):
    train = datasets.MNIST(str(locate("mnist")), train=True, download=False)
    images = train.data[:4000].flatten(1).float() / 255
    return {"test_acc": 0.969, "weights": {"train_images": images,
                                           "train_labels": train.targets[:4000].float()}}
'''


def test_a_nearest_neighbour_run_earns_no_training_points(tmp_path):
    done = graded_with(tmp_path, NEAREST_NEIGHBOUR)
    assert done.score.score == 0.0 and done.record["points"] == 0.0
    assert done.record["reported"]["test_acc"] == 0.969  # shown, never scored
    assert "lecture's network" in done.record["reason"]["en"], done.record["reason"]


# --- weights fitted before the run -----------------------------------------------------

@pytest.fixture(scope="module")
def public_mnist_weights() -> dict:
    """The lecture's CNN trained for one epoch on public MNIST (all 60,000 images, SGD,
    lr 0.1, batch 64), as an attacker would fit it at home: about 11 s on one thread."""
    skip_unless_available("mnist")
    from torchvision import datasets

    from grader.lab.data import locate

    train = datasets.MNIST(str(locate("mnist")), train=True, download=False)
    images, labels = train.data.unsqueeze(1).float().div(255), train.targets
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with torch.random.fork_rng():
            torch.manual_seed(0)
            model = reference_eval.mnist_network().train()
            optimiser = torch.optim.SGD(model.parameters(), lr=0.1)
            order = torch.randperm(len(images))
            for start in range(0, len(images) - 63, 64):
                batch = order[start:start + 64]
                loss = torch.nn.functional.cross_entropy(model(images[batch]), labels[batch])
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
    finally:
        torch.set_num_threads(threads)
    return {name: t.detach().clone() for name, t in model.state_dict().items()}


EMBEDDED = '''
"""Trains nothing: returns weights fitted before the run on public MNIST, kept here."""
import base64
import io

import torch

WEIGHTS = "{weights}"


def train_mnist(out_dir=None, **kwargs):
    state = torch.load(io.BytesIO(base64.b64decode(WEIGHTS)), weights_only=True)
    return {{"test_acc": 0.99, "weights": state}}
'''


def test_weights_fitted_before_the_run_earn_no_training_points(tmp_path, monkeypatch,
                                                                public_mnist_weights):
    buffer = io.BytesIO()
    torch.save(public_mnist_weights, buffer)
    source = EMBEDDED.format(weights=base64.b64encode(buffer.getvalue()).decode())
    done = graded_with(tmp_path, source)
    record = done.record
    assert done.score.score == 0.0 and record["points"] == 0.0, record
    # good weights all the same: by the public labels they reach the threshold, but this
    # run's data named the classes otherwise
    assert record["public_label_accuracy"] >= record["threshold"], record
    assert record["not_trained_here"] is True and record["secret_labels"] is True
    assert record["accuracy"] < 0.1  # no class kept its public name
    assert "not trained in this run" in record["reason"]["en"], record["reason"]
    assert "không được huấn luyện trong lần chạy này" in record["reason"]["vi"]

    column = graded_run.column(TOPIC, manifest.load_topic(TOPIC).training("mnist"))
    for lang, words in (("en", "not trained in this run"),
                        ("vi", "không được huấn luyện trong lần chạy này")):
        monkeypatch.setenv("CNNKIT_LANG", lang)  # the language the class is graded in
        result = report.results_json("eve", [done.score], done.notes, 1.0, "fp",
                                     training={column: record})
        assert words in result["output_i18n"][lang]  # kept in both, whatever the run's
        report.write_student(tmp_path / lang, "eve", result, lang)
        feedback = (tmp_path / lang / "students" / "eve" / "feedback.md").read_text()
        assert words in feedback, feedback
        row = report.gradebook_csv({"eve": result}, [manifest.load_topic(TOPIC)]).splitlines()[1]
        assert words in row and row.split(",")[-1] != "", row


# --- junk weights and predictions -----------------------------------------------------

DTYPES = [torch.float32, torch.float64, torch.float16, torch.bfloat16, torch.int64,
          torch.int32, torch.uint8, torch.bool, torch.complex64, torch.int8]


@st.composite
def junk_tensors(draw):
    dtype = draw(st.sampled_from(DTYPES))
    shape = tuple(draw(st.lists(st.integers(0, 5), max_size=4)))
    kind = draw(st.sampled_from(["plain", "nan", "inf", "sparse", "expanded", "meta",
                                 "strided", "huge-sparse", "scalar"]))
    if kind == "meta":
        return torch.empty(10**6, 10**6, device="meta")
    if kind == "huge-sparse":
        return torch.sparse_coo_tensor(torch.zeros(2, 0, dtype=torch.long), torch.zeros(0),
                                       (10**7, 10**7))
    if kind == "expanded":  # one element seen as billions: nothing allocated, much declared
        return torch.zeros(1, dtype=dtype).expand(draw(st.sampled_from([10**9, 10**5])))
    if kind == "scalar":
        return torch.tensor(draw(st.floats(allow_nan=True, allow_infinity=True)))
    t = torch.zeros(shape, dtype=dtype) if dtype != torch.bool else torch.zeros(shape) > 0
    if kind in ("nan", "inf") and t.dtype.is_floating_point and t.numel():
        t.view(-1)[0] = float("nan") if kind == "nan" else float("inf")
    if kind == "sparse" and t.dim() >= 1 and dtype in (torch.float32, torch.float64):
        return t.to_sparse()
    if kind == "strided" and t.dim() >= 2:
        return t.transpose(0, 1)
    return t


junk_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=20),
              st.binary(max_size=64), junk_tensors()),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=8)
junk_states = st.one_of(
    junk_values,
    st.dictionaries(st.one_of(st.text(max_size=300), st.integers()), junk_values, max_size=6),
    st.dictionaries(st.sampled_from(list(_reference_state())), junk_tensors(), max_size=20))


@SETTINGS
@given(junk_states)
def test_junk_weights_are_refused_with_a_reason_or_evaluated(junk):
    before = _peak_mb()
    try:
        state = weights_io.checked_state_dict(junk)
        reference_eval.mnist_predictions(state, torch.zeros(4, 28, 28, dtype=torch.uint8))
    except weights_io.BadWeights as exc:
        assert exc.why["en"] and exc.why["vi"]
    try:
        state = weights_io.checked_state_dict(junk)
        reference_eval.head_predictions(state, torch.zeros(4, 1280))
    except weights_io.BadWeights as exc:
        assert exc.why["en"] and exc.why["vi"]
    assert _peak_mb() - before < GROWTH_MB


def _saved(obj) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


@SETTINGS
@given(st.one_of(junk_states.map(_saved), st.binary(max_size=512)))
def test_junk_bytes_are_refused_with_a_reason_or_read(data):
    before = _peak_mb()
    try:
        weights_io.read_state_dict(data)
    except weights_io.BadWeights as exc:
        assert exc.why["en"] and exc.why["vi"]
    assert _peak_mb() - before < GROWTH_MB


@SETTINGS
@given(junk_values)
def test_junk_predictions_are_refused_with_a_reason_or_scored(junk):
    labels = torch.tensor([1, 2, 3, 4])
    try:
        accuracy = heldout_images.score(junk, labels)
    except heldout_images.BadPredictions as exc:
        assert exc.why["en"] and exc.why["vi"]
    else:
        assert 0.0 <= accuracy <= 1.0


def test_sparse_predictions_are_refused_not_crashed_on():
    labels = torch.tensor([1, 2, 3, 4])
    with pytest.raises(heldout_images.BadPredictions, match="sparse"):
        heldout_images.score(torch.tensor([1, 2, 3, 4]).to_sparse(), labels)


@SETTINGS
@given(st.one_of(junk_values.map(lambda v: json.dumps(v, default=repr).encode()),
                 st.binary(max_size=256),
                 st.fixed_dictionaries({"problem": junk_values, "reported": junk_values,
                                        "train_seconds": junk_values, "features": junk_values})
                 .map(lambda v: json.dumps(v, default=repr).encode())))
def test_junk_facts_from_the_exchange_are_read_as_plain_data(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("facts") / "facts.json"
    path.write_bytes(data)
    facts = exchange_reader.read_facts(path)
    if facts is not None:
        json.dumps(facts)
        assert facts["problem"] is None or set(facts["problem"]) >= {"en", "vi"}


# --- replies that would allocate: refused before anything is built --------------------

class _BigLayer:
    """Pickles as ``torch.nn.Linear(28000, 28000)``: a hundred bytes that build 3 GB."""

    def __reduce__(self):
        return (torch.nn.Linear, (28000, 28000))


def _huge_declared_archive() -> bytes:
    """A torch.save archive whose directory declares 2 GB records (never written)."""
    data = bytearray(_saved({"w": torch.zeros(4)}))
    at = data.find(b"PK\x01\x02")
    while at != -1:  # each central directory entry: sizes at +20 and +24, name at +46
        length = int.from_bytes(data[at + 28:at + 30], "little")
        if b"/data/" in data[at + 46:at + 46 + length]:
            data[at + 20:at + 28] = b"\xff\xff\xff\x7f" * 2
        at = data.find(b"PK\x01\x02", at + 4)
    return bytes(data)


HOSTILE = {
    "reduce-linear": lambda: _saved({"w": _BigLayer()}),
    "expanded-view": lambda: _saved({"w": torch.zeros(1).expand(10**10)}),
    "huge-sparse": lambda: _saved({"w": torch.sparse_coo_tensor(
        torch.zeros(2, 0, dtype=torch.long), torch.zeros(0), (10**8, 10**8))}),
    "declared-4gb": _huge_declared_archive,
    "many-tensors": lambda: _saved({f"w{i}": torch.zeros(1) for i in range(5000)}),
}


def test_hostile_weights_are_refused_under_a_memory_cap():
    """Each hostile archive, read in a child process whose address space is capped at
    what it uses plus 1 GB: refused with a reason, never a crash or an allocation."""
    script = textwrap.dedent('''
        import pickle, resource, sys, json
        import torch
        from grader.lab import weights_io
        from grader.grading.training.exchange import cap_memory
        cases = pickle.load(sys.stdin.buffer)
        cap_memory(1024)
        out = {}
        for name, data in cases.items():
            try:
                weights_io.read_state_dict(data)
                out[name] = "read"
            except weights_io.BadWeights as exc:
                out[name] = "refused: " + exc.why["en"]
            except BaseException as exc:
                out[name] = "crashed: " + type(exc).__name__ + " " + str(exc)[:200]
        print(json.dumps(out))
    ''')
    cases = {name: make() for name, make in HOSTILE.items()}
    assert max(len(d) for n, d in cases.items() if n != "many-tensors") < 10_000
    done = subprocess.run([sys.executable, "-c", script], input=pickle.dumps(cases),
                          capture_output=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(graded_run.Path(
                              graded_run.__file__).resolve().parents[2])})
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    results = json.loads(done.stdout.decode().strip().splitlines()[-1])
    for name, verdict in results.items():
        assert verdict.startswith("refused: "), (name, verdict)


HOSTILE_REPLY = '''
"""Answers every request with bytes that, read freely, build a 3 GB layer."""
import io

import torch

from grader.grading.worker import wire


class _BigLayer:
    def __reduce__(self):
        return (torch.nn.Linear, (28000, 28000))


def _evil(reply):
    buf = io.BytesIO()
    torch.save({"ok": {"result": {"weights": _BigLayer()}}}, buf)
    return buf.getvalue()


def train_mnist(out_dir=None, **kwargs):
    wire.dump_reply = _evil
    return {}
'''


def test_a_reply_that_would_build_gigabytes_costs_the_student_not_the_grader(tmp_path):
    before = _peak_mb()
    done = graded_with(tmp_path, HOSTILE_REPLY)
    assert _peak_mb() - before < GROWTH_MB  # the grader's own process never built it
    assert done.score.score == 0.0 and done.record["accuracy"] is None
    reason = done.record["reason"]
    assert "allocate" in reason["en"] or "memory" in reason["en"], reason  # the child's cap
    assert reason["vi"]


FORGED_FRAME = '''
"""Writes a reply frame of its own on the worker's pipe, announcing 3 GB, then waits."""


def train_mnist(out_dir=None, **kwargs):
    import os, struct, sys, time
    frame = sys._getframe()
    while not (frame.f_code.co_name == "main" and "reply_fd" in frame.f_locals):
        frame = frame.f_back
    os.write(frame.f_locals["reply_fd"], struct.pack("!Q", 3 << 30))
    time.sleep(600)
'''


def test_a_forged_reply_frame_is_named_in_both_languages(tmp_path):
    done = graded_with(tmp_path, FORGED_FRAME)
    assert done.score.score == 0.0 and done.record["accuracy"] is None
    reason = done.record["reason"]
    assert f"announced a reply of {3 << 30} bytes" in reason["en"], reason
    assert "over the limit of 2048.0 MB" in reason["en"], reason
    assert f"báo trước một câu trả lời {3 << 30} byte" in reason["vi"], reason
    assert "announced" not in reason["vi"] and "stopped answering" not in reason["vi"], reason


def test_an_archive_over_the_caps_is_refused_before_it_is_unpickled(monkeypatch):
    def unpickled(*args, **kwargs):
        raise AssertionError("torch.load ran on an archive over the caps")

    big = _saved({"w": torch.zeros(1 << 20)})  # 4 MB of weights
    many = _saved({f"w{i}": torch.zeros(1) for i in range(50)})
    monkeypatch.setattr(weights_io.torch, "load", unpickled)
    for data, words in ((big, "bytes, over the limit"), (many, "records, over the limit"),
                        (_huge_declared_archive(), "bytes, over the limit")):
        with pytest.raises(weights_io.BadWeights, match=words) as info:
            weights_io.read_state_dict(data, max_bytes=1 << 20, max_tensors=10)
        assert "vượt giới hạn" in info.value.why["vi"]
