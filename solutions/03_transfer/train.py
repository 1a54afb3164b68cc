"""Graded transfer learning: an ImageNet backbone fine-tuned on CIFAR-10.

    ./kit train transfer --variant 1 --backbone mobilenet_v2 --profile quick   # CPU
    ./kit train transfer --variant 1 --profile full                            # GPU, ResNet18

With the backbone frozen (variant 1) its features are computed once and only
the head is trained on them: the same result, many times faster. A grader may hand in
features computed once for the whole class (``features=``, see
``grader/lab/feature_cache.py``): the same result again, without the extraction.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import lightning as L
import torch
import torch.nn.functional as F
from lightning.pytorch.loggers import CSVLogger
from torch.utils.data import DataLoader, Subset, TensorDataset

from grader.lab import feature_cache, training
from grader.lab import weights as kit_weights
from grader.lab.data import locate

from .datamodule import Cifar10DataModule
from .transfer import head_name, load_backbone, prepare_finetuning, preprocessing

def build_datamodule(data_path, weights, batch_size=64, image_size=224):
    """A Cifar10DataModule whose train and test data both get the weights' preprocessing."""
    # TODO: the preprocessing the backbone was trained with (see transfer.py)
    # TODO (vi): cách tiền xử lý mà backbone đã được huấn luyện cùng (xem transfer.py)
    ### BEGIN SOLUTION
    transform = preprocessing(weights)
    ### END SOLUTION
    if image_size != 224 and hasattr(transform, "crop_size"):  # quick profile: smaller images
        transform.crop_size, transform.resize_size = [image_size], [image_size]
    # TODO: a datamodule whose train and test images both get `transform`: the backbone
    # TODO: must see images prepared the way it saw ImageNet
    # TODO (vi): một datamodule mà cả ảnh train lẫn ảnh test đều qua `transform`: backbone
    # TODO (vi): phải thấy ảnh được chuẩn bị đúng như khi nó học ImageNet
    ### BEGIN SOLUTION
    return Cifar10DataModule(data_path, batch_size=batch_size, train_transform=transform,
                             test_transform=transform)
    ### END SOLUTION


class Classifier(L.LightningModule):
    """Cross-entropy training with SGD; logs train_loss, train_acc, val_acc and test_acc."""

    def __init__(self, model, learning_rate):
        super().__init__()
        self.model, self.learning_rate = model, learning_rate

    def forward(self, x):
        return self.model(x)

    def on_train_epoch_start(self):
        for m in self.model.modules():  # frozen BatchNorm keeps its ImageNet statistics
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm) and not any(
                    p.requires_grad for p in m.parameters()):
                m.eval()

    def _step(self, batch, name):
        x, y = batch
        logits = self(x)
        loss = F.cross_entropy(logits, y)
        acc = (logits.argmax(1) == y).float().mean()
        if name == "train":
            self.log("train_loss", loss, batch_size=len(y))
        self.log(f"{name}_acc", acc, on_step=False, on_epoch=True, prog_bar=True,
                 batch_size=len(y))
        return loss

    def training_step(self, batch, batch_idx):
        return self._step(batch, "train")

    def validation_step(self, batch, batch_idx):
        self._step(batch, "val")

    def test_step(self, batch, batch_idx):
        self._step(batch, "test")

    def configure_optimizers(self):
        return torch.optim.SGD([p for p in self.parameters() if p.requires_grad],
                               lr=self.learning_rate)


def _subset(dataset, n, seed):
    if not n or n >= len(dataset):
        return dataset
    order = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(seed))
    return Subset(dataset, order[:n].tolist())


def extract_features(extractor, dataset, batch_size=128, label="", num_workers=0):
    """Run the frozen backbone once over ``dataset``: a TensorDataset of (features, labels)."""
    extractor.eval()
    feats, labels = [], []
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=False, num_workers=num_workers)
    device = next(extractor.parameters()).device
    done, last = 0, time.perf_counter()
    tty = training.show_progress()
    with torch.no_grad():
        for x, y in loader:
            feats.append(extractor(x.to(device)).cpu())
            labels.append(y)
            done += len(y)
            if tty:
                print(f"\r  features {label}: {done}/{len(dataset)}", end="", file=sys.stderr)
            elif time.perf_counter() - last >= 5:  # a line every few seconds, never silent
                last = time.perf_counter()
                print(f"  features {label}: {done}/{len(dataset)}", file=sys.stderr, flush=True)
    if tty:
        print(file=sys.stderr)
    return TensorDataset(torch.cat(feats), torch.cat(labels))


