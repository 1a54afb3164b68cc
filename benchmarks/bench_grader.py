"""Grading 20 submissions of topic 01_cnn with -j 1 and -j 2, beside bare pytest runs of
the same tests, as ratios measured in one run (aim: overhead <= 1.5x, -j 2 faster).
Grading runs each student in a bubblewrap box; bare pytest runs unboxed.

``--per-student N`` instead grades N copies of the reference in all three topics
(``--train off``, ``-j``) and prints the CPU seconds the grading took per student, every
process counted (boxes included, through a cgroup where one can be made), warm templates
beside cold starts (aim: <= 10 core-seconds per student), at each ``-j`` given, and with
``--per-topic`` each topic alone. ``doctor`` runs first and is not counted.

    python benchmarks/bench_grader.py --per-student 12 -j 1 2 --per-topic"""

import argparse
import json
import os
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
parser.add_argument("-j", "--jobs", type=int, nargs="+", default=[2],
                    help="parallel jobs; several values (-j 1 2) measure each")
parser.add_argument("--warm-only", action="store_true", help="no cold run beside the warm one")
parser.add_argument("--json", metavar="FILE", help="also write the figures here (readme_table.py)")
parser.add_argument("--per-topic", action="store_true",
                    help="also grade each topic alone (warm, the first -j)")
args = parser.parse_args()
n = args.n
py = sys.executable


class CpuMeter:
    """CPU time of a process tree, boxes included. A killed box's processes are never
    waited for by the grader, so getrusage(RUSAGE_CHILDREN) misses them; a cgroup (v2
    ``cpu.stat`` or v1 ``cpuacct``) counts every process that ran in it. Falls back to
    getrusage, and says so, where no cgroup can be made (not root)."""

    def __init__(self):
        self.folder, self.kind = None, "getrusage (boxes killed at the end not counted)"
        for root, usage, kind in (("/sys/fs/cgroup", "cpu.stat", "cgroup v2"),
                                  ("/sys/fs/cgroup/cpuacct", "cpuacct.usage", "cgroup v1")):
            folder = Path(root) / f"cnnkit-bench-{os.getpid()}"
            try:
                folder.mkdir()
            except OSError:
                continue
            if (folder / usage).exists():
                self.folder, self.usage, self.kind = folder, folder / usage, kind
                break
            folder.rmdir()

    def join(self) -> None:  # a preexec_fn: the child and all it starts are counted
        if self.folder is not None:
            (self.folder / "cgroup.procs").write_text(str(os.getpid()))

    def seconds(self) -> float:
        if self.folder is None:
            import resource

            r = resource.getrusage(resource.RUSAGE_CHILDREN)
            return r.ru_utime + r.ru_stime
        text = self.usage.read_text()
        if self.usage.name == "cpu.stat":
            return int(text.split("usage_usec")[1].split()[0]) / 1e6
        return int(text) / 1e9

    def close(self) -> None:
        if self.folder is not None:
            for _ in range(50):
                try:
                    self.folder.rmdir()
                    return
                except OSError:
                    time.sleep(0.1)


def _grade(meter: CpuMeter, subs: Path, out: Path, topics: list[str], jobs: int,
           extra: dict) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one ``cnnkit grade`` of ``subs``."""
    before = meter.seconds()
    t0 = time.perf_counter()
    proc = subprocess.run(
        [py, "-m", "grader", "grade", str(subs), "--out", str(out), "-j", str(jobs),
         "--topics", *topics, "--train", "off"], cwd=KIT, env={**os.environ, **extra},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, preexec_fn=meter.join)
    wall_s = time.perf_counter() - t0
    if proc.returncode:
        sys.exit(f"bench_grader: grade failed ({extra or 'warm'}):\n{proc.stderr[-2000:]}")
    return meter.seconds() - before, wall_s


def core_seconds_per_student(count: int) -> None:
    """CPU time of grading ``count`` references, per student, at each ``-j``: with warm
    templates, and cold (``CNNKIT_COLD_START=1``: every trusted run and worker starts
    Python afresh); then each topic alone (warm, the first ``-j``)."""
    topics = ["01_cnn", "02_training", "03_transfer"]
    meter = CpuMeter()
    rows, figures = [], {"students": count, "per_student": {}, "per_topic": {}}
    with tempfile.TemporaryDirectory() as tmp:
        subs = Path(tmp) / "subs"
        for i in range(count):
            for topic in topics:
                shutil.copytree(KIT / "solutions" / topic, subs / f"student{i:02d}" / topic)
        subprocess.run([py, "-m", "grader", "doctor", "--topics", *topics], cwd=KIT,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # not counted
        bare_n = min(count, 3)  # bare pytest, unboxed, on the same files: a few students
        before, t0 = meter.seconds(), time.perf_counter()
        for i in range(bare_n):
            for topic in topics:
                subprocess.run([py, "-m", "pytest", str(KIT / "solutions" / topic),
                                str(KIT / "hidden_tests" / topic), "-q", "-p", "no:cacheprovider",
                                f"--target={subs / f'student{i:02d}'}"], cwd=KIT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               preexec_fn=meter.join)
        figures["bare"] = (meter.seconds() - before) / bare_n
        rows.append(("bare pytest (unboxed, one process per topic): per student",
                     f"{(meter.seconds() - before) / bare_n:.1f} core-s, "
                     f"{(time.perf_counter() - t0) / bare_n:.1f} s wall"))
        print(f"  {rows[-1][0]}  {rows[-1][1]}", flush=True)
        modes = [("warm", {})] + ([] if args.warm_only else [("cold", {"CNNKIT_COLD_START": "1"})])
        for jobs in args.jobs:
            for mode, extra in modes:
                cpu, wall_s = _grade(meter, subs, Path(tmp) / f"out-{mode}-{jobs}", topics,
                                     jobs, extra)
                figures["per_student"][f"{mode} -j {jobs}"] = {"core_s": cpu / count,
                                                                "wall_s": wall_s}
                rows.append((f"{mode}, -j {jobs}: per student",
                             f"{cpu / count:.1f} core-s, {wall_s:.1f} s wall in all, "
                             f"300 students ~ {cpu / count * 300 / 3600:.2f} core-h"))
                print(f"  {rows[-1][0]}  {rows[-1][1]}", flush=True)
        for topic in topics if args.per_topic else ():
            cpu, wall_s = _grade(meter, subs, Path(tmp) / f"out-{topic}", [topic],
                                 args.jobs[0], {})
            figures["per_topic"][topic] = {"core_s": cpu / count, "wall_s": wall_s,
                                           "jobs": args.jobs[0]}
            rows.append((f"{topic} alone, warm, -j {args.jobs[0]}: per student",
                         f"{cpu / count:.1f} core-s, {wall_s:.1f} s wall in all"))
            print(f"  {rows[-1][0]}  {rows[-1][1]}", flush=True)
    meter.close()
    print(f"{count} references graded in {', '.join(topics)} (--train off), "
          f"CPU measured by {meter.kind}:")
    table(rows + [("aim", "<= 10 core-s per student (warm)")])
    if args.json:
        figures["cpu_measured_by"] = meter.kind
        Path(args.json).write_text(json.dumps(figures, indent=1))


if args.per_student:
    core_seconds_per_student(args.per_student)
    sys.exit(0)

from grader.grading.box import bubblewrap as box# noqa: E402

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
