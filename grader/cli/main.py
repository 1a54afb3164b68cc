"""The ``cnnkit`` command (``./kit ...`` from the kit's root). Each sub-command lives in
its own module; this file parses, in the user's language, and reports errors."""

from __future__ import annotations

import argparse
import os
import sys

from grader.core.errors import CnnkitError
from grader.core.i18n import current_lang, pick
from grader.core.limits import DEFAULTS

PROG = os.environ.get("CNNKIT_PROG", "cnnkit")  # ./kit sets "./kit"

HELP = {"en": """\
{prog} - exercises and autograding for the lecture "Deep Convolutional Neural Networks".

Students:     {prog} list | check [TOPIC] | hint TOPIC [EXERCISE] | watch [TOPIC] | solution TOPIC
Self-study:   {prog} train mnist|transfer [--profile quick|full|auto] | figures --out DIR
Instructors:  {prog} grade SUBMISSIONS --out DIR | release --out DIR | nbgrader export --out DIR
Data:         {prog} data status | data fetch NAME [--from MIRROR]
Maintainers:  {prog} dev check | dev sync [--force]

Topics are 01_cnn, 02_training, 03_transfer (or just 1, 2, 3). Add --lang vi for Vietnamese,
before or after the command. Plain pytest works too, inside the kit's environment:
  source .venv/bin/activate && pytest exercises/01_cnn
""", "vi": """\
{prog} - bài tập và chấm điểm tự động cho bài giảng "Mạng nơ-ron tích chập sâu".

Sinh viên:    {prog} list | check [CHỦ_ĐỀ] | hint CHỦ_ĐỀ [BÀI] | watch [CHỦ_ĐỀ] | solution CHỦ_ĐỀ
Tự học:       {prog} train mnist|transfer [--profile quick|full|auto] | figures --out THƯ_MỤC
Giảng viên:   {prog} grade BÀI_NỘP --out THƯ_MỤC | release --out THƯ_MỤC | nbgrader export --out THƯ_MỤC
Dữ liệu:      {prog} data status | data fetch TÊN [--from BẢN_SAO]
Bảo trì:      {prog} dev check | dev sync [--force]

Các chủ đề: 01_cnn, 02_training, 03_transfer (hoặc 1, 2, 3). Thêm --lang en để xem tiếng Anh,
trước hoặc sau lệnh. Có thể chạy pytest trực tiếp, trong môi trường của kit:
  source .venv/bin/activate && pytest exercises/01_cnn
"""}


