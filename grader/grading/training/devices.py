"""Where graded training runs: a queue of devices shared by the grading threads.

Each training run leases one device for as long as it runs. With GPUs, one run per GPU
at a time and as many runs in parallel as there are GPUs; the lease says which GPU
through the environment of the run (``CUDA_VISIBLE_DEVICES=<index>``), so the student's
code sees exactly one GPU, as ``cuda:0``. Without GPUs (or for a ``quick`` run, whose
profile trains on the CPU), runs lease CPU slots: ``CUDA_VISIBLE_DEVICES=""`` and a fixed
thread count (``OMP_NUM_THREADS``), and as many run at once as the cores allow.

The device class of a lease (``"gpu"`` or ``"cpu"``) picks the thresholds in
``topic.toml`` (``GradedTraining.threshold_for(profile, device_class)``).

Tests and machines without CUDA fake GPUs with ``CNNKIT_FAKE_GPUS=N`` (or ``gpus=N``):
the queue then hands out indices ``0..N-1`` as it would real ones.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass, field

from grader.core.errors import BadInput
from grader.core.i18n import msg, pick
from grader.lab import training

FAKE_GPUS = "CNNKIT_FAKE_GPUS"
KINDS = ("auto", "gpu", "cpu")
TRAIN_CHOICES = ("off", "quick", "full", "auto")  # `grade --train`


def gpu_indices(gpus: int | list[int] | None = None) -> list[int]:
    """The GPUs to hand out: ``gpus`` (a count or the indices), else ``$CNNKIT_FAKE_GPUS``,
    else what CUDA sees (indices as ``CUDA_VISIBLE_DEVICES`` of this process numbers them,
    i.e. ``0..count-1``)."""
    if gpus is None:
        fake = os.environ.get(FAKE_GPUS, "").strip()
        if fake:
            if not fake.isdigit():
                raise BadInput(msg(f"{FAKE_GPUS} must be a number of GPUs, not {fake!r}",
                                   f"{FAKE_GPUS} phải là số GPU, không phải {fake!r}"))
            gpus = int(fake)
        else:
            try:
                import torch

                gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
            except Exception:  # noqa: BLE001 - a broken CUDA install means: no GPU
                gpus = 0
    if isinstance(gpus, int):
        if gpus < 0:
            raise BadInput(f"a number of GPUs cannot be negative ({gpus})")
        return list(range(gpus))
    indices = [int(i) for i in gpus]
    if len(set(indices)) != len(indices) or any(i < 0 for i in indices):
        raise BadInput(f"GPU indices must be distinct and >= 0, not {indices}")
    return indices


def device_class(gpus: int | list[int] | None = None) -> str:
    """``"gpu"`` where a GPU can be leased, else ``"cpu"``."""
    return "gpu" if gpu_indices(gpus) else "cpu"


def training_plan(choice: str, gpus: int | list[int] | None = None) -> tuple[str, str] | None:
    """What ``--train off|quick|full|auto`` means on this machine: ``None`` (no graded
    training) or ``(profile, lease kind)``. ``auto`` is ``full`` on a GPU, ``quick`` on the
    CPU; ``quick`` always trains on CPU slots (its profile is a CPU one), ``full`` on a GPU
    when there is one, else on the CPU (slow, and judged by the ``cpu`` thresholds)."""
    if choice not in TRAIN_CHOICES:
        raise BadInput(msg(f"--train must be one of {', '.join(TRAIN_CHOICES)}, not {choice!r}",
                           f"--train phải là một trong {', '.join(TRAIN_CHOICES)}, không phải "
                           f"{choice!r}"))
    if choice == "off":
        return None
    has_gpu = bool(gpu_indices(gpus))
    choice = training.resolve_profile(choice, has_gpu)
    if choice == "quick":
        return "quick", "cpu"
    return "full", "gpu" if has_gpu else "cpu"


@dataclass(frozen=True)
class Lease:
    """One device, held by one training run."""

    kind: str  # "gpu" or "cpu"
    index: int  # the GPU's index, or the CPU slot's number
    env: dict[str, str] = field(default_factory=dict)  # to set in the run's environment
    waited_s: float = 0.0  # how long the run queued for it

    @property
    def device_class(self) -> str:
        return self.kind

    @property
    def accelerator(self) -> str:
        """What the run's Lightning ``Trainer`` should use."""
        return "gpu" if self.kind == "gpu" else "cpu"

    def describe(self, lang: str | None = None) -> str:
        if self.kind == "gpu":
            return pick({"en": f"GPU {self.index}", "vi": f"GPU {self.index}"}, lang)
        return pick({"en": f"CPU (slot {self.index})", "vi": f"CPU (khe {self.index})"}, lang)


