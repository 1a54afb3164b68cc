"""Probes: kit functions run beside the student's code, returning plain data.

Some checks need the student's objects inside a framework (a Lightning Trainer, a
DataLoader, a matplotlib figure, a patched function). A probe does that work where the
student's code lives and reports data. What a probe reports is the student's side's word:
tests use it to explain, and earn points only with checks the trusted side computes itself.
"""

from __future__ import annotations

import weakref

from grader.core.i18n import pick
from grader.testkit.layers import trace as run


def _error(exc: BaseException | None):
    if exc is None:
        return None
    root = exc.__cause__ or exc
    return {"type": type(root).__name__, "message": str(root)[:4000]}


def trace(model, inputs, want_record: bool):
    """``grader.testkit.layers.trace`` on the student's module: its layers as data."""
    record = {} if want_record else None
    layers, error = run(model, inputs, record)
    return {"layers": [layer.to_data() for layer in layers], "record": record,
            "error": _error(error)}


def figure_facts(module, function: str, *args):
    """Call ``module.function(*args)``, which should return a matplotlib figure, with
    ``plt.show`` forbidden; report what the figure shows and how many pyplot figures the
    call left open besides it."""
    import matplotlib.pyplot as plt
    import numpy as np
    import torch
    from matplotlib.figure import Figure

    def forbidden(*a, **k):
        raise AssertionError(pick({
            "en": f"{function} called plt.show(): return the figure instead",
            "vi": f"{function} đã gọi plt.show(): hãy trả về figure thay vì hiển thị"}))

    before = set(plt.get_fignums())
    saved, plt.show = plt.show, forbidden
    try:
        fig = getattr(module, function)(*args)
    finally:
        plt.show = saved
        opened = set(plt.get_fignums()) - before
        kept = {getattr(locals().get("fig"), "number", None)}
        leaked = len(opened - kept)
        for number in opened:
            plt.close(number)
    facts = {"type": type(fig).__name__, "is_figure": isinstance(fig, Figure),
             "leaked": leaked, "panels": [], "suptitle": ""}
    if not facts["is_figure"]:
        return facts
    for ax in fig.axes:
        if not ax.images:
            continue
        image = ax.images[0]
        facts["panels"].append({
            "array": torch.from_numpy(np.array(image.get_array(), dtype=np.float64)),
            "cmap": image.get_cmap().name, "axis_on": bool(ax.axison),
            "position": tuple(float(v) for v in ax.get_position().bounds)})
    facts["suptitle"] = fig._suptitle.get_text() if fig._suptitle else ""
    return facts


_FINE_TUNED = weakref.WeakKeyDictionary()  # the student's module -> {(backbone, ...): network}


def _built(module, backbone: str, variant: int, num_classes: int):
    """``prepare_finetuning(load_backbone(backbone, weights=None), variant, num_classes)``,
    drawn from torch's seed 0 (the caller's random state is left as it was), and whether
    it is kept: one made only of torch and torchvision layers is built once per module and
    (backbone, variant, num_classes); any other is built for each call."""
    import torch

    kept = _FINE_TUNED.setdefault(module, {})
    key = (backbone, variant, num_classes)
    if key in kept:
        return kept[key], True
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        network = module.prepare_finetuning(module.load_backbone(backbone, weights=None),
                                            variant, num_classes=num_classes)
    if all(type(m).__module__.split(".")[0] in ("torch", "torchvision")
           for m in network.modules()):
        kept[key] = network
        return network, True
    return network, False


def fine_tuned(module, backbone: str, variant: int, num_classes: int):
    """The fine-tuned network in one call (``_built``): it comes back once, and the
    backbone never crosses to the trusted side and back (a ResNet18 is 45 MB each way).
    The trusted side inspects what returns."""
    return _built(module, backbone, variant, num_classes)[0]


def trainable_count_of_fine_tuned(module, backbone: str, variant: int, num_classes: int):
    """The student's ``trainable_parameter_count`` of that network: the student's answer,
    counted here, so the network never crosses to the trusted side and back for a number.
    A kept network is counted on its own deep copy, so a count that changes it cannot
    change what comes later."""
    import copy

    network, kept = _built(module, backbone, variant, num_classes)
    return module.trainable_parameter_count(copy.deepcopy(network) if kept else network)


