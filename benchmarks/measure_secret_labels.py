"""What the secret labels cost an honest MNIST run: the reference solution trained on MNIST
whose labels are renamed by a fresh permutation (as a graded run's box shows them), its
weights scored as the grader scores them (held-out images, the renamed labels), beside the
same seed on the public labels.

    python measure_secret_labels.py [--draws 3] [--seed 123] [--profile quick]

Prints, per run: the permutation's draw, the accuracy on held-out images by this run's
labels and by the public ones, and the time; then the load average.
"""

import argparse
import os
import tempfile
import time
from pathlib import Path

import torch

from _timing import KIT, table
from grader.lab import heldout_images as heldout
from grader.grading.training import secret_labels
from grader.lab import reference_eval
from grader.lab.data import locate
from grader.testkit import targets

RAW = ("train-images-idx3-ubyte", "t10k-images-idx3-ubyte")


def relabelled_mnist(folder: Path, labels: secret_labels.SecretLabels) -> Path:
    """A data root whose MNIST has ``labels``' names for the classes (images linked)."""
    source = locate("mnist") / "MNIST" / "raw"
    raw = folder / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name in RAW:
        (raw / name).symlink_to(source / name)
    for name in secret_labels.MNIST_LABELS:
        secret_labels.relabel_idx(source / name, raw / name, labels.permutation)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--draws", type=int, default=3)
    parser.add_argument("--seed", type=int, default=123)
    parser.add_argument("--profile", default="quick", choices=["quick", "full"])
    args = parser.parse_args()
    train = targets.import_exercise(KIT / "solutions" / "02_training", "train")
    held = heldout.build("mnist", heldout.new_secret(), n=5000)
    rows = []
    for draw in range(args.draws + 1):
        labels = secret_labels.identity() if draw == 0 else \
            secret_labels.SecretLabels(secret_labels.derangement())
        with tempfile.TemporaryDirectory() as tmp:
            root = relabelled_mnist(Path(tmp) / "data", labels)
            t0 = time.perf_counter()
            result = train.train_mnist(profile=args.profile, seed=args.seed, data_path=root,
                                       out_dir=Path(tmp) / "run")
            seconds = time.perf_counter() - t0
        pred = reference_eval.mnist_predictions(result["weights"], held.images)
        ours = heldout.score(pred, labels.relabel(held.labels))
        public = heldout.score(pred, held.labels)
        name = "public labels" if draw == 0 else f"secret labels, draw {draw}"
        rows.append((name, f"held-out {ours:.4f} by the run's labels, {public:.4f} by the "
                           f"public ones; {seconds:.1f} s"))
        print(rows[-1], flush=True)
    print(f"\nreference {args.profile}, seed {args.seed}, {len(held)} held-out images:")
    table(rows)
    print(f"  load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    torch.set_num_threads(1)
    main()
