"""The `full` profiles on GPUs: MNIST (10 epochs) and transfer variants 1 and 3 (ResNet18,
CIFAR-10 at 224 px, 50 epochs), the reference solution, with accuracy measured as the
grader measures it (held-out images, secretly shifted) and the time each run took.

    python gpu_full_profiles.py                      # all three runs
    python gpu_full_profiles.py --runs mnist transfer1 --seed 1
    python gpu_full_profiles.py --epochs 2           # a shorter check on the GPU
    python gpu_full_profiles.py --smoke              # the whole path in a minute, CPU too

Each run is a child process holding one GPU from the grader's device queue
(``CUDA_VISIBLE_DEVICES``), so with several GPUs the runs go in parallel. The parent keeps
the labels of the held-out sets; the children only see the images. Without CUDA the
script stops and says so. ResNet18's ImageNet weights must be in the torch hub cache
(``./kit data fetch resnet18-weights``); ``--backbone mobilenet_v2`` uses the other one.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from _timing import KIT, table

RUNS = {"mnist": ("mnist", None), "transfer1": ("transfer", 1), "transfer3": ("transfer", 3)}


SMOKE = {"mnist": dict(max_epochs=1, limit_train_batches=20, limit_val_batches=2,
                       limit_test_batches=2),
         "transfer": dict(max_epochs=1, n_train=128, n_val=32, n_test=32, image_size=64)}


def child(task: str, variant: int, backbone: str, seed: int, extra: dict,
          images: str, out: str) -> None:
    """One run on the GPU this process sees; writes predictions and the result."""
    import torch

    from grader.testkit import targets

    topic = "02_training" if task == "mnist" else "03_transfer"
    train = targets.import_exercise(KIT / "solutions" / topic, "train")
    eval_images = torch.load(images, weights_only=True)
    with tempfile.TemporaryDirectory() as tmp:
        if task == "mnist":
            result = train.train_mnist(profile="full", seed=seed, out_dir=tmp,
                                       eval_images=eval_images, **extra)
        else:
            result = train.train_transfer(variant=variant, profile="full", backbone=backbone,
                                          seed=seed, out_dir=tmp, eval_images=eval_images,
                                          **extra)
    torch.save(result.pop("eval_predictions"), out + ".pt")
    Path(out + ".json").write_text(json.dumps(result, default=str))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", nargs="+", choices=sorted(RUNS), default=list(RUNS))
    parser.add_argument("--backbone", default="resnet18")
    parser.add_argument("--seed", type=int, default=123)
    parser.add_argument("--epochs", type=int, default=None, help="override max_epochs")
    parser.add_argument("--n-cifar", type=int, default=10000, help="held-out CIFAR-10 images")
    parser.add_argument("--smoke", action="store_true",
                        help="a few batches of each run, small images; runs without CUDA too")
    args = parser.parse_args()

    import torch

    from grader.core import manifest, scoring
    from grader.core.i18n import pick
    from grader.lab import weights
    from grader.lab import heldout_images as heldout
    from grader.grading.training import devices

    if args.smoke:
        args.n_cifar = min(args.n_cifar, 100)
        if not torch.cuda.is_available() and not os.environ.get(devices.FAKE_GPUS):
            os.environ[devices.FAKE_GPUS] = "1"  # the queue's path, on the CPU
    elif not torch.cuda.is_available():
        sys.exit(pick({"en": "no CUDA GPU on this machine: the full profiles are meant for a GPU "
                             "(run benchmarks/measure_thresholds.py for the quick ones)",
                       "vi": "máy này không có GPU CUDA: các profile full dành cho GPU (với "
                             "profile quick hãy chạy benchmarks/measure_thresholds.py)"}))
    if any(RUNS[r][0] == "transfer" for r in args.runs):
        try:
            weights.ensure_available(args.backbone)
        except weights.WeightsMissing as exc:
            sys.exit(str(exc))
    queue = devices.DeviceQueue()
    print(queue.describe("en"), flush=True)
    secret = heldout.new_secret()
    sets = {}
    if "mnist" in args.runs:
        sets["mnist"] = heldout.mnist(secret)
    if any(RUNS[r][0] == "transfer" for r in args.runs):
        sets["transfer"] = heldout.cifar10(secret, n=args.n_cifar)
    rows, lock = [], threading.Lock()

    def run(name: str, tmp: Path) -> None:
        task, variant = RUNS[name]
        held = sets[task]
        images = tmp / f"{name}-images.pt"
        torch.save(held.images, images)
        out = str(tmp / name)
        extra = dict(SMOKE[task]) if args.smoke else {}
        if args.epochs:
            extra["max_epochs"] = args.epochs
        cmd = [sys.executable, __file__, "--child", task, str(variant or 0), args.backbone,
               str(args.seed), json.dumps(extra), str(images), out]
        with queue.lease("gpu") as lease:
            t0 = time.perf_counter()
            proc = subprocess.run(cmd, cwd=KIT, env={**os.environ, **lease.env,
                                                     "PYTHONUNBUFFERED": "1"},
                                  capture_output=True, text=True)
            seconds = time.perf_counter() - t0
        if proc.returncode != 0:
            line = (name, f"FAILED on {lease.describe('en')}: {proc.stderr.strip()[-600:]}")
        else:
            result = json.loads(Path(out + ".json").read_text())
            acc = heldout.score(torch.load(out + ".pt", weights_only=True), held.labels)
            topic = manifest.load_topic("02_training" if task == "mnist" else "03_transfer")
            spec = topic.training(task, variant)
            points, top, _ = scoring.training_points(acc, spec, "full", "gpu")
            line = (name, f"test_acc {result['test_acc']:.4f}  held-out {acc:.4f} "
                          f"({len(held)} images; threshold {spec.threshold_for('full', 'gpu'):g}"
                          f", {points:g}/{top:g} points)  {seconds:.0f} s wall, "
                          f"{result.get('extract_seconds', 0)} s features  on "
                          f"{result['device']} ({lease.describe('en')})  "
                          f"epochs {result['settings']['max_epochs']}")
        with lock:
            rows.append(line)
            print(*line, flush=True)

    with tempfile.TemporaryDirectory(prefix="cnnkit-gpu-") as tmp:
        threads = [threading.Thread(target=run, args=(name, Path(tmp))) for name in args.runs]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    what = "SMOKE RUN (not the full settings)" if args.smoke else "full profiles"
    print(f"{what}, reference solution, seed {args.seed}, backbone {args.backbone}:")
    table(sorted(rows))


if __name__ == "__main__":
    if "--child" in sys.argv:
        i = sys.argv.index("--child")
        task, variant, backbone, seed, extra, images, out = sys.argv[i + 1:i + 8]
        child(task, int(variant), backbone, int(seed), json.loads(extra), images, out)
    else:
        main()
