"""The figures behind the graded-training thresholds in topic.toml: the reference, per
seed, on the plain test set and on held-out sets (secretly shifted test images, a fresh
secret per seed), with the time each run took.

    python measure_thresholds.py mnist [--seeds 123 1 2] [--profile quick]
    python measure_thresholds.py transfer [--seeds 123 1 2] [--profile quick]

The same images go through the model twice: the plain test images in their order (whose
accuracy must equal what ``trainer.test`` reported: the check that the grader's path
prepares images exactly as the datamodule does) and the held-out ones.
"""

import argparse
import tempfile
import time

import torch

from _timing import KIT, table
from grader.core import manifest, scoring
from grader.lab import heldout_images as heldout
from grader.testkit import targets


def _public_test(task: str, held: heldout.HeldOut) -> torch.Tensor:
    """The public test images of the held-out set, unshifted, in the held-out order."""
    if task == "mnist":
        data, _ = heldout._mnist_test(None)
        return data[held.indices]
    samples = heldout._cifar10_files(None)
    return torch.stack([heldout._read_rgb(samples[i][0]) for i in held.indices.tolist()])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("task", choices=["mnist", "transfer"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[123, 1, 2])
    parser.add_argument("--profile", default="quick", choices=["quick", "full"])
    parser.add_argument("--n", type=int, default=None, help="held-out images (transfer: 2000)")
    args = parser.parse_args()
    topic = "02_training" if args.task == "mnist" else "03_transfer"
    train = targets.import_exercise(KIT / "solutions" / topic, "train")
    spec = manifest.load_topic(topic).training(args.task, None if args.task == "mnist" else 1)
    rows, worst = [], 1.0
    for seed in args.seeds:
        held = heldout.build("mnist" if args.task == "mnist" else "cifar10", heldout.new_secret(),
                             n=args.n)
        plain = _public_test(args.task, held)
        images = torch.cat([plain, held.images])
        t0 = time.perf_counter()
        with tempfile.TemporaryDirectory() as out:
            if args.task == "mnist":
                result = train.train_mnist(profile=args.profile, seed=seed, out_dir=out,
                                           eval_images=images)
            else:
                result = train.train_transfer(variant=1, profile=args.profile, seed=seed,
                                              backbone=spec.backbone[args.profile], out_dir=out,
                                              eval_images=images)
        seconds = time.perf_counter() - t0
        pred = result["eval_predictions"]
        on_plain = heldout.score(pred[:len(held)], held.labels)
        on_held = heldout.score(pred[len(held):], held.labels)
        worst = min(worst, on_held)
        device = "gpu" if result["device"] != "cpu" else "cpu"
        points, top, _ = scoring.training_points(on_held, spec, args.profile, device)
        rows.append((f"seed {seed}", f"test_acc {result['test_acc']:.4f}  plain (same "
                                     f"{len(held)} images) {on_plain:.4f}  held-out {on_held:.4f}"
                                     f"  ({on_held - on_plain:+.4f})  {points:g}/{top:g} points  "
                                     f"{seconds:.1f} s in-process on {result['device']}"))
        print(*rows[-1], flush=True)
    print(f"{args.task}, {args.profile} profile, reference solution:")
    table(rows)
    dev = "gpu" if torch.cuda.is_available() and args.profile == "full" else "cpu"
    print(f"worst held-out accuracy {worst:.4f}; topic.toml: floor "
          f"{spec.floor_for(args.profile, dev):g}, threshold {spec.threshold_for(args.profile, dev):g}")


if __name__ == "__main__":
    main()
