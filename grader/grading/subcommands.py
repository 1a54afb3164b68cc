"""The instructors' grading commands: ``grade`` and ``grade-one`` (a Slurm task).
Registered by the CLI only where this package is (see ``grader.cli.audiences``)."""

from __future__ import annotations

from pathlib import Path

from grader.core import manifest, paths
from grader.core.i18n import pick
from grader.core.limits import DEFAULTS
from grader.core.limits import Limits
from grader.grading import canary
from grader.grading.intake import survey as intake
from grader.grading.classview import subcommands as classview_subcommands

ORDER = 10
USAGE = {"en": "Instructors:  {prog} doctor | grade SUBMISSIONS --out DIR | report DIR | "
               "feedback DIR --lang vi|en | export DIR --format moodle|canvas|csv --out FILE",
         "vi": "Giảng viên:   {prog} doctor | grade BÀI_NỘP --out THƯ_MỤC | report THƯ_MỤC | "
               "feedback THƯ_MỤC --lang vi|en | export THƯ_MỤC --format moodle|canvas|csv "
               "--out TỆP"}


def register(command, h) -> None:
    s = command("grade", "grade a folder of submissions into a gradebook",
                "chấm một thư mục bài nộp thành bảng điểm")
    s.set_defaults(handler=cmd_grade)
    s.add_argument("submissions", help=h("folder with one sub-folder or archive (.zip, .tar.gz) "
                                         "per student, or Moodle's or Canvas's download",
                                         "thư mục chứa một thư mục con hoặc tệp nén (.zip, "
                                         ".tar.gz) cho mỗi sinh viên, hoặc bản tải về từ "
                                         "Moodle hay Canvas"))
    s.add_argument("--out", required=True, help=h("output folder for the gradebook and reports",
                                                  "thư mục ghi bảng điểm và nhận xét"))
    s.add_argument("-j", "--jobs", type=int, default=1,
                   help=h("students graded in parallel", "số sinh viên chấm song song"))
    s.add_argument("--topics", nargs="+", help=h("topics to grade (default: all)",
                                                 "các chủ đề cần chấm (mặc định: tất cả)"))
    s.add_argument("--regrade", action="store_true",
                   help=h("grade again the chosen topics of students whose files, the kit's "
                          "tests or the settings changed since they were graded (without it "
                          "their records are kept); each earlier record stays in the history",
                          "chấm lại các chủ đề đã chọn của sinh viên có tệp, bài kiểm tra của "
                          "kit hoặc cấu hình đã thay đổi từ lần chấm trước (không có cờ này thì "
                          "giữ nguyên); mỗi bản ghi cũ vẫn được lưu trong lịch sử"))
    s.add_argument("--force", action="store_true",
                   help=h("grade the chosen topics again for every student (each earlier "
                          "record stays in the history)",
                          "chấm lại các chủ đề đã chọn cho mọi sinh viên (mỗi bản ghi cũ vẫn "
                          "được lưu trong lịch sử)"))
    s.add_argument("--skip-missing-data", action="store_true",
                   help=h("grade what this machine has the data for; mark the rest 'not graded' "
                          "(default: stop before grading if any data is missing)",
                          "chấm phần máy này có đủ dữ liệu; phần còn lại ghi 'chưa chấm' (mặc "
                          "định: dừng trước khi chấm nếu thiếu dữ liệu)"))
    _grade_run_options(s, h)

    s = command("doctor", "check this machine: grade the reference solution as students would "
                "be graded", "kiểm tra máy: chấm lời giải mẫu đúng như chấm sinh viên")
    s.set_defaults(handler=cmd_doctor)
    s.add_argument("--topics", nargs="+", help=h("topics to check (default: all)",
                                                 "các chủ đề cần kiểm tra (mặc định: tất cả)"))
    s.add_argument("--memory-mb", type=int, default=DEFAULTS.memory_mb)
    s.add_argument("--test-timeout", type=float, default=DEFAULTS.test_timeout_s)

    classview_subcommands.register(command, h)

    s = command("grade-one", "grade one student of a plan (what each Slurm array task runs)",
                "chấm một sinh viên trong kế hoạch (việc mỗi tác vụ Slurm chạy)")
    s.set_defaults(handler=cmd_grade_one)
    s.add_argument("plan")
    s.add_argument("index", type=int)


def _grade_run_options(s, h) -> None:
    """grade's limits, graded training and backend (local or Slurm)."""
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


