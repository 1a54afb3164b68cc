"""`train mnist --profile quick`, per student, against the plain-loop floor, in one run.

Each row is a fresh process, timed from its start to its end (imports, reading MNIST,
training, the test set, the learning curves), one after the other under the same load:

- plain loop: the floor. The same in-memory tensors (55,000 / 5,000 split seeded 42, test
  set), the same epochs, batch size, learning rate, SGD, thread count and seed, as a bare
  PyTorch loop with no Lightning, no logging, no plot;
- reference: ``./kit train mnist --profile quick --target solutions``;
- lecture-style student: the same command on the independently written lecture-style
  submission (tests/support/lecture_submission.py: the slide's Trainer, default logging,
  an extra ``trainer.validate``).

    python bench_training_quick.py              # the three rows
    python bench_training_quick.py --pil        # and the reference reading PIL images per epoch
"""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _timing import KIT, table

SEED = 123


def plain_loop() -> None:
    """The floor, run in its own process (``--plain``): prints test accuracy and seconds."""
    start = time.perf_counter()
    import torch
    from torch.utils.data import DataLoader, TensorDataset, random_split
    from torchvision import datasets

    from grader.lab import training
    from grader.lab.data import locate
    from grader.testkit import targets

    topic = KIT / "solutions" / "02_training"
    PyTorchCNN = targets.import_exercise(topic, "cnn").PyTorchCNN
    quick = training.settings("02_training", "mnist", "quick")
    torch.set_num_threads(quick["threads"])
    torch.manual_seed(SEED)
    root = str(locate("mnist"))
    train = datasets.MNIST(root, train=True)
    test = datasets.MNIST(root, train=False)
    x = train.data.unsqueeze(1).float().div(255)
    split = random_split(range(len(x)), [55000, 5000], generator=torch.Generator().manual_seed(42))
    tr, va = (torch.as_tensor(list(s)) for s in split)
    loader = DataLoader(TensorDataset(x[tr], train.targets[tr]), batch_size=quick["batch_size"],
                        shuffle=True, drop_last=True)
    x_val, y_val = x[va], train.targets[va]
    x_test, y_test = test.data.unsqueeze(1).float().div(255), test.targets
    model = PyTorchCNN(10)
    opt = torch.optim.SGD(model.parameters(), lr=quick["learning_rate"])

    def accuracy(xs, ys):
        model.eval()
        with torch.no_grad():
            hits = sum(int((model(xs[i:i + 500]).argmax(1) == ys[i:i + 500]).sum())
                       for i in range(0, len(xs), 500))
        model.train()
        return hits / len(xs)

    for _ in range(quick["max_epochs"]):
        for xb, yb in loader:
            loss = torch.nn.functional.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
        accuracy(x_val, y_val)
    print(f"RESULT {accuracy(x_test, y_test):.4f} {time.perf_counter() - start:.1f}")


def _timed(cmd, **kw) -> tuple[float, str]:
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONUNBUFFERED": "1"}
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=KIT, env=env, capture_output=True, text=True, **kw)
    seconds = time.perf_counter() - t0
    if proc.returncode not in (0, 1):
        sys.exit(f"{' '.join(map(str, cmd))} failed:\n{proc.stdout}\n{proc.stderr}")
    return seconds, proc.stdout


def _accuracy(output: str) -> str:
    for line in output.splitlines():
        if line.startswith("RESULT"):
            return line.split()[1]
        if line.startswith("test accuracy"):
            return line.split()[2]
    return "?"


def _load() -> str:
    return ", ".join(f"{v:.1f}" for v in os.getloadavg())


def main() -> None:
    sys.path.insert(0, str(KIT / "tests"))
    from support.equivalents import apply_all
    from support.lecture_submission import SUBMISSION

    python = sys.executable
    kit = [python, "-m", "grader", "train", "mnist", "--profile", "quick", "--seed", str(SEED)]
    rows = []
    with tempfile.TemporaryDirectory(prefix="cnnkit-bench-") as tmp:
        lecture = Path(tmp) / "lecture"
        apply_all("02_training", SUBMISSION["02_training"], lecture)
        runs = [("plain loop (floor)", [python, __file__, "--plain"]),
                ("reference (solutions)", kit + ["--target", "solutions", "--out", f"{tmp}/ref"]),
                ("lecture-style student", kit + ["--target", str(lecture), "--out", f"{tmp}/lec"])]
        if "--pil" in sys.argv:
            runs.append(("reference, PIL images every epoch", [python, "-c", (
                "import sys; sys.path.insert(0, '.'); from grader.testkit import targets; "
                "t = targets.import_exercise(targets.target_topic_dir('solutions', '02_training'),"
                f" 'train'); r = t.train_mnist(profile='quick', seed={SEED}, in_memory=False, "
                f"out_dir='{tmp}/pil'); print('test accuracy', round(r['test_acc'], 4))")]))
        floor = None
        for name, cmd in runs:
            print(f"  running: {name} (load average {_load()})", flush=True)
            seconds, out = _timed(cmd)
            floor = floor or seconds
            rows.append((name, f"{seconds:6.1f} s  {seconds / floor:4.2f}x floor  "
                               f"test_acc {_accuracy(out)}"))
    print(f"MNIST quick profile, seed {SEED}, wall time per process (load average now {_load()}):")
    table(rows)


if __name__ == "__main__":
    if "--plain" in sys.argv:
        plain_loop()
    else:
        main()