def _head(model):
    parent_name, _, attr = head_name(model).rpartition(".")
    parent = model.get_submodule(parent_name) if parent_name else model
    return parent, attr


def _images_id(data_path, settings, seed):
    """What a feature set's images are: the data, the subsets, the seed that drew them."""
    return (f"{Path(data_path).name} size={settings['image_size']} train={settings['n_train']} "
            f"valid={settings['n_val']} test={settings['n_test']} seed={seed}")


def _setup(variant, profile, backbone, seed, data_path, overrides):
    profile = training.resolve_profile(profile)
    settings = {**training.settings("03_transfer", "transfer", profile, variant), **overrides}
    kit_weights.ensure_available(backbone)  # never fall back to random weights in silence
    weights = kit_weights.weights_enum(backbone)
    data_path = data_path or (locate("cifar10-jpg") / "cifar10-jpg")
    dm = build_datamodule(data_path, weights, settings["batch_size"], settings["image_size"])
    return profile, settings, data_path, dm


def feature_key(backbone="resnet18", profile="auto", seed=123, data_path=None, **overrides):
    """The class-shared cache key of variant 1's features in this run (see
    ``grader/lab/feature_cache.py``): the backbone's weights without the head, what
    this datamodule's preprocessing makes of probe images, and which images."""
    _, settings, data_path, dm = _setup(1, profile, backbone, seed, data_path, overrides)
    model = prepare_finetuning(load_backbone(backbone, "IMAGENET1K_V1"), 1, num_classes=10)
    parent, attr = _head(model)
    setattr(parent, attr, torch.nn.Identity())
    return feature_cache.cache_key(model, dm.test_transform,
                                   _images_id(data_path, settings, seed))


