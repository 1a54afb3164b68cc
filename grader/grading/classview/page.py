"""The report page: one static HTML file, no script from elsewhere, images inline.

Every string that came from a submission (names, ids, messages, notes) passes through
``esc``: control characters dropped, then HTML-escaped.
"""

from __future__ import annotations

import html
import statistics
from dataclasses import dataclass, field

from grader.grading.classview import concepts, plots, summary
from grader.grading.classview.load import Student
from grader.grading.classview.similarity import NOTICE, Pair
from grader.core.i18n import pick
from grader.grading import names


def esc(text) -> str:
    return html.escape(names.clean(str(text)), quote=True)


def esc_block(text) -> str:
    return html.escape(names.clean(str(text), keep_newlines=True), quote=True)


@dataclass
class ReportInput:
    students: list[Student]
    lang: str
    unreadable: list[str] = field(default_factory=list)
    pairs: list[Pair] | None = None  # None: similarity not computed (no submissions found)
    kit_version: str = ""


CSS = """
:root{--ink:#1f2933;--muted:#616e7c;--line:#e4e7eb;--accent:#3b6ea8;--bad:#b42318;--ok:#2f7d4f}
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);
 margin:0;background:#f7f8fa;line-height:1.45}
header{background:#1f3b5c;color:#fff;padding:1.2rem 2rem}
header h1{margin:0;font-size:1.5rem} header p{margin:.3rem 0 0;color:#cfd9e6}
nav{padding:.5rem 2rem;background:#fff;border-bottom:1px solid var(--line);font-size:.9rem}
nav a{margin-right:1rem;color:var(--accent);text-decoration:none}
main{padding:1rem 2rem 3rem;max-width:80rem}
section{background:#fff;border:1px solid var(--line);border-radius:8px;padding:1rem 1.4rem;
 margin:1rem 0}
h2{margin:.2rem 0 .8rem;font-size:1.2rem} h3{font-size:1rem;margin:1rem 0 .4rem}
.cards{display:flex;gap:1rem;flex-wrap:wrap}
.card{border:1px solid var(--line);border-radius:6px;padding:.6rem 1rem;min-width:9rem}
.card b{display:block;font-size:1.4rem}
.card span{color:var(--muted);font-size:.85rem}
.plot{display:flex;gap:1.2rem;align-items:flex-start;flex-wrap:wrap;margin:.6rem 0}
.plot img{border:1px solid var(--line);border-radius:4px;background:#fff}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(33rem,1fr));gap:.8rem}
table{border-collapse:collapse;font-size:.85rem}
th,td{border-bottom:1px solid var(--line);padding:.25rem .6rem;text-align:left;vertical-align:top}
th{color:var(--muted);font-weight:600}
td.n{text-align:right;font-variant-numeric:tabular-nums}
pre{background:#f4f5f7;padding:.5rem .7rem;border-radius:4px;font-size:.78rem;white-space:pre-wrap;
 max-width:52rem;margin:.3rem 0}
.muted{color:var(--muted)} .bad{color:var(--bad)} .ok{color:var(--ok)}
.notice{background:#fff7e0;border-left:4px solid #e0a800;padding:.5rem 1rem}
details summary{cursor:pointer;color:var(--accent);white-space:nowrap}
a.pair{white-space:nowrap} table.wide{width:100%} table.wide td:first-child{width:72%}
.plot table td,.plot table th{padding:.15rem .6rem}
"""


def _table(headers: list[str], rows: list[list[str]], numeric: set[int] = frozenset(),
           wide: bool = False) -> str:
    head = "".join(f"<th>{h}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f'<td class="n">{c}</td>' if i in numeric else f"<td>{c}</td>"
                                    for i, c in enumerate(r)) + "</tr>" for r in rows)
    return f"<table{' class=wide' if wide else ''}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _num(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


