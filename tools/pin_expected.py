"""Write the pinned figures that visible tests compare with: ``expected_*.pt``.

Run from the kit's root after changing a reference solution:

    python tools/pin_expected.py

Each file holds layer lists, effects and outputs computed by ``solutions/`` on
formula inputs and weights (``grader.testkit.pinned``); never code, never data.
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from grader.core import paths  # noqa: E402
from grader.testkit import pinned  # noqa: E402
from grader.testkit.targets import import_exercise  # noqa: E402

MLP_WIDTHS = [12, 8, 6, 10]
MLP_INPUT = (2, 3, 224, 224)
AUG_TEST_IMAGES = [(40, 56, 1), (150, 150, 2), (33, 200, 3)]
AUG_TRAIN_IMAGE = (40, 56, 4)
AUG_SEEDS = range(5)
AUG_POOL = 8


def _module(topic: str, name: str):
    return import_exercise(paths.solutions_dir() / topic, name)


def pin_models() -> dict:
    models = _module("01_cnn", "models")
    torch.manual_seed(0)
    out = {"ml_cnn": pinned.describe_network(models.ML_CNN(), pinned.pinned_input((2, 1, 12, 12))),
           "classifier": pinned.describe_network(models.ML_CNNClassifier(),
                                                 pinned.pinned_input((2, 1, 28, 28)))}
    with torch.device("meta"):
        mlp = models.MLP()
    pinned.shrink_linears(mlp, MLP_WIDTHS, MLP_INPUT)
    out["mlp_small"] = pinned.describe_network(mlp, pinned.pinned_input(MLP_INPUT))
    out["mlp_small"]["widths"] = MLP_WIDTHS
    return out


def pin_cnn() -> dict:
    cnn = _module("02_training", "cnn")
    return {"cnn10": pinned.describe_network(cnn.PyTorchCNN(10), pinned.pinned_input((8, 1, 28, 28)),
                                             modes=("train", "eval"))}


def pin_augmentation() -> dict:
    aug = _module("02_training", "augmentation")
    test = aug.build_test_transform()
    train = aug.build_train_transform()
    out = {"pool": AUG_POOL, "test": [], "train": []}
    for h, w, salt in AUG_TEST_IMAGES:
        out["test"].append({"image": (h, w, salt), "pooled": pinned.pooled(test(pinned.pinned_image(h, w, salt)), AUG_POOL)})
    h, w, salt = AUG_TRAIN_IMAGE
    for seed in AUG_SEEDS:
        torch.manual_seed(seed)
        out["train"].append({"image": (h, w, salt), "seed": seed,
                             "pooled": pinned.pooled(train(pinned.pinned_image(h, w, salt)), AUG_POOL)})
    return out


def main() -> int:
    jobs = [("01_cnn", "models", pin_models), ("02_training", "cnn", pin_cnn),
            ("02_training", "augmentation", pin_augmentation)]
    for topic, name, job in jobs:
        path = paths.solutions_dir() / topic / f"expected_{name}.pt"
        torch.save(job(), path)
        print(f"wrote {path.relative_to(paths.KIT_ROOT)} ({path.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