def cmd_grade(args) -> int:
    # lazy: keeps numpy, torch out of start-up
    from grader.grading import pipeline, readiness, slurm

    limits = Limits(memory_mb=args.memory_mb, test_timeout_s=args.test_timeout,
                    topic_timeout_s=args.timeout)
    if args.backend == "slurm":
        results = slurm.grade_class(Path(args.submissions), Path(args.out), topics=args.topics,
                                    force=args.force, limits=limits, lang=args.lang,
                                    partition=args.partition, gpus_per_task=args.gpus_per_task,
                                    array_parallelism=args.array_parallelism,
                                    skip_missing_data=args.skip_missing_data, train=args.train,
                                    regrade=args.regrade)
    else:
        results = pipeline.grade_class(Path(args.submissions), Path(args.out), jobs=args.jobs,
                                       topics=args.topics, force=args.force, limits=limits,
                                       lang=args.lang, skip_missing_data=args.skip_missing_data,
                                       train=args.train, regrade=args.regrade)
    out = Path(args.out).resolve()
    width = max(len(s) for s in results)
    for student in sorted(results):
        r = results[student]
        print(f"  {student:<{width}}  {r['score']:>6g} / {r['max_score']:g}")
    not_graded = next(iter(results.values()))["cnnkit"].get("not_graded", {})
    if not_graded:
        print(pick({"en": "not graded on this machine (data missing; marked 'not graded', "
                          "not zero):",
                    "vi": "chưa chấm trên máy này (thiếu dữ liệu; ghi 'chưa chấm', không phải "
                          "điểm 0):"}, args.lang))
        for line in readiness.describe(not_graded, args.lang):
            print(f"  {line}")
    skipped = intake.read_back(out)
    if skipped:
        print(pick({"en": f"entries of {args.submissions} not simply graded (all: "
                          f"{out / intake.FILE_NAME}):",
                    "vi": f"các mục của {args.submissions} không được chấm bình thường (đầy đủ: "
                          f"{out / intake.FILE_NAME}):"}, args.lang))
        for row in skipped:
            who = f" -> {row['student']}" if row.get("student") else ""
            print(f"  {row['entry']}{who}: {intake.status_word(row['status'], args.lang)}: "
                  f"{row['reason']}")
    for line in term_summary(getattr(results, "tally", {}), args.lang):
        print(line)
    print(pick({"en": "gradebook", "vi": "bảng điểm"}, args.lang) + f": {out / 'gradebook.csv'}")
    print(pick({"en": "feedback and results.json per student",
                "vi": "nhận xét và results.json của từng sinh viên"}, args.lang)
          + f": {out / 'students'}/<student>/")
    if (out / "report.html").is_file():
        print(pick({"en": "class report", "vi": "báo cáo lớp"}, args.lang)
              + f": {out / 'report.html'}")
    return 0


def term_summary(tally: dict[str, dict[str, list[str]]], lang: str) -> list[str]:
    """What this run did to each topic's records: kept, added, replaced, and which
    records were kept although their files or the kit changed (``--regrade``)."""
    lines = []
    for topic, states in tally.items():
        n = {k: len(v) for k, v in states.items()}
        lines.append(pick({
            "en": f"{topic}: {n['kept'] + n['stale']} kept, {n['added']} added, "
                  f"{n['replaced']} replaced (earlier records in students/<id>/history/)",
            "vi": f"{topic}: giữ {n['kept'] + n['stale']}, thêm {n['added']}, thay "
                  f"{n['replaced']} (bản ghi cũ trong students/<id>/history/)"}, lang))
        if states["stale"]:
            shown = ", ".join(states["stale"][:8]) + (" ..." if len(states["stale"]) > 8 else "")
            lines.append("  " + pick({
                "en": f"kept although their files, the kit's tests or the settings changed "
                      f"since: {shown} (--regrade grades them again)",
                "vi": f"giữ nguyên dù tệp, bài kiểm tra của kit hoặc cấu hình đã đổi từ lần "
                      f"chấm trước: {shown} (--regrade để chấm lại)"}, lang))
    return lines


def cmd_doctor(args) -> int:
    limits = Limits(memory_mb=args.memory_mb, test_timeout_s=args.test_timeout)
    names = [paths.resolve_topic(t) for t in args.topics] if args.topics else paths.topics()
    code, summary = canary.doctor([manifest.load_topic(t) for t in names], limits, args.lang)
    print(summary)
    return code


def cmd_grade_one(args) -> int:
    from grader.grading import slurm  # lazy: keeps numpy, torch out of start-up

    result = slurm.grade_one(Path(args.plan), args.index)
    print(f"{result['cnnkit']['student']}: {result['score']:g} / {result['max_score']:g}")
    return 0
