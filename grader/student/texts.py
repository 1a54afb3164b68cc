"""Every sentence the student's commands print, in English and Vietnamese."""

from __future__ import annotations

from grader.core.i18n import pick

MSG = {
    "cols": {"en": ("topic", "exercise", "state", "points", "hints"),
             "vi": ("chủ đề", "bài", "trạng thái", "điểm", "gợi ý")},
    "done": {"en": "done", "vi": "xong"},
    "failing": {"en": "failing", "vi": "chưa đạt"},
    "not started": {"en": "not started", "vi": "chưa làm"},
    "waiting for data": {"en": "needs data", "vi": "thiếu dữ liệu"},
    "tests edited": {"en": "tests edited", "vi": "kiểm tra bị sửa"},
    "data_skip": {"en": "{n} test(s) not run: the data they need is missing",
                  "vi": "{n} bài kiểm tra không chạy: thiếu dữ liệu cần thiết"},
    "all_pass_but_data": {"en": "Every test of {topic} that could run passes; the others wait "
                                "for their data (the lines above say how to fetch it).",
                          "vi": "Mọi bài kiểm tra chạy được của {topic} đều đạt; các bài còn "
                                "lại chờ dữ liệu (dòng ở trên chỉ cách tải về)."},
    "total": {"en": "total: {done}/{n} exercises done, {got:g}/{most:g} points (visible tests)",
              "vi": "tổng: {done}/{n} bài đã xong, {got:g}/{most:g} điểm (các bài kiểm tra "
                    "công khai)"},
    "checking": {"en": "checking {topic} ({title})", "vi": "đang kiểm tra {topic} ({title})"},
    "all_pass": {"en": "All tests of {topic} pass. Next: ./kit check, or see the reference with: "
                       "./kit solution {topic}",
                 "vi": "Mọi bài kiểm tra của {topic} đều đạt. Tiếp theo: ./kit check, hoặc xem "
                       "lời giải mẫu: ./kit solution {topic}"},
    "some_fail": {"en": "{n} exercise(s) still failing. Stuck? ./kit hint {topic} {exercise}",
                  "vi": "Còn {n} bài chưa đạt. Bí? ./kit hint {topic} {exercise}"},
    "no_report": {"en": "no result: this test did not report (the run stopped before it)",
                  "vi": "không có kết quả: bài kiểm tra này không báo về (lần chạy đã dừng "
                        "trước nó)"},
    "no_tests": {"en": "No test of {topic} reported a result. pytest said:",
                 "vi": "Không bài kiểm tra nào của {topic} báo kết quả. pytest báo:"},
    "full": {"en": "(full pytest output: ./kit check {topic} --full)",
             "vi": "(toàn bộ kết quả pytest: ./kit check {topic} --full)"},
    "hint": {"en": "Hint {i}/{n} for {topic}/{exercise}:",
             "vi": "Gợi ý {i}/{n} cho {topic}/{exercise}:"},
    "no_more": {"en": "That was the last hint. The concept is in exercises/{topic}/README.md.",
                "vi": "Đó là gợi ý cuối cùng. Khái niệm được giải thích trong "
                      "exercises/{topic}/README.vi.md."},
    "more": {"en": "Ask again for the next hint.", "vi": "Hỏi lại để xem gợi ý tiếp theo."},
    "all_done": {"en": "Every topic passes. Well done!", "vi": "Mọi chủ đề đều đạt. Giỏi lắm!"},
    "locked": {"en": "{topic}/{exercise} does not pass yet, so its solution stays hidden. Finish "
                     "it first (./kit check {topic}), or use --force.",
               "vi": "{topic}/{exercise} chưa đạt nên lời giải vẫn ẩn. Hãy hoàn thành trước "
                     "(./kit check {topic}), hoặc dùng --force."},
    "no_solutions": {"en": "This copy of the kit holds no reference solutions of {topic} yet (a "
                           "student bundle): your instructor adds them when the time comes.",
                     "vi": "Bản kit này chưa có lời giải mẫu của {topic} (bản dành cho sinh "
                           "viên): giảng viên sẽ thêm vào khi đến lúc."},
    "watching": {"en": "watching {folder} ({how}); Ctrl-C to stop",
                 "vi": "đang theo dõi {folder} ({how}); Ctrl-C để dừng"},
    "events": {"en": "file events", "vi": "sự kiện tệp"},
    "polling": {"en": "polling every {s:g} s", "vi": "kiểm tra mỗi {s:g} giây"},
    "stopped": {"en": "stopped watching", "vi": "đã dừng theo dõi"},
    "warming": {"en": "first check: a cold start (Python imports PyTorch and the kit, a few "
                      "seconds); after that each save is answered in about a second",
                "vi": "lần kiểm tra đầu: khởi động nguội (Python nạp PyTorch và kit, vài giây); "
                      "sau đó mỗi lần lưu được trả lời trong khoảng một giây"},
    "restarting": {"en": "the kit's tests or code changed: starting afresh (cold)",
                   "vi": "bài kiểm tra hoặc mã của kit đã thay đổi: khởi động lại (nguội)"},
    "figure": {"en": "wrote {path}", "vi": "đã vẽ {path}"},
    "figure_skipped": {"en": "skipped {name}: {why}", "vi": "bỏ qua {name}: {why}"},
    "not_done": {"en": "{file} is not done yet ({error})",
                 "vi": "{file} chưa làm xong ({error})"},
}


def say(key: str, lang: str, **kw) -> str:
    return pick(MSG[key], lang).format(**kw)
