"""The device queue of graded training: one run per GPU at a time, GPUs in parallel, the
CPU when there is no GPU. GPUs are faked (CNNKIT_FAKE_GPUS)."""

import threading
import time

import pytest

from grader.core.errors import BadInput
from grader.grading.training import devices


def _run_all(queue, n, hold_s=1.0, kind="auto"):  # long beside thread start-up on a busy machine
    """``n`` runs in threads, each holding its lease ``hold_s``: (start, end, lease) each."""
    spans, lock = [], threading.Lock()

    def run():
        with queue.lease(kind) as lease:
            start = time.monotonic()
            time.sleep(hold_s)
            with lock:
                spans.append((start, time.monotonic(), lease))

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
        time.sleep(0.02)  # arrive in order
    for t in threads:
        t.join(10)
    return sorted(spans, key=lambda s: s[0])


def test_two_fake_gpus_run_two_trainings_at_once_and_a_third_waits(monkeypatch):
    monkeypatch.setenv(devices.FAKE_GPUS, "2")
    queue = devices.DeviceQueue()
    assert queue.gpus == [0, 1] and queue.device_class == "gpu"
    spans = _run_all(queue, 3)
    (s1, e1, a), (s2, e2, b), (s3, _, c) = spans
    assert s2 < e1, "the first two runs should overlap in time"
    assert s3 >= min(e1, e2) - 0.01, "the third run should wait for a free GPU"
    assert {a.env["CUDA_VISIBLE_DEVICES"], b.env["CUDA_VISIBLE_DEVICES"]} == {"0", "1"}
    assert c.kind == "gpu" and c.device_class == "gpu" and c.waited_s > 0.1
    assert queue.peak["gpu"] == 2


def test_without_a_gpu_runs_get_the_cpu(monkeypatch):
    monkeypatch.setenv(devices.FAKE_GPUS, "0")
    queue = devices.DeviceQueue(cpu_slots=1)
    assert queue.device_class == "cpu" and devices.device_class() == "cpu"
    spans = _run_all(queue, 2, hold_s=0.2)
    (_, e1, a), (s2, _, b) = spans
    assert s2 >= e1 - 0.01, "one CPU slot: the second run waits"
    assert a.kind == b.kind == "cpu" and a.accelerator == "cpu"
    assert a.env["CUDA_VISIBLE_DEVICES"] == "" and a.env["OMP_NUM_THREADS"] == "1"
    with pytest.raises(BadInput, match="has none"):
        queue.acquire("gpu")


def test_quick_runs_lease_cpu_slots_beside_the_gpus(monkeypatch):
    queue = devices.DeviceQueue(gpus=[3], cpu_slots=2, cpu_threads=1)
    with queue.lease("cpu") as a, queue.lease("cpu") as b, queue.lease() as g:
        assert (a.kind, b.kind, g.kind) == ("cpu", "cpu", "gpu")
        assert g.env == {"CUDA_VISIBLE_DEVICES": "3"} and g.describe("en") == "GPU 3"
        with pytest.raises(TimeoutError):
            queue.acquire("gpu", timeout=0.1)
    with queue.lease("gpu", timeout=1) as again:  # released on leaving the block
        assert again.index == 3


def test_a_failing_run_gives_its_device_back():
    queue = devices.DeviceQueue(gpus=1)
    with pytest.raises(RuntimeError):
        with queue.lease():
            raise RuntimeError("the student's code crashed")
    with queue.lease(timeout=1) as lease:
        assert lease.index == 0


def test_the_fake_gpu_count_is_checked(monkeypatch):
    monkeypatch.setenv(devices.FAKE_GPUS, "two")
    with pytest.raises(BadInput, match=devices.FAKE_GPUS):
        devices.gpu_indices()
    assert devices.gpu_indices(3) == [0, 1, 2] and devices.gpu_indices([2, 5]) == [2, 5]
    with pytest.raises(BadInput):
        devices.gpu_indices([1, 1])


def test_descriptions_are_bilingual():
    queue = devices.DeviceQueue(gpus=0, cpu_slots=2)
    assert "no GPU" in queue.describe("en") and "không có GPU" in queue.describe("vi")


def test_the_train_flag_picks_a_profile_and_a_device_kind():
    assert devices.training_plan("off", gpus=2) is None
    assert devices.training_plan("auto", gpus=2) == ("full", "gpu")
    assert devices.training_plan("auto", gpus=0) == ("quick", "cpu")
    assert devices.training_plan("quick", gpus=2) == ("quick", "cpu")
    assert devices.training_plan("full", gpus=0) == ("full", "cpu")
    with pytest.raises(BadInput, match="--train must be one of"):
        devices.training_plan("fast")
