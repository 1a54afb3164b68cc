"""The graded training of 6 submissions, as `cnnkit grade -j 2 --train quick` runs it, in one run.

Each submission is the reference (the sample alice). Every training run goes through the
grader's path: a boxed worker on a leased CPU slot, the grader's held-out images, points.

- transfer variant 1 (MobileNetV2, quick) for the 6, with the class's shared feature
  cache (the reference extracts once, each student trains only the head) and without it
  (each student extracts their own features);
- MNIST quick for the 6: each student's time against the plain-loop floor (the same
  tensors, epochs, batch, learning rate and thread in a bare PyTorch loop, one process).

    python bench_graded_training.py            # everything (about 20 minutes on 2 cores)
    python bench_graded_training.py --n 2      # fewer submissions
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from _timing import KIT, table
from grader.core import manifest
from grader.core.limits import DEFAULTS
from grader.grading.box import uids as box_uids
from grader.grading.training import graded_run


def _submissions(root: Path, n: int, topic: str) -> list[Path]:
    dirs = []
    for i in range(n):
        with zipfile.ZipFile(KIT / "samples" / "submissions" / "alice.zip") as zf:
            zf.extractall(root / f"s{i}")
        dirs.append(root / f"s{i}" / "exercises" / topic)
    return dirs


def _grade_all(topic: str, spec, dirs: list[Path], plan, jobs: int = 2):
    uids = box_uids.host_uids(DEFAULTS, jobs)  # one box uid per parallel run, as grade does

    def one(topic_dir):
        uid = uids.get()
        try:
            return graded_run.run_one(topic, spec, topic_dir, plan, DEFAULTS, uid)
        finally:
            uids.put(uid)

    start = time.monotonic()
    with ThreadPoolExecutor(jobs) as pool:
        done = list(pool.map(one, dirs))
    return time.monotonic() - start, [d.record for d in done]


def _load() -> str:
    return ", ".join(f"{v:.1f}" for v in os.getloadavg())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=6)
    n = ap.parse_args().n
    rows = []
    with tempfile.TemporaryDirectory(prefix="cnnkit-bench-") as tmp:
        tmp = Path(tmp)
        transfer = manifest.load_topic("03_transfer").training("transfer", 1)
        dirs = _submissions(tmp / "transfer", n, "03_transfer")
        for label, cache in (("with the shared feature cache", tmp / "cache"),
                             ("without it (each extracts its own)", None)):
            print(f"  transfer variant 1, {n} submissions, {label} (load {_load()})", flush=True)
            plan = graded_run.plan("quick", cache_root=cache, key=b"bench")  # same images
            seconds, records = _grade_all("03_transfer", transfer, dirs, plan)
            accs = ", ".join(f"{r['accuracy']}" for r in records)
            for r in records:
                if r["accuracy"] is None:
                    print(f"    a run failed: {r['reason']['en']}\n{r.get('log_tail', '')}")
            rows.append((f"transfer v1 x{n}, {label}",
                         f"{seconds:6.1f} s in all, {seconds / n:5.1f} s per student; "
                         f"held-out accuracy {accs}; features: "
                         f"{sorted({r.get('features') for r in records})}"))
        print(f"  MNIST plain-loop floor (load {_load()})", flush=True)
        start = time.monotonic()
        subprocess.run([sys.executable, str(KIT / "benchmarks" / "bench_training_quick.py"),
                        "--plain"], check=True, capture_output=True)
        floor = time.monotonic() - start
        mnist = manifest.load_topic("02_training").training("mnist")
        print(f"  MNIST quick, {n} submissions (load {_load()})", flush=True)
        seconds, records = _grade_all("02_training", mnist, _submissions(tmp / "mnist", n,
                                                                         "02_training"),
                                      graded_run.plan("quick"))
        rows.append(("MNIST plain loop (floor), one process", f"{floor:6.1f} s"))
        for i, r in enumerate(records):
            if r["train_seconds"] is None:  # the run failed: say why, never a made-up time
                rows.append((f"MNIST quick, student {i + 1}", f"failed: {r['reason']['en']}"))
                continue
            rows.append((f"MNIST quick, student {i + 1} (in its box)",
                         f"{r['train_seconds']:6.1f} s  {r['train_seconds'] / floor:4.2f}x floor"
                         f"  held-out accuracy {r['accuracy']}  points {r['points']:g}"))
        rows.append((f"MNIST quick x{n}, 2 CPU slots", f"{seconds:6.1f} s in all"))
    print(f"graded training through the grader, quick profile (load average now {_load()}):")
    table(rows)


if __name__ == "__main__":
    main()
