"""Shared plumbing of the graded training tasks: profiles, determinism, records, plots,
data held in memory and a progress line for runs nobody watches on a terminal."""

from __future__ import annotations

import csv
import json
import os
import platform
import time
from collections import defaultdict
from pathlib import Path

from grader.core import manifest, quiet
from grader.core.errors import BadInput
from grader.core.files import atomic_write
from grader.core.i18n import msg, pick


def resolve_profile(profile: str, has_gpu: bool | None = None) -> str:
    """The one meaning of ``auto``: ``full`` where a GPU is at hand, else ``quick``
    (``has_gpu``: what the caller knows of the machine; None asks torch)."""
    if profile not in ("auto", "quick", "full"):
        raise BadInput(msg(f"profile must be 'auto', 'quick' or 'full', not {profile!r}",
                           f"profile phải là 'auto', 'quick' hoặc 'full', không phải {profile!r}"))
    if profile != "auto":
        return profile
    if has_gpu is None:
        import torch

        has_gpu = torch.cuda.is_available()
    return "full" if has_gpu else "quick"


def settings(topic: str, task: str, profile: str, variant: int | None = None) -> dict:
    """The run settings of ``profile`` for a graded task, as its ``topic.toml`` declares them
    (``[graded.<task>.settings]``): the one place they live, read by the run and the grader."""
    return manifest.load_topic(topic).training(task, variant).settings_for(profile)


def make_deterministic(seed: int, threads: int = 2) -> None:
    """Seed everything, use deterministic kernels and a fixed CPU thread count.

    One thread is the robust choice when the cores are shared (several students graded
    at once, or any other load): measured on a loaded 2-core machine, a training step of
    the lecture's MNIST CNN took 16-28 ms with one thread and 200-240 ms with two, whose
    OpenMP threads wait on each other whenever one of them loses its core.
    """
    import lightning as L
    import torch

    quiet.third_party()
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.set_num_threads(threads)
    L.seed_everything(seed, workers=True, verbose=False)
    torch.use_deterministic_algorithms(True, warn_only=True)


def reseed(seed: int) -> None:
    """Seed again (before training): what came before (a feature extraction, or none when
    the features were handed in) then leaves no trace in the shuffling."""
    import lightning as L

    L.seed_everything(seed, workers=True, verbose=False)


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
    # fixed margins for this one layout: tight_layout would draw the figure twice
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.13, top=0.84, wspace=0.22)
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png, dpi=100)
    return png


def save_result(result: dict, out_dir: Path) -> Path:
    return atomic_write(Path(out_dir) / "result.json", json.dumps(result, indent=2, default=str))


def weights_of(module) -> dict:
    """``module``'s trained state dict, as CPU tensors detached from the graph: what a
    graded run hands back for the grader to evaluate."""
    return {name: t.detach().cpu().clone() for name, t in module.state_dict().items()}


