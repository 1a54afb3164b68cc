"""The report page: one static HTML file, no script from elsewhere, images inline.

Every string that came from a submission (names, ids, messages, notes) passes through
``esc``: control characters dropped, then HTML-escaped.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

from grader.grading.classview import concepts, plots, student_table, summary
from grader.grading.classview.load import Student
from grader.grading.classview.similarity import NOTICE, Pair
from grader.core.i18n import pick
from grader.grading.classview.markup import CSS, esc, esc_block, num, table


@dataclass
class ReportInput:
    students: list[Student]
    lang: str
    unreadable: list[str] = field(default_factory=list)
    pairs: list[Pair] | None = None  # None: similarity not computed (no submissions found)
    kit_version: str = ""
    pairs_kept: bool = False  # the pairs found when graded (DIR/similar/pairs.json)


class Page:
    def __init__(self, data: ReportInput):
        self.d = data
        self.lang = data.lang

    def t(self, en: str, vi: str) -> str:
        return pick({"en": en, "vi": vi}, self.lang)

    def hist_block(self, values: list[float], top: float, title: str, alt: str,
                   xlabel: str | None = None, ylabel: str | None = None, bins: int = 10,
                   places: int = 2) -> str:
        """The distribution of ``values``: a dot plot for a small class, a histogram for a
        large one (``plots.SMALL_CLASS``), with its counts in a table beside it."""
        xlabel = xlabel or self.t("points", "điểm")
        ylabel = ylabel or self.t("students", "sinh viên")
        h = plots.distribution(values, top, title, xlabel, ylabel, bins, places)
        if isinstance(h, plots.DotPlot):
            rows = [[f"{v:.{places}f}".rstrip("0").rstrip(".") or "0", str(c)]
                    for v, c in zip(h.values, h.counts)]
        else:
            rows = [[f"{num(h.edges[i])}–{num(h.edges[i + 1])}", str(c)]
                    for i, c in enumerate(h.counts)]
        shown = table([xlabel, ylabel], rows, {1})
        return (f'<div class="plot"><img src="{h.png_uri}" alt="{esc(alt)}" width="346" '
                f'height="211">{shown}</div>')

    # -- sections -------------------------------------------------------------------------

    def overview(self) -> str:
        st = self.d.students
        totals = [s.score for s in st]
        top = max((s.max_score for s in st), default=0.0)
        cards = [(str(len(st)), self.t("students graded", "sinh viên đã chấm")),
                 (num(statistics.mean(totals)) if totals else "—", self.t("mean total", "điểm TB")),
                 (num(statistics.median(totals)) if totals else "—",
                  self.t("median total", "trung vị")),
                 (num(top), self.t("maximum points", "điểm tối đa"))]
        html_cards = "".join(f"<div class='card'><b>{v}</b><span>{k}</span></div>"
                             for v, k in cards)
        out = [f'<section id="scores"><h2>{self.t("Scores", "Điểm số")}</h2>',
               f'<div class="cards">{html_cards}</div>',
               f"<h3>{self.t('Total', 'Tổng điểm')}</h3>",
               self.hist_block(totals, top, self.t("Total score", "Tổng điểm"),
                               self.t("histogram of total scores", "biểu đồ tổng điểm"))]
        if self.d.unreadable:
            out.append(f"<p class='bad'>{self.t('Unreadable or unsealed results (not counted; grade them again)', 'Kết quả không đọc được hoặc sai niêm phong (không tính; hãy chấm lại)')}: "
                       f"{esc(', '.join(self.d.unreadable))}</p>")
        out.append(f"<h3>{self.t('Per topic', 'Theo chủ đề')}</h3><div class='grid'>")
        for topic, (tmax, values) in summary.topic_totals(st).items():
            out.append(f"<div><b>{esc(topic)}</b>"
                       + self.hist_block(values, tmax, esc(topic), topic) + "</div>")
        out.append("</div></section>")
        return "\n".join(out)

    def exercises(self) -> str:
        stats = summary.exercise_stats(self.d.students)
        rows, labels, rates = [], [], []
        for name, s in stats.items():
            rate = s.pass_rate
            rows.append([esc(name), num(s.max_score), str(len(s.scores)),
                         f"{rate:.0%}" if rate is not None else "—",
                         num(statistics.mean(s.scores)) if s.scores else "—",
                         str(s.not_graded)])
            if rate is not None:
                labels.append(name)
                rates.append(100 * rate)
        out = [f'<section id="exercises"><h2>{self.t("Exercises", "Bài tập")}</h2>',
               f"<p class='muted'>{self.t('Pass rate: the share of graded students with full points on the exercise.', 'Tỉ lệ đạt: tỉ lệ sinh viên được chấm đạt điểm tối đa của bài.')}</p>"]
        if labels:
            uri = plots.bar_chart(labels, rates, self.t("Pass rate per exercise", "Tỉ lệ đạt theo bài"),
                                  self.t("% of students with full points",
                                         "% sinh viên đạt điểm tối đa"))
            out.append(f'<div class="plot"><img src="{uri}" alt="{esc(self.t("pass rates", "tỉ lệ đạt"))}">'
                       + table([self.t("exercise", "bài"), self.t("max", "tối đa"),
                                 self.t("graded", "đã chấm"), self.t("pass rate", "tỉ lệ đạt"),
                                 self.t("mean", "TB"), self.t("not graded", "chưa chấm")],
                                rows, {1, 2, 3, 4, 5}) + "</div>")
        out.append(f"<details><summary>{self.t('Score distribution of each exercise', 'Phân bố điểm của từng bài')}</summary><div class='grid'>")
        for name, s in stats.items():
            if s.scores:
                out.append(f"<div><b>{esc(name)}</b>"
                           + self.hist_block(s.scores, s.max_score, esc(name), name) + "</div>")
        out.append("</div></details></section>")
        return "\n".join(out)

    def missed(self) -> str:
        groups = concepts.missed_by_exercise(self.d.students, self.lang)
        empty = [st for st in self.d.students if concepts.submitted_nothing(st, self.lang)]
        out = [f'<section id="concepts"><h2>{self.t("Concepts missed most", "Khái niệm bị sai nhiều nhất")}</h2>',
               f"<p class='muted'>{self.t('Failing tests grouped by the concept their message names, counted in students (one student missing a concept in several tests counts once); one example each, with student names removed.', 'Các bài kiểm tra chưa đạt, gộp theo khái niệm mà thông báo nêu ra, đếm theo sinh viên (một sinh viên sai một khái niệm ở nhiều bài kiểm tra chỉ tính một lần); mỗi nhóm một ví dụ, đã bỏ tên sinh viên.')}</p>"]
        if empty:
            out.append(f"<p class='bad'>{self.t(f'Nothing submitted ({len(empty)}): no exercise file was found', f'Không nộp gì ({len(empty)}): không tìm thấy tệp bài tập nào')}: "
                       f"{', '.join(esc(st.name) for st in empty)}</p>")
        if not groups:
            out.append(f"<p class='ok'>{self.t('No other test failed.' if empty else 'No test failed.', 'Không có bài kiểm tra nào khác chưa đạt.' if empty else 'Không có bài kiểm tra nào chưa đạt.')}</p>")
        graded = len(self.d.students) - len(empty)
        for exercise, found in groups.items():
            rows = [[esc(m.text(self.lang)), f"{len(m.students)} / {graded}",
                     f"<details><summary>{self.t('example', 'ví dụ')}</summary><pre>{esc_block(m.example)}</pre></details>"]
                    for m in found[:6]]
            more = len(found) - 6
            out.append(f"<h3>{esc(exercise)}</h3>" + table(
                [self.t("concept", "khái niệm"), self.t("students", "sinh viên"), ""],
                rows, {1}, wide=True))
            if more > 0:
                out.append(f"<p class='muted'>{self.t(f'{more} more, each rarer', f'thêm {more} nhóm khác, ít gặp hơn')}</p>")
        out.append("</section>")
        return "\n".join(out)

    def training(self) -> str:
        stats = summary.training_stats(self.d.students)
        if not stats:
            return (f'<section id="training"><h2>{self.t("Graded training", "Huấn luyện có chấm điểm")}</h2>'
                    f"<p class='muted'>{self.t('No graded training in these records (graded with --train off).', 'Không có lần huấn luyện có chấm điểm nào trong kết quả (chấm với --train off).')}</p></section>")
        out = [f'<section id="training"><h2>{self.t("Graded training", "Huấn luyện có chấm điểm")}</h2>']
        for column, ts in stats.items():
            floor = ", ".join(num(x) for x in sorted(ts.floors)) or "—"
            thr = ", ".join(num(x) for x in sorted(ts.thresholds)) or "—"
            out.append(f"<h3>{esc(column)}</h3><p>{self.t('profile', 'cấu hình')}: {esc(', '.join(sorted(ts.profiles)))}; "
                       f"{self.t('devices', 'thiết bị')}: {esc(', '.join(sorted(ts.devices)))}; "
                       f"{self.t('floor', 'mức sàn')} {floor}, {self.t('threshold', 'ngưỡng')} {thr}</p>")
            if ts.accuracies:
                h = plots.distribution(ts.accuracies, 1.0,
                                       self.t("Measured accuracy", "Độ chính xác đo được"),
                                       self.t("accuracy (grader's held-out images)",
                                              "độ chính xác (ảnh giữ riêng của bộ chấm)"),
                                       self.t("runs", "lần chạy"), bins=20, places=3)
                above = sum(1 for a in ts.accuracies if ts.thresholds and a >= min(ts.thresholds))
                below = sum(1 for a in ts.accuracies if ts.floors and a <= max(ts.floors))
                rows = [[self.t("runs", "lần chạy"), str(ts.runs)],
                        [self.t("accuracy measured", "đo được độ chính xác"), str(len(ts.accuracies))],
                        [self.t("at or above threshold", "đạt ngưỡng"), str(above)],
                        [self.t("at or below floor", "không vượt mức sàn"), str(below)],
                        [self.t("median accuracy", "trung vị độ chính xác"),
                         f"{statistics.median(ts.accuracies):.4f}"],
                        [self.t("timed out", "quá thời gian"), str(ts.timed_out)],
                        [self.t("crashed or no result", "lỗi hoặc không có kết quả"), str(ts.crashed)],
                        [self.t("weights not trained in the run (check the source)",
                                "trọng số không huấn luyện trong lần chạy (hãy xem mã nguồn)"),
                         str(ts.not_trained_here)]]
                out.append(f'<div class="plot"><img src="{h.png_uri}" alt="{esc(column)}">'
                           + table([self.t("what", "mục"), self.t("count", "số")], rows, {1})
                           + "</div>")
            else:
                out.append(f"<p class='bad'>{self.t('No run produced a measured accuracy.', 'Không lần chạy nào có độ chính xác đo được.')} "
                           f"{self.t('timed out', 'quá thời gian')}: {ts.timed_out}, "
                           f"{self.t('crashed', 'bị lỗi')}: {ts.crashed}</p>")
            if ts.reasons:
                out.append(table([self.t("why runs failed", "lý do lần chạy thất bại"),
                                   self.t("runs", "lần chạy")],
                                  [[esc(k), str(v)] for k, v in sorted(ts.reasons.items(),
                                                                     key=lambda kv: -kv[1])], {1}))
        out.append("</section>")
        return "\n".join(out)

    def risk(self) -> str:
        found = summary.at_risk(self.d.students)
        rows = [[esc(r.student.name), esc(r.student.sid),
                 f"{num(r.student.score)} / {num(r.student.max_score)}",
                 "<br>".join(esc(x) for x in r.trouble[:4]) or
                 (self.t("low total", "tổng điểm thấp") if r.why_low else "")] for r in found]
        return (f'<section id="risk"><h2>{self.t("Students at risk", "Sinh viên cần chú ý")}</h2>'
                f"<p class='muted'>{self.t('The lowest totals, and anyone whose grading hit a time limit, a crash or a machine problem (check those runs before trusting the score).', 'Những tổng điểm thấp nhất, và mọi sinh viên mà lần chấm gặp giới hạn thời gian, lỗi chương trình hoặc sự cố máy (hãy kiểm tra các lần chạy đó trước khi tin vào điểm).')}</p>"
                + (table([self.t("name", "họ tên"), "id", self.t("total", "tổng"),
                           self.t("why", "lý do")], rows, {2}) if rows else
                   f"<p class='ok'>{self.t('Nobody.', 'Không có ai.')}</p>") + "</section>")

    def review(self) -> str:
        """Exercises the grader could not decide: a person reads them (the points stand)."""
        rows = []
        for st in self.d.students:
            for exercise, note in st.review.items():
                text = note.get(self.lang) or note.get("en", "") if isinstance(note, dict) \
                    else note
                rows.append([esc(st.name), esc(st.sid), esc(exercise),
                             f"<details><summary>{self.t('why', 'lý do')}</summary>"
                             f"<pre>{esc_block(text)}</pre></details>"])
        return (f'<section id="review"><h2>{self.t("To review by a person", "Cần người chấm xem lại")}</h2>'
                f"<p class='muted'>{self.t('The rule could not decide these by reading the code (a name looked up at run time, eval, an unknown module...). They keep their points, and are not zeros, until a person has read the code.', 'Quy tắc không thể kết luận các bài này chỉ bằng cách đọc code (tên tra cứu lúc chạy, eval, module lạ...). Các bài vẫn giữ điểm, không phải điểm 0, cho tới khi có người đọc lại code.')}</p>"
                + (table([self.t("name", "họ tên"), "id", self.t("exercise", "bài"), ""], rows)
                   if rows else f"<p class='ok'>{self.t('Nothing to review.', 'Không có gì cần xem lại.')}</p>")
                + "</section>")

    def similar(self) -> str:
        head = (f'<section id="similar"><h2>{self.t("Similar submissions, for review", "Bài nộp tương đồng, để xem xét")}</h2>'
                f"<p class='notice'>{esc(pick(NOTICE, self.lang))}</p>")
        if self.d.pairs is None:
            return head + (f"<p class='muted'>{self.t('Not computed: the submissions were not found, and no pairs were kept from grading (give --submissions FOLDER to cnnkit report).', 'Chưa tính: không tìm thấy bài nộp và không có cặp nào được lưu từ lần chấm (thêm --submissions THƯ_MỤC cho cnnkit report).')}</p></section>")
        if self.d.pairs_kept:
            head += (f"<p class='muted'>{self.t('Found when the class was graded (kept, sealed, in similar/pairs.json); give --submissions FOLDER to cnnkit report to compare again.', 'Tìm thấy khi chấm lớp (được lưu, có niêm phong, trong similar/pairs.json); thêm --submissions THƯ_MỤC cho cnnkit report để so sánh lại.')}</p>")
        if not self.d.pairs:
            return head + f"<p class='ok'>{self.t('No pair above the threshold.', 'Không có cặp nào vượt ngưỡng.')}</p></section>"
        shown = {s.sid: s.name for s in self.d.students}
        rows = [[f"<a class='pair' href='similar/{esc(p.page)}'>{esc(shown.get(p.a, p.a))} &amp; {esc(shown.get(p.b, p.b))}</a>",
                 f"{p.score:.0%}", esc(", ".join(f"{f} ({v:.0%})" for f, v in sorted(p.files.items())))]
                for p in self.d.pairs]
        return head + table([self.t("pair", "cặp"), self.t("highest", "cao nhất"),
                              self.t("files", "tệp")], rows, {1}) + "</section>"

    def machine(self) -> str:
        m = summary.machine_facts(self.d.students)
        none = self.t("not in the records", "không có trong kết quả")
        rows = [[self.t("kit version", "phiên bản kit"),
                 esc(", ".join(sorted(m.kit_versions)) or
                     f"{none} ({self.t('report written by', 'báo cáo tạo bởi')} cnnkit {self.d.kit_version})")],
                [self.t("training profiles", "cấu hình huấn luyện"),
                 esc(", ".join(sorted(m.profiles)) or "—")],
                [self.t("devices", "thiết bị"), esc(", ".join(sorted(m.devices)) or "—")],
                [self.t("time per student, tests and graded training (median, max)",
                        "thời gian mỗi sinh viên, bài kiểm tra và huấn luyện có chấm (trung vị, "
                        "lớn nhất)"),
                 f"{m.median_s:.1f} s, {max(m.seconds, default=0):.1f} s"],
                [self.t("of which graded training (median, max)",
                        "trong đó huấn luyện có chấm (trung vị, lớn nhất)"),
                 f"{statistics.median(m.training_seconds) if m.training_seconds else 0:.1f} s, "
                 f"{max(m.training_seconds, default=0):.1f} s"]]
        return (f'<section id="machine"><h2>{self.t("The run", "Lần chấm")}</h2>'
                + table([self.t("fact", "thông tin"), self.t("value", "giá trị")], rows)
                + "</section>")

    def render(self) -> str:
        nav = [("scores", self.t("Scores", "Điểm số")), ("students", self.t("Students", "Sinh viên")),
               ("exercises", self.t("Exercises", "Bài tập")),
               ("concepts", self.t("Concepts missed", "Khái niệm bị sai")),
               ("training", self.t("Training", "Huấn luyện")), ("risk", self.t("At risk", "Cần chú ý")),
               ("review", self.t("To review", "Cần xem lại")),
               ("similar", self.t("Similar", "Tương đồng")), ("machine", self.t("The run", "Lần chấm"))]
        links = "".join(f"<a href='#{k}'>{v}</a>" for k, v in nav)
        return f"""<!DOCTYPE html>
<html lang="{self.lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{self.t('Class report', 'Báo cáo lớp')} - cnnkit</title>
<style>{CSS}</style></head><body>
<header><h1>{self.t('Class report', 'Báo cáo lớp')}</h1>
<p>{self.t("Made from the students' results.json files in this folder.", 'Được tạo từ các tệp results.json của sinh viên trong thư mục này.')}</p></header>
<nav>{links}</nav>
<main>
{self.overview()}
{student_table.section(self.d.students, self.d.pairs, self.lang)}
{self.exercises()}
{self.missed()}
{self.training()}
{self.risk()}
{self.review()}
{self.similar()}
{self.machine()}
</main></body></html>
"""
