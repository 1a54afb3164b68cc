"""The instructors' class view commands: ``report`` and ``export`` (registered with the
grading commands, ``grader.grading.subcommands``)."""

from __future__ import annotations

import sys
from pathlib import Path

from grader.core.files import atomic_write
from grader.core.i18n import current_lang, pick
from grader.grading.classview import lms
from grader.grading.classview.load import load_class
from grader.grading.classview.class_report import write_report
from grader.grading.report import write_feedback


def register(command, h) -> None:
    s = command("report", "the class report page (DIR/report.html) from a graded folder",
                "trang báo cáo lớp (THƯ_MỤC/report.html) từ một thư mục đã chấm")
    s.set_defaults(handler=cmd_report)
    s.add_argument("dir", help=h("the --out folder of cnnkit grade",
                                 "thư mục --out của cnnkit grade"))
    s.add_argument("--submissions", help=h("the submissions folder, for similar pairs",
                                           "thư mục bài nộp, để tìm các cặp tương đồng"))

    s = command("feedback", "write every student's feedback.md again, in --lang, from the "
                "graded results alone (no re-grading)", "viết lại feedback.md của mọi sinh viên "
                "theo --lang, chỉ từ kết quả đã chấm (không chấm lại)")
    s.set_defaults(handler=cmd_feedback)
    s.add_argument("dir", help=h("the --out folder of cnnkit grade",
                                 "thư mục --out của cnnkit grade"))

    s = command("export", "the gradebook as Moodle's or Canvas's CSV import, or plain CSV",
                "xuất bảng điểm theo định dạng nhập CSV của Moodle, Canvas hoặc CSV thường")
    s.set_defaults(handler=cmd_export)
    s.add_argument("dir", help=h("the --out folder of cnnkit grade",
                                 "thư mục --out của cnnkit grade"))
    s.add_argument("--format", required=True, choices=["moodle", "canvas", "csv"])
    s.add_argument("--out", required=True, help=h("the file to write", "tệp cần ghi"))
    s.add_argument("--roster", help=h("roster.csv: student id, name, email (needed by moodle "
                                      "and canvas; comma, semicolon or tab; English or "
                                      "Vietnamese headers)", "roster.csv: mã sinh viên, họ tên, "
                                      "email (cần cho moodle và canvas; ngăn cách bằng dấu "
                                      "phẩy, chấm phẩy hoặc tab; tiêu đề tiếng Anh hoặc tiếng "
                                      "Việt)"))


def cmd_report(args) -> int:
    print(write_report(Path(args.dir), args.lang,
                       Path(args.submissions) if args.submissions else None))
    return 0


def _name_unverified(command: str, unreadable: list[str], lang) -> None:
    for sid in unreadable:
        print(pick({"en": f"cnnkit {command}: {sid}: results.json could not be read or its seal "
                          "does not verify (it was not written by this folder's grader): left "
                          "out; grade it again",
                    "vi": f"cnnkit {command}: {sid}: không đọc được results.json hoặc dấu niêm "
                          "phong không khớp (không phải do bộ chấm của thư mục này ghi): bỏ ra "
                          "ngoài; hãy chấm lại"}, lang), file=sys.stderr)


def cmd_export(args) -> int:
    students, unreadable = load_class(Path(args.dir))
    _name_unverified("export", unreadable, args.lang)
    done = lms.run(students, args.format, Path(args.roster) if args.roster else None,
                   args.lang)
    for line in done.lines:
        print(f"cnnkit export: {line}", file=sys.stderr)
    print(atomic_write(Path(args.out), done.text.encode("utf-8", "backslashreplace")))
    if done.left_out:
        print(pick({"en": f"cnnkit export: {len(done.left_out)} submission(s) are not in the "
                          f"file (see above): {', '.join(done.left_out)}",
                    "vi": f"cnnkit export: {len(done.left_out)} bài nộp không có trong tệp "
                          f"(xem ở trên): {', '.join(done.left_out)}"}, args.lang),
              file=sys.stderr)
    return 1 if done.left_out or unreadable else 0


def cmd_feedback(args) -> int:
    lang = current_lang(args.lang)
    students, unreadable = load_class(Path(args.dir))
    for student in students:
        write_feedback(Path(args.dir) / "students" / student.sid, student.sid,
                       student.result, lang)
    _name_unverified("feedback", unreadable, lang)
    language = {"en": {"en": "English", "vi": "tiếng Anh"},
                "vi": {"en": "Vietnamese", "vi": "tiếng Việt"}}.get(lang, {"en": lang, "vi": lang})
    print(pick({"en": f"{len(students)} feedback.md and feedback.html file(s) written in "
                      f"{language['en']}",
                "vi": f"đã viết {len(students)} tệp feedback.md và feedback.html bằng "
                      f"{language['vi']}"}, lang))
    return 1 if unreadable else 0
