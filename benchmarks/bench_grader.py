"""Grading 20 submissions of topic 01_cnn with -j 1 and -j 2, beside bare pytest runs of
the same tests, as ratios measured in one run (aim: overhead <= 1.5x, -j 2 faster).
Grading runs each student in a bubblewrap box; bare pytest runs unboxed."""

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _timing import KIT, table

parser = argparse.ArgumentParser()
parser.add_argument("-n", type=int, default=20)
n = parser.parse_args().n
py = sys.executable

from grader.grading import box  # noqa: E402

if box.available():
    sys.exit(f"bench_grader: {box.available()}")
with tempfile.TemporaryDirectory() as tmp:
    subs = Path(tmp) / "subs"
    for i in range(n):
        shutil.copytree(KIT / "solutions" / "01_cnn", subs / f"student{i:02d}" / "01_cnn")
    tests = [str(KIT / "solutions/01_cnn"), str(KIT / "hidden_tests/01_cnn")]
    t0 = time.perf_counter()
    for i in range(n):
        subprocess.run([py, "-m", "pytest", *tests, f"--target={subs / f'student{i:02d}'}", "-q"],
                       cwd=KIT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    bare = time.perf_counter() - t0
    timings = {}
    for jobs in (1, 2):
        t0 = time.perf_counter()
        subprocess.run([py, "-m", "grader", "grade", str(subs), "--out", f"{tmp}/out{jobs}",
                        "-j", str(jobs), "--topics", "01_cnn"], cwd=KIT,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        timings[jobs] = time.perf_counter() - t0
print(f"{n} submissions of 01_cnn (visible + hidden tests):")
table([("bare pytest, one after another", f"{bare:.1f} s"),
       ("cnnkit grade -j 1", f"{timings[1]:.1f} s  ({timings[1] / bare:.2f}x bare; aim <= 1.5x)"),
       ("cnnkit grade -j 2", f"{timings[2]:.1f} s  ({timings[2] / bare:.2f}x bare, "
                             f"{timings[1] / timings[2]:.2f}x faster than -j 1)")])