def loader_facts(loader):
    """How a DataLoader was built: its sampler, batch size and drop_last."""
    return {"sampler": type(getattr(loader, "sampler", None)).__name__,
            "batch_size": getattr(loader, "batch_size", None),
            "drop_last": getattr(loader, "drop_last", None)}


def loader_epochs(loader, epochs: int, seed: int):
    """What a DataLoader yields over ``epochs`` passes, drawn from torch's ``seed`` (the
    caller's random state is left as it was): per epoch, per batch, one fingerprint per
    image (the sum of its values, rounded) and its label. Plain data: the trusted side
    matches the fingerprints against images it read itself."""
    import torch

    out = []
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for _ in range(epochs):
            out.append([[(round(float(x.double().sum()), 3), int(y))
                         for x, y in zip(images, labels)] for images, labels in loader])
    return out


def prepare_data_adds(module, data_path: str):
    """Attributes ``MnistDataModule(data_path).prepare_data()`` sets on the module."""
    import copy

    dm = module.MnistDataModule(data_path=data_path)
    before = copy.copy(vars(dm))
    dm.prepare_data()
    return sorted(set(vars(dm)) - set(before))


def lightning_fast_dev_run(module, net, seed: int):
    """One training and one validation batch, then a test: what got logged."""
    import torch

    # lazy: keeps numpy, torch out of start-up
    from grader.testkit.toy_models import mnist_loaders, quiet_trainer

    torch.manual_seed(seed)
    train, val = mnist_loaders()
    model = module.LightningModel(net, learning_rate=0.1)
    trainer = quiet_trainer(fast_dev_run=True)
    trainer.fit(model, train_dataloaders=train, val_dataloaders=val)
    logged = sorted(trainer.callback_metrics)
    tested = trainer.test(model, dataloaders=val, verbose=False)
    return {"logged": logged, "tested": [dict(d) for d in tested]}


def _optimizers_of(conf):
    """The optimizers in what ``configure_optimizers`` returned, read by Lightning's own rule
    (an optimizer; a list or tuple of them; ``[optimizers], [schedulers]``; a dict with
    "optimizer" and "lr_scheduler"; a list of such dicts), or ``None`` where Lightning
    refuses the form. The local reading is used only where Lightning's changes name."""
    try:
        from lightning.pytorch.core.optimizer import _configure_optimizers
    except ImportError:  # pragma: no cover - another Lightning version
        _configure_optimizers = None
    if _configure_optimizers is not None:
        try:
            return list(_configure_optimizers(conf)[0])
        except Exception:
            return None
    if isinstance(conf, dict):
        return [conf.get("optimizer")]
    if isinstance(conf, (list, tuple)) and len(conf) == 2 and isinstance(conf[0], list):
        return list(conf[0])
    if isinstance(conf, (list, tuple)):
        return [c.get("optimizer") if isinstance(c, dict) else c for c in conf]
    return [conf]


def lightning_optimizer(module, net, learning_rate: float):
    """The optimizer ``configure_optimizers`` makes, in any form Lightning accepts: its
    type, its learning rate before any scheduler's step, and whether it holds exactly the
    module's parameters; ``count`` optimizers, ``form`` what was returned."""
    import torch

    model = module.LightningModel(net, learning_rate=learning_rate)
    conf = model.configure_optimizers()
    found = _optimizers_of(conf)
    facts = {"form": type(conf).__name__, "count": None if found is None else len(found),
             "type": None, "is_sgd": False, "lr": None, "all_params": False}
    if not found:
        return facts
    opt = found[0]
    groups = getattr(opt, "param_groups", [{}])
    ids = [id(p) for g in groups for p in g.get("params", [])]
    facts.update(type=type(opt).__name__, is_sgd=isinstance(opt, torch.optim.SGD),
                 lr=groups[0].get("initial_lr", groups[0].get("lr")),
                 all_params=sorted(ids) == sorted(id(p) for p in model.parameters()))
    return facts