class Page:
    def __init__(self, data: ReportInput):
        self.d = data
        self.lang = data.lang

    def t(self, en: str, vi: str) -> str:
        return pick({"en": en, "vi": vi}, self.lang)

    def hist_block(self, values: list[float], top: float, title: str, alt: str) -> str:
        h = plots.histogram(values, top, title, self.t("points", "điểm"),
                            self.t("students", "sinh viên"))
        rows = [[f"{_num(h.edges[i])}–{_num(h.edges[i + 1])}", str(c)]
                for i, c in enumerate(h.counts)]
        table = _table([self.t("points", "điểm"), self.t("students", "sinh viên")], rows, {1})
        return (f'<div class="plot"><img src="{h.png_uri}" alt="{esc(alt)}" width="346" '
                f'height="211">{table}</div>')

    # -- sections -------------------------------------------------------------------------

    def overview(self) -> str:
        st = self.d.students
        totals = [s.score for s in st]
        top = max((s.max_score for s in st), default=0.0)
        cards = [(str(len(st)), self.t("students graded", "sinh viên đã chấm")),
                 (_num(statistics.mean(totals)) if totals else "—", self.t("mean total", "điểm TB")),
                 (_num(statistics.median(totals)) if totals else "—",
                  self.t("median total", "trung vị")),
                 (_num(top), self.t("maximum points", "điểm tối đa"))]
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
            rows.append([esc(name), _num(s.max_score), str(len(s.scores)),
                         f"{rate:.0%}" if rate is not None else "—",
                         _num(statistics.mean(s.scores)) if s.scores else "—",
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
                       + _table([self.t("exercise", "bài"), self.t("max", "tối đa"),
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
        out = [f'<section id="concepts"><h2>{self.t("Concepts missed most", "Khái niệm bị sai nhiều nhất")}</h2>',
               f"<p class='muted'>{self.t('Failing tests grouped by the concept their message names; one example each, with student names removed.', 'Các bài kiểm tra chưa đạt, gộp theo khái niệm mà thông báo nêu ra; mỗi nhóm một ví dụ, đã bỏ tên sinh viên.')}</p>"]
        if not groups:
            out.append(f"<p class='ok'>{self.t('No test failed.', 'Không có bài kiểm tra nào chưa đạt.')}</p>")
        for exercise, found in groups.items():
            rows = [[esc(m.text(self.lang)), str(len(m.students)), str(m.tests),
                     f"<details><summary>{self.t('example', 'ví dụ')}</summary><pre>{esc_block(m.example)}</pre></details>"]
                    for m in found[:6]]
            more = len(found) - 6
            out.append(f"<h3>{esc(exercise)}</h3>" + _table(
                [self.t("concept", "khái niệm"), self.t("students", "sinh viên"),
                 self.t("failing tests", "bài kiểm tra chưa đạt"), ""], rows, {1, 2}, wide=True))
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
            floor = ", ".join(_num(x) for x in sorted(ts.floors)) or "—"
            thr = ", ".join(_num(x) for x in sorted(ts.thresholds)) or "—"
            out.append(f"<h3>{esc(column)}</h3><p>{self.t('profile', 'cấu hình')}: {esc(', '.join(sorted(ts.profiles)))}; "
                       f"{self.t('devices', 'thiết bị')}: {esc(', '.join(sorted(ts.devices)))}; "
                       f"{self.t('floor', 'mức sàn')} {floor}, {self.t('threshold', 'ngưỡng')} {thr}</p>")
            if ts.accuracies:
                h = plots.histogram(ts.accuracies, 1.0,
                                    self.t("Measured accuracy", "Độ chính xác đo được"),
                                    self.t("accuracy (grader's held-out images)",
                                           "độ chính xác (ảnh giữ riêng của bộ chấm)"),
                                    self.t("runs", "lần chạy"), bins=20)
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
                           + _table([self.t("what", "mục"), self.t("count", "số")], rows, {1})
                           + "</div>")
            else:
                out.append(f"<p class='bad'>{self.t('No run produced a measured accuracy.', 'Không lần chạy nào có độ chính xác đo được.')} "
                           f"{self.t('timed out', 'quá thời gian')}: {ts.timed_out}, "
                           f"{self.t('crashed', 'bị lỗi')}: {ts.crashed}</p>")
            if ts.reasons:
                out.append(_table([self.t("why runs failed", "lý do lần chạy thất bại"),
                                   self.t("runs", "lần chạy")],
                                  [[esc(k), str(v)] for k, v in sorted(ts.reasons.items(),
                                                                     key=lambda kv: -kv[1])], {1}))
        out.append("</section>")
        return "\n".join(out)

    def risk(self) -> str:
        found = summary.at_risk(self.d.students)
        rows = [[esc(r.student.name), esc(r.student.sid),
                 f"{_num(r.student.score)} / {_num(r.student.max_score)}",
                 "<br>".join(esc(x) for x in r.trouble[:4]) or
                 (self.t("low total", "tổng điểm thấp") if r.why_low else "")] for r in found]
        return (f'<section id="risk"><h2>{self.t("Students at risk", "Sinh viên cần chú ý")}</h2>'
                f"<p class='muted'>{self.t('The lowest totals, and anyone whose grading hit a time limit, a crash or a machine problem (check those runs before trusting the score).', 'Những tổng điểm thấp nhất, và mọi sinh viên mà lần chấm gặp giới hạn thời gian, lỗi chương trình hoặc sự cố máy (hãy kiểm tra các lần chạy đó trước khi tin vào điểm).')}</p>"
                + (_table([self.t("name", "họ tên"), "id", self.t("total", "tổng"),
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
                + (_table([self.t("name", "họ tên"), "id", self.t("exercise", "bài"), ""], rows)
                   if rows else f"<p class='ok'>{self.t('Nothing to review.', 'Không có gì cần xem lại.')}</p>")
                + "</section>")

    def similar(self) -> str:
        head = (f'<section id="similar"><h2>{self.t("Similar submissions, for review", "Bài nộp tương đồng, để xem xét")}</h2>'
                f"<p class='notice'>{esc(pick(NOTICE, self.lang))}</p>")
        if self.d.pairs is None:
            return head + (f"<p class='muted'>{self.t('Not computed: the submissions were not found (give --submissions FOLDER to cnnkit report).', 'Chưa tính: không tìm thấy bài nộp (thêm --submissions THƯ_MỤC cho cnnkit report).')}</p></section>")
        if not self.d.pairs:
            return head + f"<p class='ok'>{self.t('No pair above the threshold.', 'Không có cặp nào vượt ngưỡng.')}</p></section>"
        shown = {s.sid: s.name for s in self.d.students}
        rows = [[f"<a class='pair' href='similar/{esc(p.page)}'>{esc(shown.get(p.a, p.a))} &amp; {esc(shown.get(p.b, p.b))}</a>",
                 f"{p.score:.0%}", esc(", ".join(f"{f} ({v:.0%})" for f, v in sorted(p.files.items())))]
                for p in self.d.pairs]
        return head + _table([self.t("pair", "cặp"), self.t("highest", "cao nhất"),
                              self.t("files", "tệp")], rows, {1}) + "</section>"

    def machine(self) -> str:
        m = summary.machine_facts(self.d.students)
        none = self.t("not in the records", "không có trong kết quả")
        rows = [[self.t("kit version", "phiên bản kit"),
                 esc(", ".join(sorted(m.kit_versions)) or
                     f"{none} ({self.t('report written by', 'báo cáo tạo bởi')} cnnkit {self.d.kit_version})")],
                [self.t("distinct grading fingerprints", "số dấu vân tay chấm khác nhau"),
                 f"{m.fingerprints} / {m.students}"],
                [self.t("training profiles", "cấu hình huấn luyện"),
                 esc(", ".join(sorted(m.profiles)) or "—")],
                [self.t("devices", "thiết bị"), esc(", ".join(sorted(m.devices)) or "—")],
                [self.t("time per student (median, max)", "thời gian mỗi sinh viên (trung vị, lớn nhất)"),
                 f"{m.median_s:.1f} s, {max(m.seconds, default=0):.1f} s"]]
        return (f'<section id="machine"><h2>{self.t("The run", "Lần chấm")}</h2>'
                + _table([self.t("fact", "thông tin"), self.t("value", "giá trị")], rows)
                + "</section>")

    def render(self) -> str:
        nav = [("scores", self.t("Scores", "Điểm số")), ("exercises", self.t("Exercises", "Bài tập")),
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
{self.exercises()}
{self.missed()}
{self.training()}
{self.risk()}
{self.review()}
{self.similar()}
{self.machine()}
</main></body></html>
"""
