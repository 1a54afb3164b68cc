"""The maintainers' command: ``dev check`` and ``dev sync``.
Registered by the CLI only where this package is (see ``grader.cli.audiences``)."""

from __future__ import annotations

from grader.core import paths
from grader.dev import check, sync

ORDER = 30
USAGE = {"en": "Maintainers:  {prog} dev check | dev sync [--force]",
         "vi": "Bảo trì:      {prog} dev check | dev sync [--force]"}


def register(command, h) -> None:
    s = command("dev", "maintainers: validate the kit, regenerate the stubs",
                "bảo trì: kiểm tra kit, sinh lại các tệp bài tập")
    s.set_defaults(handler=cmd_dev)
    s.add_argument("action", choices=["check", "sync"],
                   help=h("check: manifests, tests and stubs; sync: rewrite exercises/ from "
                          "solutions/", "check: manifest, bài kiểm tra và tệp bài tập; sync: "
                          "viết lại exercises/ từ solutions/"))
    s.add_argument("--force", action="store_true",
                   help=h("sync: overwrite exercises/ even where it holds edits",
                          "sync: ghi đè exercises/ kể cả khi đã có chỉnh sửa"))


def cmd_dev(args) -> int:
    if args.action == "sync":
        written = sync.sync(force=args.force)
        print(f"regenerated {len(written)} files in {paths.exercises_dir()}")
        return 0
    problems = check.run_all()
    for line in problems:
        print(f"  ✗ {line}")
    print(f"cnnkit dev check: {len(problems)} problem(s)" if problems
          else "cnnkit dev check: manifests, test files and stubs are consistent")
    return 1 if problems else 0
