"""Save-to-verdict latency of `cnnkit watch`, measured from outside as a student feels it.

    python benchmarks/bench_watch.py [--saves 10] [--cold]

For 01_cnn (saving params.py) and 02_training (saving cnn.py): start `watch` on a copy of
the solutions, wait for its first verdict, then save the file N times (a changed comment,
so the content differs) and time each save until the verdict's last line is printed.
Also prints one cold `cnnkit check` of the same topic, and checks that the warm verdict
lines equal the cold ones. `--cold` measures `watch --cold` instead (each check a fresh
process), the figure before the warm process.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from _timing import KIT, table

CASES = [("01_cnn", "params.py", 1.0), ("02_training", "cnn.py", 2.0)]
END = ("All tests of", "still failing", "Every test of")  # a verdict's last line


def verdict_lines(text: str) -> list[str]:
    return [ln.strip() for ln in text.splitlines() if ln.strip().startswith(("✓", "✗", "–"))]


def measure(topic: str, file: str, saves: int, cold: bool) -> tuple[list[float], list[str]]:
    with tempfile.TemporaryDirectory(prefix="cnnkit-bench-watch-") as tmp:
        target = Path(tmp) / "exercises"
        shutil.copytree(KIT / "solutions", target)
        env = {**os.environ, "MPLBACKEND": "Agg", "CNNKIT_LANG": "en",
               "CNNKIT_STATE": str(Path(tmp) / "state.json")}
        cmd = [sys.executable, "-m", "grader", "watch", topic, "--target", str(target)]
        proc = subprocess.Popen(cmd + (["--cold"] if cold else []), cwd=KIT, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                start_new_session=True)
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: [lines.put(x) for x in iter(proc.stdout.readline, "")],
                         daemon=True).start()

        def until_verdict(limit: float = 300) -> str:
            seen, end = [], time.monotonic() + limit
            while time.monotonic() < end:
                try:
                    line = lines.get(timeout=0.5)
                except queue.Empty:
                    continue
                seen.append(line)
                if line.strip().startswith(END):
                    return "".join(seen)
            raise RuntimeError("no verdict:\n" + "".join(seen))

        try:
            first = until_verdict()
            times = []
            path = target / topic / file
            original = path.read_text()
            for i in range(saves):
                time.sleep(0.3)
                start = time.perf_counter()
                path.write_text(original + f"\n# save {i}\n")
                last = until_verdict()
                times.append(time.perf_counter() - start)
            assert verdict_lines(last) == verdict_lines(first), (first, last)
            return times, verdict_lines(last)
        finally:
            os.killpg(proc.pid, signal.SIGINT)
            proc.wait(timeout=60)


def cold_check(topic: str) -> tuple[float, list[str]]:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "grader", "check", topic, "--target",
                           str(KIT / "solutions")], cwd=KIT, capture_output=True, text=True,
                          env={**os.environ, "MPLBACKEND": "Agg", "CNNKIT_LANG": "en"})
    return time.perf_counter() - start, verdict_lines(done.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saves", type=int, default=10)
    parser.add_argument("--cold", action="store_true")
    parser.add_argument("--json", metavar="FILE", help="also write the figures here")
    args = parser.parse_args()
    rows, ok, figures = [], True, {}
    for topic, file, goal in CASES:
        times, warm_verdict = measure(topic, file, args.saves, args.cold)
        cold_s, cold_verdict = cold_check(topic)
        median = statistics.median(times)
        same = warm_verdict == cold_verdict
        figures[topic] = {"file": file, "median_s": median, "saves": len(times),
                          "cold_check_s": cold_s, "same_verdict": same, "goal_s": goal}
        ok &= same and (args.cold or median <= goal)
        rows.append((f"{topic} save {file}: median of {len(times)}",
                     f"{median:.2f} s (min {min(times):.2f}, max {max(times):.2f}; goal "
                     f"{goal:g} s{'' if args.cold else ''})"))
        rows.append((f"{topic} cold `cnnkit check`", f"{cold_s:.2f} s"))
        rows.append((f"{topic} same verdict as check", str(same)))
    print(f"watch{' --cold' if args.cold else ''}, load average {os.getloadavg()[0]:.2f}:")
    table(rows)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