def lightning_val_acc(module, net, seed: int):
    """``trainer.validate`` on the small validation set: the logged val_acc."""
    import torch

    # lazy: keeps numpy, torch out of start-up
    from grader.testkit.toy_models import mnist_loaders, quiet_trainer

    torch.manual_seed(seed)
    _, val = mnist_loaders()
    model = module.LightningModel(net, learning_rate=0.1)
    return float(quiet_trainer().validate(model, dataloaders=val, verbose=False)[0]["val_acc"])


def compute_accuracy_modes(module, probe_model):
    """``compute_accuracy(probe_model, val)``, and the training flags the model saw."""
    from grader.testkit.toy_models import mnist_loaders  # lazy: keeps numpy, torch out of start-up

    _, val = mnist_loaders()
    got = module.compute_accuracy(probe_model, val)
    return {"accuracy": got, "modes": list(probe_model.modes)}


def training_run(module, function: str, kwargs: dict):
    """Run ``module.function(out_dir=<fresh folder>, **kwargs)`` and read back what it wrote:
    the result, the metrics CSV's columns, the PNG's first bytes and result.json. The folder
    is removed afterwards: a student's own pytest leaves nothing in the temp folder."""
    import csv
    import json
    import shutil
    import tempfile
    from pathlib import Path

    out_dir = Path(tempfile.mkdtemp(prefix="cnnkit-run-"))
    try:
        result = getattr(module, function)(out_dir=out_dir, **kwargs)
        facts = {"result": result, "columns": None, "png": b"", "saved": None}
        try:
            with open(result["metrics_csv"], newline="") as fh:
                facts["columns"] = sorted(next(csv.reader(fh)))
            with open(result["curves_png"], "rb") as fh:
                facts["png"] = fh.read(8)
            facts["saved"] = json.loads((out_dir / "result.json").read_text())
        except (OSError, KeyError, TypeError, ValueError, StopIteration) as exc:
            facts["error"] = f"{type(exc).__name__}: {exc}"
        return facts
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)


def graded_training(module, function: str, kwargs: dict, images):
    """A graded run: ``module.function(out_dir=..., eval_images=images, **kwargs)`` trains,
    then classifies ``images``, which the grader chose (the kit's code after the student's
    TODOs does this with the trained model and the student's own test transform). Only
    the predictions earn points, scored where the labels are; what the run reports about
    itself is shown, never scored."""
    import tempfile
    import time
    from pathlib import Path

    import torch

    start = time.monotonic()
    out_dir = Path(tempfile.mkdtemp(prefix="cnnkit-graded-"))
    result = getattr(module, function)(out_dir=out_dir, eval_images=images, **kwargs)
    if not isinstance(result, dict):
        return {"error": f"{function} returned {type(result).__name__}, not a dict"}
    facts = {"reported": {k: result.get(k) for k in ("test_acc", "val_acc", "profile",
                                                       "device", "feature_key")
                          if isinstance(result.get(k), (int, float, str))},
             "train_seconds": round(time.monotonic() - start, 1), "png": b""}
    try:
        with open(result["curves_png"], "rb") as fh:
            facts["png"] = fh.read(4 << 20)
    except (OSError, KeyError, TypeError):
        pass
    predictions = result.get("eval_predictions")
    facts["predictions"] = predictions.detach().cpu() if isinstance(
        predictions, torch.Tensor) else predictions
    return facts


def feature_key(module, kwargs: dict):
    """``module.feature_key(**kwargs)``: which class-shared features this run would use."""
    return module.feature_key(**kwargs)


def learning_run(module, build: dict, init_seed: int, data: tuple, augment=None,
                 global_seed: int | None = None, **kwargs):
    """``module.small_cnn(**build)`` built after ``torch.manual_seed(init_seed)``, trained
    by ``module.learning_curves`` (``augment="student"``: with ``module.mnist_augmentation()``;
    ``global_seed``: the global generator reseeded before training); the curves it
    reported, and the trained model, which the test measures itself."""
    import torch

    torch.manual_seed(init_seed)
    model = module.small_cnn(**build)
    if global_seed is not None:
        torch.manual_seed(global_seed)
    if augment == "student":
        augment = module.mnist_augmentation()
    curves = module.learning_curves(model, *data, augment=augment, **kwargs)
    return {"curves": curves, "model": model}
