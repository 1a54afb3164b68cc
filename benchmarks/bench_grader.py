"""Grading 20 submissions of topic 01_cnn with -j 1 and -j 2, beside bare pytest runs of
the same tests, as ratios measured in one run (aim: overhead <= 1.5x, -j 2 faster).
Grading runs each student in a bubblewrap box; bare pytest runs unboxed.

``--per-student N`` instead grades N copies of the reference in all three topics
(``--train off``) and prints the CPU seconds the grading took per student, every child
process counted (aim: <= 10 core-seconds per student). The machine check runs first and
is not counted."""

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
parser.add_argument("--per-student", type=int, default=0, metavar="N")
args = parser.parse_args()
n = args.n
py = sys.executable


def core_seconds_per_student(count: int) -> None:
    """CPU time (user + system, all children) of grading ``count`` references, per student."""
    import resource

    topics = ["01_cnn", "02_training", "03_transfer"]
    with tempfile.TemporaryDirectory() as tmp:
        subs = Path(tmp) / "subs"
        for i in range(count):
            for topic in topics:
                shutil.copytree(KIT / "solutions" / topic, subs / f"student{i:02d}" / topic)
        subprocess.run([py, "-m", "grader", "doctor", "--topics", *topics], cwd=KIT,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # not counted
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run([py, "-m", "grader", "grade", str(subs), "--out", f"{tmp}/out",
                        "-j", "2", "--topics", *topics, "--train", "off"], cwd=KIT,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wall_s = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(f"{count} references graded in {', '.join(topics)} (-j 2, --train off):")
    table([("wall time", f"{wall_s:.1f} s"),
           ("CPU time, all processes", f"{cpu:.1f} core-s"),
           ("per student", f"{cpu / count:.1f} core-s  (aim <= 10)")])


if args.per_student:
    core_seconds_per_student(args.per_student)
    sys.exit(0)

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
