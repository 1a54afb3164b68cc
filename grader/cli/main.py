"""The ``cnnkit`` command (``./kit ...`` from the kit's root). Each sub-command lives in
its own module; this file parses, in the user's language, and reports errors.

The students' commands are defined here and always present. Instructors' and
maintainers' commands are registered by their own packages (``grader/*/subcommands.py``,
see ``audiences``), so a student bundle, which lacks those packages, lists only what
works there."""

from __future__ import annotations

import argparse
import os
import sys

from grader.cli import audiences
from grader.cli import handlers
from grader.cli import where
from grader.core import quiet
from grader.core.errors import CnnkitError
from grader.core.i18n import current_lang, pick, render

PROG = os.environ.get("CNNKIT_PROG", "cnnkit")  # ./kit sets "./kit"

HELP = {"en": """\
{prog} - exercises and autograding for the lecture "Deep Convolutional Neural Networks".

Students:     {prog} list | check [TOPIC] | hint TOPIC [EXERCISE] | watch [TOPIC] | solution TOPIC
Hand in:      {prog} submit --name "Your Name"   (one zip of your exercise files)
Self-study:   {prog} train mnist|transfer [--profile quick|full|auto] | figures --out DIR
Data:         {prog} data status | data fetch NAME [--from MIRROR]
{audiences}
Topics are 01_cnn, 02_training, 03_transfer (or just 1, 2, 3). Add --lang vi for Vietnamese,
before or after the command. Plain pytest works too, inside the kit's environment:
  source .venv/bin/activate && pytest exercises/01_cnn
""", "vi": """\
{prog} - bài tập và chấm điểm tự động cho bài giảng "Mạng nơ-ron tích chập sâu".

Sinh viên:    {prog} list | check [CHỦ_ĐỀ] | hint CHỦ_ĐỀ [BÀI] | watch [CHỦ_ĐỀ] | solution CHỦ_ĐỀ
Nộp bài:      {prog} submit --name "Tên bạn"   (một tệp zip chứa các tệp bài tập)
Tự học:       {prog} train mnist|transfer [--profile quick|full|auto] | figures --out THƯ_MỤC
Dữ liệu:      {prog} data status | data fetch TÊN [--from BẢN_SAO]
{audiences}
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
    rooms = audiences.available()
    usage = "".join(pick(room.USAGE, lang).format(prog=PROG) + "\n" for room in rooms)
    p = argparse.ArgumentParser(prog=PROG, description=pick(HELP, lang).format(
                                    prog=PROG, audiences=usage),
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
    s.add_argument("--cold", action="store_true",
                   help=h("run each check as a fresh process (slower; no warm process)",
                          "chạy mỗi lần kiểm tra bằng một tiến trình mới (chậm hơn)"))
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

    s = command("submit", "check, then pack your exercise files into one zip to hand in",
                "kiểm tra rồi đóng gói các tệp bài tập vào một tệp zip để nộp")
    s.add_argument("--name", help=h("your name, as your instructor knows it (names the zip; "
                                    "asked if not given)",
                                    "họ tên của bạn như giảng viên biết (đặt tên tệp zip; "
                                    "sẽ được hỏi nếu không có)"))
    s.add_argument("--out", help=h("folder for the zip (default: where you run the command)",
                                   "thư mục ghi tệp zip (mặc định: nơi bạn chạy lệnh)"))
    s.add_argument("--no-check", action="store_true",
                   help=h("pack without running the tests first",
                          "đóng gói mà không chạy kiểm tra trước"))
    s.add_argument("--target", help=target_help)

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

    s = command("figures", "draw the lecture's figures with your code (PNG)",
                "vẽ các hình của bài giảng bằng code của bạn (PNG)")
    s.add_argument("--target", default=None, help=h("exercises (default) or solutions",
                                                    "exercises (mặc định) hoặc solutions"))
    s.add_argument("--out", default="figures")

    s = command("data", "data sets and weights: status, fetch",
                "dữ liệu và trọng số: trạng thái, tải về")
    s.add_argument("action", choices=["status", "fetch"])
    s.add_argument("name", nargs="?")
    s.add_argument("--from", dest="mirror", help=h("copy from this local mirror folder",
                                                  "sao chép từ thư mục bản sao này"))
    s.add_argument("--verify", action="store_true",
                   help=h("check MD5 sums (status)", "kiểm tra tổng MD5 (status)"))
    for room in rooms:  # instructors' and maintainers' commands, where their code is
        room.register(command, h)
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
    quiet.third_party()  # before Lightning, hypothesis or nbgrader says anything
    lang = current_lang(_lang_in(argv))
    parser = build_parser(lang)
    args = parser.parse_args(argv)
    if getattr(args, "lang", None):
        os.environ["CNNKIT_LANG"] = args.lang
    args.lang = current_lang(getattr(args, "lang", None))
    where.resolve_args(args)
    if not args.command:
        parser.print_help()
        return 0
    try:
        handler = getattr(args, "handler", None) or \
            getattr(handlers, f"cmd_{args.command.replace('-', '_')}")
        code = handler(args) or 0
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
        print(f"{PROG}: {render(str(exc))}", file=sys.stderr)  # one language on screen
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
