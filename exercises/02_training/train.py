"""Graded training: the lecture's CNN on MNIST, with Lightning.

    ./kit train mnist --profile quick     # CPU, about a minute (see README.md)
    ./kit train mnist --profile full      # the lecture's settings, on a GPU
"""

from __future__ import annotations

import time
from pathlib import Path

import lightning as L
from lightning.pytorch.loggers import CSVLogger

from grader.lab import training
from grader.lab.data import locate

from .cnn import PyTorchCNN
from .datamodule import MnistDataModule
from .lightning_model import LightningModel


def train_mnist(profile="auto", seed=123, data_path=None, out_dir="runs/mnist", **overrides):
    """Train ``PyTorchCNN`` on MNIST and evaluate it on all 10,000 test images.

    The profile's settings are declared in ``topic.toml`` (``[graded.mnist.settings]``);
    ``overrides`` replace them (``max_epochs``, ``batch_size``,
    ``learning_rate``, ``accelerator``, ``threads``, ``in_memory``) or limit batches for a
    smoke test (``limit_train_batches``, ``limit_val_batches``, ``limit_test_batches``).
    Returns a dict with ``test_acc``, ``val_acc``, the settings, the time taken,
    the versions and the device; writes ``metrics.csv``, ``learning_curves.png``
    and ``result.json`` into ``out_dir``. ``result["weights"]`` is the trained
    ``PyTorchCNN``'s state dict: a grader loads it into the lecture's network and measures
    the accuracy itself, on images this run never sees.
    """
    profile = training.resolve_profile(profile)
    settings = {**training.settings("02_training", "mnist", profile), **overrides}
    limits = {k: settings.pop(k) for k in list(settings) if k.startswith("limit_")}
    training.make_deterministic(seed, threads=settings["threads"])
    out_dir = Path(out_dir)
    data_path = data_path or locate("mnist")
    start = time.perf_counter()
    # TODO: dm, the MNIST datamodule with the profile's batch size, and model, the
    # TODO: lecture's CNN inside LightningModel
    # TODO (vi): dm là datamodule MNIST với batch size của profile, và model là CNN của bài
    # TODO (vi): giảng đặt trong LightningModel
    raise NotImplementedError("TODO: dm, the MNIST datamodule with the profile's batch size, and model, the lecture's CNN inside LightningModel | vi: dm là datamodule MNIST với batch size của profile, và model là CNN của bài giảng đặt trong LightningModel")
    if settings["in_memory"]:  # the same images, decoded once and kept as tensors
        dm = training.in_memory(dm)
    # TODO: a reproducible Trainer with the profile's settings that logs into a metrics.csv
    # TODO: under out_dir; where stderr is no terminal, no progress bar but the kit's
    # TODO: progress line (training.show_progress(), training.progress_line()); fit on dm,
    # TODO: then test; set val_acc, test_acc and metrics_csv for the result below
    # TODO (vi): một Trainer tái lập được (reproducible) với thiết lập của profile, ghi log
    # TODO (vi): vào metrics.csv trong out_dir; khi stderr không phải terminal thì không dùng
    # TODO (vi): thanh tiến trình mà dùng dòng tiến trình của kit (training.show_progress(),
    # TODO (vi): training.progress_line()); fit trên dm rồi test; gán val_acc, test_acc và
    # TODO (vi): metrics_csv cho kết quả bên dưới
    raise NotImplementedError("TODO: a reproducible Trainer with the profile's settings that logs into a metrics.csv under out_dir; where stderr is no terminal, no progress bar but the kit's progress line (training.show_progress(), training.progress_line()); fit on dm, then test; set val_acc, test_acc and metrics_csv for the result below | vi: một Trainer tái lập được (reproducible) với thiết lập của profile, ghi log vào metrics.csv trong out_dir; khi stderr không phải terminal thì không dùng thanh tiến trình mà dùng dòng tiến trình của kit (training.show_progress(), training.progress_line()); fit trên dm rồi test; gán val_acc, test_acc và metrics_csv cho kết quả bên dưới")
    result = {
        "task": "mnist", "profile": profile, "seed": seed, "test_acc": test_acc,
        "val_acc": val_acc, "settings": settings, "limits": limits,
        "seconds": round(time.perf_counter() - start, 1),
        "metrics_csv": str(metrics_csv),
        "curves_png": str(training.plot_learning_curves(
            metrics_csv, out_dir / "learning_curves.png", f"PyTorchCNN on MNIST ({profile})")),
        **training.run_info(settings["accelerator"]),
    }
    training.save_result(result, out_dir)
    # not in result.json: what a grader evaluates, and the figure for its feedback
    result["weights"] = training.weights_of(model.model)
    result["curves_png_bytes"] = training.read_png(result["curves_png"])
    return result
