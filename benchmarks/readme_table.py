"""Run the speed benchmarks and rewrite the README's table of measured figures.

    python benchmarks/readme_table.py            # all three (about 20 minutes on 2 cores)
    python benchmarks/readme_table.py --only grader --students 12

Runs ``bench_watch.py``, ``bench_01_tests.py`` and ``bench_grader.py --per-student``, one
after another (each wants the machine to itself), keeps their figures in
``benchmarks/results/*.json``, and rewrites the block between the README's markers from
whatever results are there. Each row stands beside the figure before the speed work
(``BEFORE``: measured the same way on this 2-core machine, 2026-12-04 and 2026-12-05).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys

from _timing import KIT

RESULTS = KIT / "benchmarks" / "results"
README = KIT / "README.md"
START, END = "<!-- speed table: benchmarks/readme_table.py -->", "<!-- end of speed table -->"
BEFORE = {  # the figures before the warm processes, the warm templates and the lighter wire
    "watch_01": "10.7 s (each save a fresh `check`)",
    "watch_02": "not measured (a fresh `check`: about 9 s)",
    "check_ratio": "1.5x",
    "per_student": {"-j 1": "55.2 core-s (1 student, every process started afresh)",
                    "-j 2": "41.9 core-s (every process started afresh)"},
    "cold": "41.9 core-s",
    "per_topic": {"01_cnn": "not measured", "02_training": "not measured",
                  "03_transfer": "not measured"},
    "class_300": "3.5 core-hours",
}
RUNS = {
    "watch": [sys.executable, "bench_watch.py", "--saves", "10", "--json"],
    "check": [sys.executable, "bench_01_tests.py", "--json"],
    "grader": [sys.executable, "bench_grader.py", "--per-student", "{students}", "-j", "1", "2",
               "--per-topic", "--json"],
}


def run(name: str, students: int) -> None:
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"{name}.json"
    cmd = [a.format(students=students) for a in RUNS[name]] + [str(out)]
    print(f"readme_table: {' '.join(cmd[1:])}", flush=True)
    subprocess.run(cmd, cwd=KIT / "benchmarks", check=False)
    if out.is_file():
        saved = json.loads(out.read_text())
        saved["measured_on"] = datetime.date.today().isoformat()
        saved["load_average"] = round(os.getloadavg()[0], 2)
        out.write_text(json.dumps(saved, indent=1))


def _load(name: str) -> dict:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def rows() -> list[tuple[str, str, str]]:
    watch, check, grader = _load("watch"), _load("check"), _load("grader")
    out = []
    for topic, key, goal in (("01_cnn", "watch_01", "≤ 1 s"), ("02_training", "watch_02", "≤ 2 s")):
        w = watch.get(topic)
        if w:
            now = (f"{w['median_s']:.2f} s median of {w['saves']} saves of `{w['file']}` "
                   f"({'same verdict as' if w['same_verdict'] else 'NOT the verdict of'} a cold "
                   f"`check`, {w['cold_check_s']:.1f} s)")
            out.append((f"`watch {topic}`: save to verdict (goal {goal})", BEFORE[key], now))
    if check:
        out.append(("`check 01_cnn` / bare `pytest` (goal ≤ 1.2x)", BEFORE["check_ratio"],
                    f"{check['check_s'] / check['pytest_s']:.2f}x ({check['check_s']:.1f} s "
                    f"against {check['pytest_s']:.1f} s)"))
    if grader:
        n = grader["students"]
        for mode, figures in grader["per_student"].items():
            if not mode.startswith("warm"):
                continue
            out.append((f"grading, 3 topics, `--train off`, {mode.split()[1]} {mode.split()[2]}: "
                        f"CPU per student (goal ≤ 10 core-s)",
                        BEFORE["per_student"].get(" ".join(mode.split()[1:]), "not measured"),
                        f"{figures['core_s']:.1f} core-s"
                        f"{', goal not met' if figures['core_s'] > 10 else ''} ({n} students in "
                        f"{figures['wall_s']:.0f} s wall; bare pytest "
                        f"{grader.get('bare', 0):.1f} core-s)"))
        cold = grader["per_student"].get("cold -j 2")
        if cold:
            out.append(("the same, `CNNKIT_COLD_START=1` (no warm template), -j 2",
                        BEFORE["cold"], f"{cold['core_s']:.1f} core-s"))
        for topic, figures in grader.get("per_topic", {}).items():
            out.append((f"{topic} alone, -j {figures['jobs']}: CPU per student",
                        BEFORE["per_topic"].get(topic, "not measured"),
                        f"{figures['core_s']:.1f} core-s (the job's box and its imports "
                        "shared by its students)"))
        warm = grader["per_student"].get("warm -j 2") or next(iter(grader["per_student"].values()))
        out.append(("300 students, 3 topics, `--train off`", BEFORE["class_300"],
                    f"{warm['core_s'] * 300 / 3600:.1f} core-hours"))
    return out


def render() -> str:
    dates = sorted({_load(n).get("measured_on", "") for n in RUNS} - {""})
    lines = [START, "",
             f"Measured on this 2-core machine, no GPU ({', '.join(dates) or 'not yet run'}); "
             "each figure beside the one before the speed work. Regenerate with "
             "`python benchmarks/readme_table.py`.", "",
             "| what | before | now |", "|---|---|---|"]
    lines += [f"| {what} | {before} | {now} |" for what, before, now in rows()]
    return "\n".join(lines + ["", END])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=sorted(RUNS), default=sorted(RUNS))
    parser.add_argument("--students", type=int, default=12)
    parser.add_argument("--render-only", action="store_true",
                        help="rewrite the table from the saved results, running nothing")
    args = parser.parse_args()
    if not args.render_only:
        for name in args.only:
            run(name, args.students)
    text = README.read_text()
    if START not in text:
        sys.exit(f"readme_table: the README has no {START!r} marker")
    head, rest = text.split(START, 1)
    tail = rest.split(END, 1)[1] if END in rest else ""
    README.write_text(head + render() + tail)
    print(render())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
