"""Measure the kit's own suite, file by file, and write the time table of docs/maintainers.md.

    python tools/test_times.py measure --tier quick [FILES...]   # one pytest run per file
    python tools/test_times.py add --tier quick RUN.json         # a whole run's --cnnkit-times
    python tools/test_times.py table                             # rewrite the table

Each measure runs ``./kit test [--all] FILE --cnnkit-times=JSON`` (cold: a fresh process,
module fixtures built from nothing) and keeps the seconds in docs/test_times.json, with
the date and the machine's load. The table lists every test file with its time in each
tier; a file not measured yet says so.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TIMES = ROOT / "docs" / "test_times.json"
DOC = ROOT / "docs" / "maintainers.md"
BEGIN = "<!-- test-times: begin (tools/test_times.py table) -->"
END = "<!-- test-times: end -->"
TIERS = ("quick", "all")


def load() -> dict:
    if TIMES.exists():
        return json.loads(TIMES.read_text(encoding="utf-8"))
    return {"files": {}, "runs": {}}


def save(data: dict) -> None:
    TIMES.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def record(data: dict, tier: str, run: dict, note: str) -> None:
    today = datetime.date.today().isoformat()
    for file, seconds in run["files"].items():
        data["files"].setdefault(file, {})[tier] = {
            "s": seconds, "tests": run["tests"].get(file, 0), "date": today,
            "load": round(run["load_avg"], 1), "exit": run["exit"], "note": note}


def measure(tier: str, files: list[str]) -> None:
    data = load()
    files = files or sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tests").glob("test_*.py"))
    for file in files:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "times.json"
            cmd = ["./kit", "test", "-q", *(["--all"] if tier == "all" else []), file,
                   f"--cnnkit-times={out}"]
            print("$", " ".join(cmd), flush=True)
            code = subprocess.run(cmd, cwd=ROOT).returncode
            if not out.exists():
                print(f"{file}: no times written (exit {code})", file=sys.stderr)
                continue
            run = json.loads(out.read_text(encoding="utf-8"))
            run["files"].setdefault(file, 0.0)  # a file whose tests were all deselected
            run["files"][file] = run["wall_s"]  # cold: collection and imports included
            record(data, tier, run, "alone")
            save(data)


def add(tier: str, path: Path) -> None:
    data = load()
    run = json.loads(path.read_text(encoding="utf-8"))
    record(data, run.get("tier", tier), run, "in a whole-tier run")
    data["runs"][run.get("tier", tier)] = {"wall_s": run["wall_s"],
                                           "load": round(run["load_avg"], 1),
                                           "date": datetime.date.today().isoformat()}
    save(data)


def _cell(entry: dict | None) -> str:
    if not entry:
        return "not measured in this run"
    failed = "" if entry["exit"] in (0, 5) else f", exit {entry['exit']}"
    how = "" if entry.get("note") == "alone" else ", whole-tier run"
    return f"{entry['s']:.0f} s ({entry['tests']} tests, load {entry['load']}{failed}{how})"


def _all_tier_only() -> set[str]:
    sys.path.insert(0, str(ROOT / "tests"))
    import tiers

    return set(tiers.FULL_FILES)


def table() -> str:
    data = load()
    full_only = _all_tier_only()
    files = sorted(set(data["files"]) | {str(p.relative_to(ROOT))
                                         for p in (ROOT / "tests").glob("test_*.py")})
    lines = [BEGIN, "", "| test file | quick tier | all tier |", "|---|---|---|"]
    for file in files:
        entry = data["files"].get(file, {})
        quick = "(all tier only)" if file in full_only else _cell(entry.get("quick"))
        lines.append(f"| `{file}` | {quick} | {_cell(entry.get('all'))} |")
    for tier in TIERS:
        run = data["runs"].get(tier)
        if run:
            lines.append(f"\nWhole {tier} tier: {run['wall_s']:.0f} s on {run['date']} "
                         f"(load {run['load']}).")
    return "\n".join(lines + ["", END])


def write_table() -> None:
    text = DOC.read_text(encoding="utf-8")
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{DOC}: the markers {BEGIN!r} and {END!r} are missing")
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    DOC.write_text(head + table() + tail, encoding="utf-8")
    print(f"wrote the table in {DOC.relative_to(ROOT)}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    m = sub.add_parser("measure")
    m.add_argument("--tier", choices=TIERS, default="quick")
    m.add_argument("files", nargs="*")
    a = sub.add_parser("add")
    a.add_argument("--tier", choices=TIERS, default="quick")
    a.add_argument("run", type=Path)
    sub.add_parser("table")
    args = parser.parse_args(argv)
    os.chdir(ROOT)
    if args.command == "measure":
        measure(args.tier, args.files)
    elif args.command == "add":
        add(args.tier, args.run)
    write_table()
    return 0


if __name__ == "__main__":
    sys.exit(main())
