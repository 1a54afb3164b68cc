"""The instructors' export commands: ``release`` (the student bundle) and ``nbgrader``.
Registered by the CLI only where this package is (see ``grader.cli.audiences``)."""

from __future__ import annotations

from pathlib import Path

from grader.core import paths
from grader.core.i18n import pick
from grader.export import nbgrader as nbgrader_export
from grader.export import release

ORDER = 20
USAGE = {"en": "Instructors:  {prog} release --out DIR | nbgrader export --out DIR",
         "vi": "Giảng viên:   {prog} release --out THƯ_MỤC | nbgrader export --out THƯ_MỤC"}


def register(command, h) -> None:
    s = command("release", "write the student bundle (no solutions, no hidden tests)",
                "tạo gói cho sinh viên (không có lời giải, không có bài kiểm tra ẩn)")
    s.set_defaults(handler=cmd_release)
    s.add_argument("--out", required=True,
                   help=h("the bundle's folder (new; with --solutions: an existing bundle)",
                          "thư mục của gói (mới; với --solutions: một gói đã có)"))
    s.add_argument("--solutions", metavar="TOPIC",
                   help=h("add this topic's reference solutions to the existing bundle at "
                          "--out (./kit solution unlocks them there)",
                          "thêm lời giải mẫu của chủ đề này vào gói đã có ở --out (./kit "
                          "solution mở được chúng ở đó)"))

    s = command("nbgrader", "export the exercises as an nbgrader course",
                "xuất bài tập thành một khoá học nbgrader")
    s.set_defaults(handler=cmd_nbgrader)
    s.add_argument("action", choices=["export"])
    s.add_argument("--out", required=True)
    s.add_argument("--topics", nargs="+")


def cmd_release(args) -> int:
    if args.solutions:
        written = release.add_solutions(Path(args.out), args.solutions)
        topic = written[0].parent.name if written else args.solutions
        print(pick({"en": f"{topic}: reference solutions added to {Path(args.out).resolve()} "
                          f"({', '.join(p.name for p in written)}); there, ./kit solution "
                          f"{topic} shows each one once the student's exercise passes",
                    "vi": f"{topic}: đã thêm lời giải mẫu vào {Path(args.out).resolve()} "
                          f"({', '.join(p.name for p in written)}); ở đó, ./kit solution "
                          f"{topic} hiện từng lời giải khi bài của sinh viên đã đạt"},
                   args.lang))
        return 0
    out = release.build(Path(args.out))
    problems = release.leaks(out)
    if problems:
        print("cnnkit release: solution text found in the bundle:\n  " + "\n  ".join(problems))
        return 1
    print(f"student bundle written to {out.resolve()} (no solutions, no hidden tests)")
    return 0


def cmd_nbgrader(args) -> int:
    topics = [paths.resolve_topic(t) for t in args.topics] if args.topics else None
    for nb in nbgrader_export.export(Path(args.out), topics):
        print(f"wrote {nb}")
    print(f"next: cd {Path(args.out).resolve()} && nbgrader generate_assignment 01_cnn")
    return 0
