"""The instructors' class view commands: ``report`` and ``export`` (registered with the
grading commands, ``grader.grading.subcommands``)."""

from __future__ import annotations

import sys
from pathlib import Path

def register(command, h) -> None:
    s = command("report", "the class report page (DIR/report.html) from a graded folder",
                "trang báo cáo lớp (THƯ_MỤC/report.html) từ một thư mục đã chấm")
    s.set_defaults(handler=cmd_report)
    s.add_argument("dir", help=h("the --out folder of cnnkit grade",
                                 "thư mục --out của cnnkit grade"))
    s.add_argument("--submissions", help=h("the submissions folder, for similar pairs",
                                           "thư mục bài nộp, để tìm các cặp tương đồng"))

    s = command("export", "the gradebook as Moodle's or Canvas's CSV import, or plain CSV",
                "xuất bảng điểm theo định dạng nhập CSV của Moodle, Canvas hoặc CSV thường")
    s.set_defaults(handler=cmd_export)
    s.add_argument("dir", help=h("the --out folder of cnnkit grade",
                                 "thư mục --out của cnnkit grade"))
    s.add_argument("--format", required=True, choices=["moodle", "canvas", "csv"])
    s.add_argument("--out", required=True, help=h("the file to write", "tệp cần ghi"))
    s.add_argument("--roster", help=h("roster.csv: student id, name, email (needed by moodle "
                                      "and canvas)", "roster.csv: mã sinh viên, họ tên, email "
                                      "(cần cho moodle và canvas)"))


def cmd_report(args) -> int:
    from grader.grading.classview.report import write_report

    print(write_report(Path(args.dir), args.lang,
                       Path(args.submissions) if args.submissions else None))
    return 0


def cmd_export(args) -> int:
    from grader.grading.classview import lms
    from grader.grading.classview.load import load_class
    from grader.core.files import atomic_write

    students, _ = load_class(Path(args.dir))
    text, lines = lms.export(students, args.format,
                             Path(args.roster) if args.roster else None, args.lang)
    for line in lines:
        print(f"cnnkit export: {line}", file=sys.stderr)
    print(atomic_write(Path(args.out), text.encode("utf-8")))
    return 0