def build_parser(lang: str = "en") -> argparse.ArgumentParser:
    def h(en: str, vi: str) -> str:
        return pick({"en": en, "vi": vi}, lang)

    lang_opt = argparse.ArgumentParser(add_help=False)
    lang_opt.add_argument("--lang", choices=["en", "vi"], default=argparse.SUPPRESS,
                          help=h("language (default: $CNNKIT_LANG or the locale)",
                                 "ngôn ngữ (mặc định: $CNNKIT_LANG hoặc locale)"))
    p = argparse.ArgumentParser(prog=PROG, description=pick(HELP, lang).format(prog=PROG),
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                parents=[lang_opt])
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    def command(name, en, vi):
        return sub.add_parser(name, help=h(en, vi), description=h(en, vi), parents=[lang_opt])

    target_help = h("a folder laid out like exercises/ (default: exercises/)",
                    "một thư mục có cấu trúc như exercises/ (mặc định: exercises/)")
    s = command("list", "every exercise with its state, points and hints",
                "mọi bài tập với trạng thái, điểm và gợi ý")
    s.add_argument("--target", help=target_help)

    s = command("check", "run one topic's tests (default: the next unfinished one)",
                "chạy các bài kiểm tra của một chủ đề (mặc định: chủ đề chưa xong tiếp theo)")
    s.add_argument("topic", nargs="?")
    s.add_argument("--full", action="store_true",
                   help=h("show the whole pytest output", "hiện toàn bộ kết quả của pytest"))
    s.add_argument("--target", help=target_help)

    s = command("hint", "show one more hint each time you ask",
                "mỗi lần hỏi hiện thêm một gợi ý")
    s.add_argument("topic")
    s.add_argument("exercise", nargs="?", help=h("default: the first failing exercise",
                                                 "mặc định: bài đầu tiên chưa đạt"))
    s.add_argument("--reset", action="store_true",
                   help=h("start the hints of this exercise over",
                          "xem lại gợi ý của bài này từ đầu"))

    s = command("watch", "re-run check whenever an exercise file is saved",
                "chạy lại check mỗi khi một tệp bài tập được lưu")
    s.add_argument("topic", nargs="?")
    s.add_argument("--interval", type=float, default=0.5,
                   help=h("seconds between polls", "số giây giữa hai lần kiểm tra"))
    s.add_argument("--poll", action="store_true",
                   help=h("poll file times instead of file events",
                          "kiểm tra thời gian sửa tệp thay vì dùng sự kiện tệp"))
    s.add_argument("--target", help=argparse.SUPPRESS)

    s = command("solution", "the reference solution of each exercise that passes",
                "lời giải mẫu của từng bài đã đạt")
    s.add_argument("topic")
    s.add_argument("exercise", nargs="?")
    s.add_argument("--diff", action="store_true",
                   help=h("show a diff against your file", "so sánh với tệp của bạn"))
    s.add_argument("--force", action="store_true",
                   help=h("show it even if the exercise fails", "hiện cả khi bài chưa đạt"))
    s.add_argument("--target", help=argparse.SUPPRESS)

    s = command("train", "graded end-to-end training with an accuracy threshold",
                "huấn luyện đầy đủ có chấm điểm theo ngưỡng độ chính xác")
    s.add_argument("task", choices=["mnist", "transfer"])
    s.add_argument("--profile", default="auto", choices=["auto", "quick", "full"])
    s.add_argument("--variant", type=int, default=1, choices=[1, 2, 3])
    s.add_argument("--backbone", default=None,
                   help=h("resnet18 (lecture) or mobilenet_v2; default: the topic's backbone "
                          "for the profile (quick: mobilenet_v2, full: resnet18)",
                          "resnet18 (bài giảng) hoặc mobilenet_v2; mặc định: backbone của chủ đề "
                          "cho profile (quick: mobilenet_v2, full: resnet18)"))
    s.add_argument("--seed", type=int, default=None)
    s.add_argument("--target", default="exercises",
                   help=h("whose train.py: exercises or solutions",
                          "train.py của ai: exercises hoặc solutions"))
    s.add_argument("--out", default="runs", help=h("folder for metrics, curves and results",
                                                   "thư mục lưu số liệu, đồ thị và kết quả"))

    s = command("grade", "grade a folder of submissions into a gradebook",
                "chấm một thư mục bài nộp thành bảng điểm")
    s.add_argument("submissions", help=h("folder with one sub-folder or .zip per student",
                                         "thư mục chứa một thư mục con hoặc .zip cho mỗi "
                                         "sinh viên"))
    s.add_argument("--out", required=True, help=h("output folder for the gradebook and reports",
                                                  "thư mục ghi bảng điểm và nhận xét"))
    s.add_argument("-j", "--jobs", type=int, default=1,
                   help=h("students graded in parallel", "số sinh viên chấm song song"))
    s.add_argument("--topics", nargs="+", help=h("topics to grade (default: all)",
                                                 "các chủ đề cần chấm (mặc định: tất cả)"))
    s.add_argument("--force", action="store_true",
                   help=h("grade again what was already graded", "chấm lại cả bài đã chấm"))
    s.add_argument("--skip-missing-data", action="store_true",
                   help=h("grade what this machine has the data for; mark the rest 'not graded' "
                          "(default: stop before grading if any data is missing)",
                          "chấm phần máy này có đủ dữ liệu; phần còn lại ghi 'chưa chấm' (mặc "
                          "định: dừng trước khi chấm nếu thiếu dữ liệu)"))
    s.add_argument("--timeout", type=float, default=DEFAULTS.topic_timeout_s,
                   help=h("seconds per student and topic (default: each topic.toml's timeout_s)",
                          "số giây cho mỗi sinh viên và chủ đề (mặc định: timeout_s trong "
                          "topic.toml)"))
    s.add_argument("--test-timeout", type=float, default=DEFAULTS.test_timeout_s,
                   help=h(f"seconds per test (default {DEFAULTS.test_timeout_s:g})",
                          f"số giây cho mỗi bài kiểm tra (mặc định {DEFAULTS.test_timeout_s:g})"))
    s.add_argument("--memory-mb", type=int, default=DEFAULTS.memory_mb,
                   help=h(f"memory cap per student run (default {DEFAULTS.memory_mb})",
                          f"giới hạn bộ nhớ cho mỗi lần chạy (mặc định {DEFAULTS.memory_mb})"))

    s.add_argument("--train", choices=["off", "quick", "full", "auto"], default="off",
                   help=h("graded training runs, each a gradebook column: off; quick (CPU "
                          "minutes per student); full (the lecture's settings, a GPU when "
                          "there is one); auto (full on a GPU, else quick). The grader measures "
                          "the accuracy itself on held-out images",
                          "các lần huấn luyện có chấm điểm, mỗi lần một cột trong bảng điểm: "
                          "off (tắt); quick (vài phút CPU mỗi sinh viên); full (cấu hình của "
                          "bài giảng, dùng GPU nếu có); auto (full khi có GPU, nếu không thì "
                          "quick). Bộ chấm tự đo độ chính xác trên ảnh kiểm tra ẩn"))
    s.add_argument("--backend", choices=["local", "slurm"], default="local",
                   help=h("local: a pool of -j students on this machine; slurm: one array job, "
                          "a task per student (DIR must be on storage the nodes share)",
                          "local: chấm -j sinh viên song song trên máy này; slurm: một array "
                          "job, mỗi sinh viên một tác vụ (THƯ_MỤC phải nằm trên ổ dùng chung "
                          "với các node)"))
    s.add_argument("--partition", help=h("slurm: the partition to submit to",
                                         "slurm: partition để nộp job"))
    s.add_argument("--gpus-per-task", type=int, default=0,
                   help=h("slurm: GPUs per task (for graded training)",
                          "slurm: số GPU cho mỗi tác vụ (cho bài huấn luyện có chấm điểm)"))
    s.add_argument("--array-parallelism", type=int, default=None,
                   help=h("slurm: at most N tasks at once", "slurm: tối đa N tác vụ cùng lúc"))

    s = command("report", "the class report page (DIR/report.html) from a graded folder",
                "trang báo cáo lớp (THƯ_MỤC/report.html) từ một thư mục đã chấm")
    s.add_argument("dir", help=h("the --out folder of cnnkit grade", "thư mục --out của cnnkit grade"))
    s.add_argument("--submissions", help=h("the submissions folder, for similar pairs",
                                           "thư mục bài nộp, để tìm các cặp tương đồng"))

    s = command("export", "the gradebook as Moodle's or Canvas's CSV import, or plain CSV",
                "xuất bảng điểm theo định dạng nhập CSV của Moodle, Canvas hoặc CSV thường")
    s.add_argument("dir", help=h("the --out folder of cnnkit grade", "thư mục --out của cnnkit grade"))
    s.add_argument("--format", required=True, choices=["moodle", "canvas", "csv"])
    s.add_argument("--out", required=True, help=h("the file to write", "tệp cần ghi"))
    s.add_argument("--roster", help=h("roster.csv: student id, name, email (needed by moodle "
                                      "and canvas)", "roster.csv: mã sinh viên, họ tên, email "
                                      "(cần cho moodle và canvas)"))

    s = command("doctor", "check this machine: grade the reference solution as students would "
                "be graded", "kiểm tra máy: chấm lời giải mẫu đúng như chấm sinh viên")
    s.add_argument("--topics", nargs="+", help=h("topics to check (default: all)",
                                                 "các chủ đề cần kiểm tra (mặc định: tất cả)"))
    s.add_argument("--memory-mb", type=int, default=DEFAULTS.memory_mb)
    s.add_argument("--test-timeout", type=float, default=DEFAULTS.test_timeout_s)

    s = command("grade-one", "grade one student of a plan (what each Slurm array task runs)",
                "chấm một sinh viên trong kế hoạch (việc mỗi tác vụ Slurm chạy)")
    s.add_argument("plan")
    s.add_argument("index", type=int)

    s = command("release", "write the student bundle (no solutions, no hidden tests)",
                "tạo gói cho sinh viên (không có lời giải, không có bài kiểm tra ẩn)")
    s.add_argument("--out", required=True)

    s = command("nbgrader", "export the exercises as an nbgrader course",
                "xuất bài tập thành một khoá học nbgrader")
    s.add_argument("action", choices=["export"])
    s.add_argument("--out", required=True)
    s.add_argument("--topics", nargs="+")

    s = command("figures", "draw the lecture's figures with your code (PNG)",
                "vẽ các hình của bài giảng bằng code của bạn (PNG)")
    s.add_argument("--target", default=None, help=h("exercises (default) or solutions",
                                                    "exercises (mặc định) hoặc solutions"))
    s.add_argument("--out", default="figures")

    s = command("dev", "maintainers: validate the kit, regenerate the stubs",
                "bảo trì: kiểm tra kit, sinh lại các tệp bài tập")
    s.add_argument("action", choices=["check", "sync"],
                   help=h("check: manifests, tests and stubs; sync: rewrite exercises/ from "
                          "solutions/", "check: manifest, bài kiểm tra và tệp bài tập; sync: "
                          "viết lại exercises/ từ solutions/"))
    s.add_argument("--force", action="store_true",
                   help=h("sync: overwrite exercises/ even where it holds edits",
                          "sync: ghi đè exercises/ kể cả khi đã có chỉnh sửa"))

    s = command("data", "data sets and weights: status, fetch",
                "dữ liệu và trọng số: trạng thái, tải về")
    s.add_argument("action", choices=["status", "fetch"])
    s.add_argument("name", nargs="?")
    s.add_argument("--from", dest="mirror", help=h("copy from this local mirror folder",
                                                  "sao chép từ thư mục bản sao này"))
    s.add_argument("--verify", action="store_true",
                   help=h("check MD5 sums (status)", "kiểm tra tổng MD5 (status)"))
    return p


def _lang_in(argv: list[str]) -> str | None:
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
    return None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    lang = current_lang(_lang_in(argv))
    parser = build_parser(lang)
    args = parser.parse_args(argv)
    if getattr(args, "lang", None):
        os.environ["CNNKIT_LANG"] = args.lang
    args.lang = current_lang(getattr(args, "lang", None))
    if not args.command:
        parser.print_help()
        return 0
    from grader.cli import commands

    try:
        code = getattr(commands, f"cmd_{args.command.replace('-', '_')}")(args) or 0
        sys.stdout.flush()  # a closed pipe shows here, inside the try
        return code
    except KeyboardInterrupt:
        print("\n" + pick({"en": "interrupted", "vi": "đã dừng"}, args.lang), file=sys.stderr)
        return 130
    except BrokenPipeError:  # `./kit list | head`: the reader left; end quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except CnnkitError as exc:  # the operator's problem: one clear line
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
