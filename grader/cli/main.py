"""The ``cnnkit`` command. Each sub-command lives in its own module."""

from __future__ import annotations

import argparse
import sys

from grader.core.errors import CnnkitError
from grader.core.i18n import current_lang
from grader.core.limits import DEFAULTS

HELP = """\
cnnkit - exercises and autograding for the lecture "Deep Convolutional Neural Networks".

Students:     cnnkit list | check [TOPIC] | hint TOPIC [EXERCISE] | watch [TOPIC] | solution TOPIC
Self-study:   cnnkit train mnist|transfer [--profile quick|full|auto] | figures --out DIR
Instructors:  cnnkit grade SUBMISSIONS --out DIR | release --out DIR | nbgrader export --out DIR
Data:         cnnkit data status | data fetch NAME [--from MIRROR]
Maintainers:  cnnkit dev check | dev sync [--force]

Topics are 01_cnn, 02_training, 03_transfer (or just 1, 2, 3). Add --lang vi for Vietnamese.
"""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="cnnkit", description=HELP,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--lang", choices=["en", "vi"], help="language (default: $CNNKIT_LANG or locale)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    s = sub.add_parser("list", help="every exercise with its state, points and hints")
    s.add_argument("--target", help="a folder laid out like exercises/ (default: exercises/)")

    s = sub.add_parser("check", help="run one topic's tests (default: the next unfinished one)")
    s.add_argument("topic", nargs="?")
    s.add_argument("--full", action="store_true", help="show the whole pytest output")
    s.add_argument("--target", help="a folder laid out like exercises/")

    s = sub.add_parser("hint", help="show one more hint each time you ask")
    s.add_argument("topic")
    s.add_argument("exercise", nargs="?", help="default: the first failing exercise")
    s.add_argument("--reset", action="store_true", help="start the hints of this exercise over")

    s = sub.add_parser("watch", help="re-run check whenever an exercise file is saved")
    s.add_argument("topic", nargs="?")
    s.add_argument("--interval", type=float, default=0.5, help="seconds between polls")
    s.add_argument("--poll", action="store_true", help="force polling instead of file events")
    s.add_argument("--once", action="store_true", help=argparse.SUPPRESS)
    s.add_argument("--target", help=argparse.SUPPRESS)

    s = sub.add_parser("solution", help="the reference solution, once the topic passes")
    s.add_argument("topic")
    s.add_argument("exercise", nargs="?")
    s.add_argument("--diff", action="store_true", help="show a diff against your file")
    s.add_argument("--force", action="store_true", help="show it even if the topic fails")
    s.add_argument("--target", help=argparse.SUPPRESS)

    s = sub.add_parser("train", help="graded end-to-end training with an accuracy threshold")
    s.add_argument("task", choices=["mnist", "transfer"])
    s.add_argument("--profile", default="auto", choices=["auto", "quick", "full"])
    s.add_argument("--variant", type=int, default=1, choices=[1, 2, 3])
    s.add_argument("--backbone", default=None, help="resnet18 (lecture) or mobilenet_v2")
    s.add_argument("--seed", type=int, default=None)
    s.add_argument("--target", default="exercises", help="whose train.py: exercises or solutions")
    s.add_argument("--out", default="runs", help="folder for metrics, curves and results")

    s = sub.add_parser("grade", help="grade a folder of submissions into a gradebook")
    s.add_argument("submissions", help="folder with one sub-folder or .zip per student")
    s.add_argument("--out", required=True, help="output folder for the gradebook and reports")
    s.add_argument("-j", "--jobs", type=int, default=1, help="students graded in parallel")
    s.add_argument("--topics", nargs="+", help="topics to grade (default: all)")
    s.add_argument("--force", action="store_true", help="grade again what was already graded")
    s.add_argument("--skip-missing-data", action="store_true",
                   help="grade what this machine has the data for; mark the rest 'not graded' "
                        "(default: stop before grading if any data is missing)")
    s.add_argument("--timeout", type=float, default=DEFAULTS.topic_timeout_s,
                   help="seconds per student and topic (default: each topic.toml's timeout_s)")
    s.add_argument("--test-timeout", type=float, default=DEFAULTS.test_timeout_s,
                   help=f"seconds per test (default {DEFAULTS.test_timeout_s:g})")
    s.add_argument("--memory-mb", type=int, default=DEFAULTS.memory_mb,
                   help=f"memory cap per student run (default {DEFAULTS.memory_mb})")

    s = sub.add_parser("release", help="write the student bundle (no solutions, no hidden tests)")
    s.add_argument("--out", required=True)

    s = sub.add_parser("nbgrader", help="export the exercises as an nbgrader course")
    s.add_argument("action", choices=["export"])
    s.add_argument("--out", required=True)
    s.add_argument("--topics", nargs="+")

    s = sub.add_parser("figures", help="draw the lecture's figures with your code (PNG)")
    s.add_argument("--target", default=None, help="exercises (default) or solutions")
    s.add_argument("--out", default="figures")

    s = sub.add_parser("dev", help="maintainers: validate the kit, regenerate the stubs")
    s.add_argument("action", choices=["check", "sync"],
                   help="check: manifests, tests and stubs; sync: rewrite exercises/ from "
                        "solutions/")
    s.add_argument("--force", action="store_true",
                   help="sync: overwrite exercises/ even where it holds edits")

    s = sub.add_parser("data", help="data sets and weights: status, fetch")
    s.add_argument("action", choices=["status", "fetch"])
    s.add_argument("name", nargs="?")
    s.add_argument("--from", dest="mirror", help="copy from this local mirror folder")
    s.add_argument("--verify", action="store_true", help="check MD5 sums (status)")
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.lang:
        import os

        os.environ["CNNKIT_LANG"] = args.lang
    args.lang = current_lang(args.lang)
    if not args.command:
        parser.print_help()
        return 0
    from grader.cli import commands

    try:
        return getattr(commands, f"cmd_{args.command}")(args) or 0
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    except CnnkitError as exc:  # the operator's problem: one clear line
        print(f"cnnkit: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