class DeviceQueue:
    """Leases devices to training runs, first come first served, from many threads.

    ``gpus``: a count or the indices (default: ``gpu_indices()``). ``cpu_slots``: CPU runs
    at once (default: the cores divided by ``cpu_threads``, at least 1). ``cpu_threads``:
    the thread count a CPU run is given (``OMP_NUM_THREADS``).
    """

    def __init__(self, gpus: int | list[int] | None = None, cpu_slots: int | None = None,
                 cpu_threads: int = 1):
        if cpu_threads < 1:
            raise BadInput(f"cpu_threads must be at least 1, not {cpu_threads}")
        self.gpus = gpu_indices(gpus)
        cores = os.cpu_count() or 1
        self.cpu_slots = cpu_slots if cpu_slots is not None else max(1, cores // cpu_threads)
        if self.cpu_slots < 1:
            raise BadInput(f"cpu_slots must be at least 1, not {self.cpu_slots}")
        self.cpu_threads = cpu_threads
        self._free = {"gpu": deque(self.gpus), "cpu": deque(range(self.cpu_slots))}
        self._waiting: dict[str, deque] = {"gpu": deque(), "cpu": deque()}
        self._cond = threading.Condition()
        self.peak = {"gpu": 0, "cpu": 0}  # most leases held at once, per kind

    @property
    def device_class(self) -> str:
        """The class an ``auto`` lease gets: ``"gpu"`` when the queue has GPUs."""
        return "gpu" if self.gpus else "cpu"

    def resolve(self, kind: str = "auto") -> str:
        if kind not in KINDS:
            raise BadInput(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
        if kind == "auto":
            return self.device_class
        if kind == "gpu" and not self.gpus:
            raise BadInput(msg("a GPU was asked for, but this machine has none "
                               f"(torch.cuda.device_count() is 0 and {FAKE_GPUS} is not set)",
                               "đã yêu cầu GPU nhưng máy này không có "
                               f"(torch.cuda.device_count() bằng 0 và {FAKE_GPUS} chưa đặt)"))
        return kind

    def _env(self, kind: str, index: int) -> dict[str, str]:
        if kind == "gpu":
            return {"CUDA_VISIBLE_DEVICES": str(index)}
        threads = str(self.cpu_threads)
        return {"CUDA_VISIBLE_DEVICES": "", "OMP_NUM_THREADS": threads, "MKL_NUM_THREADS": threads}

    def acquire(self, kind: str = "auto", timeout: float | None = None) -> Lease:
        """Wait for a free device of ``kind`` (``auto``: a GPU if the queue has any, else a
        CPU slot), in arrival order. ``TimeoutError`` after ``timeout`` seconds."""
        kind = self.resolve(kind)
        start = time.monotonic()
        ticket = object()
        with self._cond:
            self._waiting[kind].append(ticket)
            try:
                ok = self._cond.wait_for(
                    lambda: self._waiting[kind][0] is ticket and self._free[kind], timeout)
                if not ok:
                    raise TimeoutError(pick({
                        "en": f"no free {kind.upper()} within {timeout:g} s",
                        "vi": f"không có {kind.upper()} trống trong {timeout:g} giây"}))
                index = self._free[kind].popleft()
            finally:
                self._waiting[kind].remove(ticket)
                self._cond.notify_all()
            held = (len(self.gpus) if kind == "gpu" else self.cpu_slots) - len(self._free[kind])
            self.peak[kind] = max(self.peak[kind], held)
        return Lease(kind, index, self._env(kind, index), round(time.monotonic() - start, 3))

    def release(self, lease: Lease) -> None:
        with self._cond:
            if lease.index in self._free[lease.kind]:
                raise BadInput(f"{lease.describe('en')} was released twice")
            self._free[lease.kind].append(lease.index)
            self._cond.notify_all()

    @contextmanager
    def lease(self, kind: str = "auto", timeout: float | None = None):
        """``with queue.lease() as lease: run(env={**os.environ, **lease.env})``."""
        held = self.acquire(kind, timeout)
        try:
            yield held
        finally:
            self.release(held)

    def describe(self, lang: str | None = None) -> str:
        if self.gpus:
            ids = ", ".join(map(str, self.gpus))
            return pick({"en": f"{len(self.gpus)} GPU(s) ({ids}): one training run per GPU at "
                               "a time",
                         "vi": f"{len(self.gpus)} GPU ({ids}): mỗi GPU chạy một lần huấn luyện "
                               "tại một thời điểm"}, lang)
        return pick({"en": f"no GPU: training runs on the CPU, {self.cpu_slots} at a time, "
                           f"{self.cpu_threads} thread(s) each",
                     "vi": f"không có GPU: huấn luyện trên CPU, {self.cpu_slots} lần chạy cùng "
                           f"lúc, mỗi lần {self.cpu_threads} luồng"}, lang)