def train_transfer(variant=1, profile="auto", backbone="resnet18", seed=123, data_path=None,
                   out_dir="runs/transfer", features=None, save_features=None, **overrides):
    """Fine-tune an ImageNet ``backbone`` on CIFAR-10 with the lecture's ``variant``.

    Returns ``test_acc``, ``val_acc``, the trainable parameter count, timings (the
    feature extraction separately), the settings, versions and device; writes
    ``metrics.csv``, ``learning_curves.png`` and ``result.json`` into ``out_dir``.
    ``fast_dev_run=True`` runs one batch of each stage.

    Variant 1 only: ``features`` (a dict ``{"train": (x, y), "valid": .., "test": ..}`` or
    a folder written by ``feature_cache.save``) replaces the extraction with features
    computed before for the same key (``result["feature_key"]``); ``save_features`` (a
    folder) keeps the extracted ones. ``result["weights"]`` is what trained: the new head's
    state dict in variant 1 (a grader puts it on the reference backbone and measures the
    accuracy itself, on images this run never sees), the whole model's otherwise.
    """
    start = time.perf_counter()
    profile, settings, data_path, dm = _setup(variant, profile, backbone, seed, data_path,
                                              overrides)
    fast = settings.pop("fast_dev_run", False)
    training.make_deterministic(seed, threads=settings["threads"])
    out_dir = Path(out_dir)

    dm.setup("fit")
    train_set = _subset(dm.train, settings["n_train"], seed)
    val_set = _subset(dm.valid, settings["n_val"], seed)
    test_set = _subset(dm.test, settings["n_test"], seed)
    model = prepare_finetuning(load_backbone(backbone, "IMAGENET1K_V1"), variant, num_classes=10)
    trainable = int(sum(p.numel() for p in model.parameters() if p.requires_grad))

    extract_seconds, key = 0.0, None
    cached = variant == 1 and settings["cache_features"]
    if cached:
        parent, attr = _head(model)
        head = getattr(parent, attr)
        setattr(parent, attr, torch.nn.Identity())
        t0 = time.perf_counter()
        key = feature_cache.cache_key(model, dm.test_transform,
                                      _images_id(data_path, settings, seed))
        sizes = {"train": len(train_set), "valid": len(val_set), "test": len(test_set)}
        if features is not None:
            given = feature_cache.load(features)
            for split, (x, _) in given.items():
                if len(x) != sizes[split]:
                    raise ValueError(f"the features given hold {len(x)} {split} images; this "
                                     f"run uses {sizes[split]}")
            train_set, val_set, test_set = (TensorDataset(*given[s]) for s in
                                            ("train", "valid", "test"))
        else:
            if settings["accelerator"] != "cpu" and torch.cuda.is_available():
                model.to("cuda")  # the one pass over the images, on the GPU when there is one
            train_set, val_set, test_set = (
                extract_features(model, s, label=n, num_workers=settings["num_workers"])
                for s, n in ((train_set, "train"), (val_set, "valid"), (test_set, "test")))
            model.to("cpu")
        if save_features is not None:
            feature_cache.save(save_features, {
                "train": train_set.tensors, "valid": val_set.tensors, "test": test_set.tensors},
                {"backbone": backbone, "images": _images_id(data_path, settings, seed)})
        extract_seconds = time.perf_counter() - t0
        setattr(parent, attr, head)
        module = Classifier(head, settings["learning_rate"])
    elif features is not None:
        raise ValueError("features can only replace the extraction of variant 1 (frozen "
                         "backbone, cache_features=True)")
    else:
        module = Classifier(model, settings["learning_rate"])

    training.reseed(seed)  # the same shuffling whether features were extracted or handed in
    workers = 0 if cached else settings["num_workers"]  # features in memory need no workers
    loader = dict(batch_size=settings["batch_size"], num_workers=workers,
                  persistent_workers=workers > 0)
    trainer = L.Trainer(max_epochs=settings["max_epochs"], accelerator=settings["accelerator"],
                        devices=1, logger=CSVLogger(save_dir=out_dir, name="", version=""),
                        deterministic=True, log_every_n_steps=10, enable_checkpointing=False,
                        enable_model_summary=False, enable_progress_bar=training.show_progress(),
                        callbacks=[training.progress_line()], fast_dev_run=fast)
    t0 = time.perf_counter()
    trainer.fit(module, DataLoader(train_set, shuffle=True, drop_last=True, **loader),
                DataLoader(val_set, **loader))
    train_seconds = time.perf_counter() - t0
    val_acc = float(trainer.callback_metrics.get("val_acc", float("nan")))
    test_acc = float(trainer.test(module, DataLoader(test_set, **loader),
                                  verbose=False)[0]["test_acc"])
    metrics_csv = Path(trainer.logger.log_dir) / "metrics.csv" if not fast else None
    result = {
        "task": "transfer", "variant": variant, "backbone": backbone, "profile": profile,
        "seed": seed, "test_acc": test_acc, "val_acc": val_acc, "trainable_params": trainable,
        "cached_features": cached, "features_given": features is not None,
        "feature_key": key, "extract_seconds": round(extract_seconds, 1),
        "train_seconds": round(train_seconds, 1),
        "seconds": round(time.perf_counter() - start, 1),
        "sizes": {"train": len(train_set), "valid": len(val_set), "test": len(test_set)},
        "settings": settings, **training.run_info(settings["accelerator"]),
    }
    if metrics_csv and metrics_csv.is_file():
        result["metrics_csv"] = str(metrics_csv)
        result["curves_png"] = str(training.plot_learning_curves(
            metrics_csv, out_dir / "learning_curves.png",
            f"{backbone} -> CIFAR-10, variant {variant} ({profile})"))
    training.save_result(result, out_dir)
    # not in result.json: what a grader evaluates, and the figure for its feedback
    parent, attr = _head(model)
    result["weights"] = training.weights_of(getattr(parent, attr) if variant == 1 else model)
    result["weights_of"] = "head" if variant == 1 else "model"
    result["curves_png_bytes"] = training.read_png(result.get("curves_png"))
    return result