def read_png(path, most: int = 4 << 20) -> bytes:
    """The bytes of a PNG the run wrote (its learning curves), or ``b""``."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(most)
    except (OSError, TypeError):
        return b""
    return data if data.startswith(b"\x89PNG") else b""


def show_progress() -> bool:
    """Progress bars only where someone watches a terminal."""
    import sys

    return sys.stderr.isatty() and os.environ.get("CI") != "true"


# --- data held in memory -------------------------------------------------------------


def _tensor_fast_path(dataset):
    """``(images, labels)`` straight from the raw tensors when ``dataset`` is torchvision's
    MNIST (or a chain of ``Subset``s of it) whose transform is ``ToTensor()``, optionally
    followed by ``Normalize``: the same values, bit for bit, as going through PIL image by
    image. ``None`` for anything else."""
    import torch
    from torch.utils.data import Subset
    from torchvision import datasets, transforms

    index = None
    while isinstance(dataset, Subset):
        inner = torch.as_tensor(dataset.indices, dtype=torch.long)
        index = inner if index is None else inner[index]
        dataset = dataset.dataset
    if not isinstance(dataset, datasets.MNIST) or dataset.target_transform is not None:
        return None
    steps = dataset.transform
    steps = list(steps.transforms) if isinstance(steps, transforms.Compose) else [steps]
    if not steps or type(steps[0]) is not transforms.ToTensor or any(
            type(s) is not transforms.Normalize for s in steps[1:]):
        return None
    data, targets = dataset.data, dataset.targets
    if index is not None:
        data, targets = data[index], targets[index]
    images = data.unsqueeze(1).float().div(255)  # what ToTensor does to a uint8 'L' image
    for step in steps[1:]:
        images = step(images)  # Normalize works per channel on a batch too
    return images, targets.long()


def as_tensors(dataset, batch_size: int = 1000):
    """A ``TensorDataset`` with every sample of ``dataset`` passed once through its own
    transform: the same images and labels, decoded once instead of once per epoch."""
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    fast = _tensor_fast_path(dataset)
    if fast is not None:
        return TensorDataset(*fast)
    xs, ys = [], []
    for x, y in DataLoader(dataset, batch_size=batch_size, shuffle=False):
        xs.append(x)
        ys.append(torch.as_tensor(y))
    return TensorDataset(torch.cat(xs), torch.cat(ys))


def _is_map_dataset(value) -> bool:
    from torch.utils.data import Dataset, IterableDataset, TensorDataset

    return (isinstance(value, Dataset) and not isinstance(value, (IterableDataset, TensorDataset))
            and hasattr(value, "__len__"))


def in_memory(datamodule):
    """Wrap a ``LightningDataModule`` so that, after its own ``setup``, each of its data sets
    (``self.train``, ``self.valid``, ``self.test``, ...) is held in memory as tensors. Its own
    loaders still build the batches (batch size, shuffling, ``drop_last`` unchanged): only the
    per-image decoding, once per epoch, is gone."""
    import lightning as L

    class InMemory(L.LightningDataModule):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner
            self.originals: dict[str, object] = {}  # attribute -> the data set as it was
            self._tensors: dict[str, object] = {}

        def prepare_data(self):
            self.inner.prepare_data()

        def setup(self, stage=None):
            self.inner.trainer = self.trainer
            self.inner.setup(stage)
            for name, value in list(vars(self.inner).items()):
                if name.startswith("_") or not _is_map_dataset(value):
                    continue
                if name not in self._tensors:  # decoded once; a later stage reuses it
                    self.originals[name] = value
                    self._tensors[name] = as_tensors(value)
                setattr(self.inner, name, self._tensors[name])

        def train_dataloader(self):
            return self.inner.train_dataloader()

        def val_dataloader(self):
            return self.inner.val_dataloader()

        def test_dataloader(self):
            return self.inner.test_dataloader()

        def predict_dataloader(self):
            return self.inner.predict_dataloader()

        def __getattr__(self, name):  # batch_size, data_path, classes, ...
            if name in ("inner", "originals", "_tensors") or name.startswith("__"):
                raise AttributeError(name)
            return getattr(self.inner, name)

    return InMemory(datamodule)


def original_dataset(datamodule, name: str = "test"):
    """The data set ``name`` of ``datamodule`` as its own ``setup`` made it (also through
    ``in_memory``), with its own transform: what held-out images are fed through."""
    originals = getattr(datamodule, "originals", None)
    if isinstance(originals, dict) and name in originals:
        return originals[name]
    inner = getattr(datamodule, "inner", datamodule)
    return getattr(inner, name)


# --- a progress line ------------------------------------------------------------------


def log_interval() -> int:
    """``log_every_n_steps`` of the kit's reference runs: every 10 steps where someone
    watches the curves grow, every 50 (Lightning's default) otherwise."""
    return 10 if show_progress() else 50


def progress_line(every_s: float = 5.0, stream=None):
    """A Lightning ``Callback`` that prints one line every ``every_s`` seconds while
    training (epoch, step, elapsed time, the latest loss) and one per finished epoch
    (validation accuracy), but only where no progress bar is shown: a run whose output
    goes to a file, a pipe or CI never looks hung, and never pays for a bar."""
    import sys

    import lightning as L

    class ProgressLine(L.Callback):
        def __init__(self):
            self.every_s = every_s
            self.enabled = not show_progress()
            self.stream = stream
            self._start = self._last = 0.0

        def _print(self, text):
            print(pick(text), file=self.stream or sys.stderr, flush=True)

        def on_train_start(self, trainer, pl_module):
            self._start = self._last = time.perf_counter()

        def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
            now = time.perf_counter()
            if not self.enabled or now - self._last < self.every_s:
                return
            self._last = now
            epoch, epochs = trainer.current_epoch + 1, trainer.max_epochs
            total = trainer.num_training_batches
            step = f"{batch_idx + 1}/{total}" if isinstance(total, int) else str(batch_idx + 1)
            loss = trainer.callback_metrics.get("train_loss")
            loss = f", train_loss {float(loss):.4f}" if loss is not None else ""
            secs = now - self._start
            self._print({"en": f"  epoch {epoch}/{epochs}, batch {step}, {secs:.0f} s{loss}",
                         "vi": f"  epoch {epoch}/{epochs}, batch {step}, {secs:.0f} giây{loss}"})

        def on_validation_epoch_end(self, trainer, pl_module):
            if not self.enabled or trainer.sanity_checking:
                return
            acc = trainer.callback_metrics.get("val_acc")
            if acc is None:
                return
            self._last = time.perf_counter()
            secs = self._last - self._start
            epoch = trainer.current_epoch + 1
            self._print({"en": f"  epoch {epoch}/{trainer.max_epochs} done: val_acc "
                               f"{float(acc):.4f} ({secs:.0f} s)",
                         "vi": f"  xong epoch {epoch}/{trainer.max_epochs}: val_acc "
                               f"{float(acc):.4f} ({secs:.0f} giây)"})

    return ProgressLine()
