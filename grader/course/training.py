"""Shared plumbing of the graded training tasks: profiles, determinism, records, plots."""

from __future__ import annotations

import csv
import json
import os
import platform
import time
from collections import defaultdict
from pathlib import Path

from grader.core.errors import BadInput
from grader.core.files import atomic_write


def resolve_profile(profile: str) -> str:
    if profile not in ("auto", "quick", "full"):
        raise BadInput(f"profile must be 'auto', 'quick' or 'full', not {profile!r}")
    if profile != "auto":
        return profile
    import torch

    return "full" if torch.cuda.is_available() else "quick"


def make_deterministic(seed: int, threads: int = 2) -> None:
    """Seed everything, use deterministic kernels and a fixed CPU thread count."""
    import lightning as L
    import torch

    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.set_num_threads(threads)
    L.seed_everything(seed, workers=True, verbose=False)
    torch.use_deterministic_algorithms(True, warn_only=True)


def run_info(accelerator: str) -> dict:
    """Versions and device a result was produced on."""
    import lightning
    import torch
    import torchvision

    device = "cpu"
    if accelerator != "cpu" and torch.cuda.is_available():
        device = torch.cuda.get_device_name(0)
    return {"torch": torch.__version__, "torchvision": torchvision.__version__,
            "lightning": lightning.__version__, "python": platform.python_version(),
            "device": device, "threads": torch.get_num_threads(),
            "date": time.strftime("%Y-%m-%d %H:%M:%S")}


def epoch_curves(metrics_csv: Path) -> dict[str, dict[int, float]]:
    """Per-epoch means of every logged metric in a CSVLogger ``metrics.csv``."""
    sums: dict[str, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    with open(metrics_csv, newline="") as fh:
        for row in csv.DictReader(fh):
            if not row.get("epoch"):
                continue
            epoch = int(float(row["epoch"]))
            for key, value in row.items():
                if key not in ("epoch", "step") and value not in ("", None):
                    sums[key][epoch].append(float(value))
    return {k: {e: sum(v) / len(v) for e, v in sorted(by.items())} for k, by in sums.items()}


def plot_learning_curves(metrics_csv: Path, png: Path, title: str) -> Path:
    """Loss and accuracy per epoch, as the lecture plots them; saved as PNG."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    curves = epoch_curves(metrics_csv)
    fig = Figure(figsize=(10, 4))
    FigureCanvasAgg(fig)
    loss_ax, acc_ax = fig.subplots(1, 2)
    for key, ax in (("train_loss", loss_ax), ("val_loss", loss_ax), ("train_acc", acc_ax),
                    ("val_acc", acc_ax)):
        if key in curves:
            epochs = [e + 1 for e in curves[key]]
            ax.plot(epochs, list(curves[key].values()), marker="o", label=key)
    loss_ax.set(xlabel="epoch", ylabel="loss", title="loss")
    acc_ax.set(xlabel="epoch", ylabel="accuracy", title="accuracy")
    from matplotlib.ticker import MaxNLocator

    for ax in (loss_ax, acc_ax):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        if ax.lines:
            ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png, dpi=100)
    return png


def save_result(result: dict, out_dir: Path) -> Path:
    return atomic_write(Path(out_dir) / "result.json", json.dumps(result, indent=2, default=str))


def show_progress() -> bool:
    """Progress bars only where someone watches a terminal."""
    import sys

    return sys.stderr.isatty() and os.environ.get("CI") != "true"
