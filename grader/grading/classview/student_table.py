"""The report's table of students: one row each (total, points per topic, the accuracy of
each graded training, what to look at) with a link to that student's feedback page."""

from __future__ import annotations

from urllib.parse import quote

from grader.core.i18n import pick
from grader.grading.classview import concepts, summary
from grader.grading.classview.feedback_page import FILE_NAME as FEEDBACK_PAGE
from grader.grading.classview.course_order import ordered
from grader.grading.classview.load import Student, topic_of
from grader.grading.classview.markup import esc, num, table
from grader.grading.classview.similarity import Pair

# flag -> (en, vi): what the instructor should look at, in the order shown
FLAGS = {
    "nothing": ("nothing submitted", "không nộp gì"),
    "crashed": ("grading crashed", "lỗi khi chấm"),
    "risk": ("at risk", "cần chú ý"),
    "similar": ("similar", "tương đồng"),
    "review": ("review", "cần xem lại"),
    "not_graded": ("not graded", "chưa chấm"),
}


def feedback_link(sid: str) -> str:
    """The feedback page's address relative to report.html."""
    return f"students/{quote(sid, safe='')}/{FEEDBACK_PAGE}"


def crashed(student: Student) -> bool:
    """Grading of some topic crashed (a zero record that holds no grade: grade it again)."""
    topics = student.cnnkit.get("topics") or {}
    return bool(student.cnnkit.get("crashed")) or any(
        str((entry or {}).get("fingerprint", "")).startswith("crashed:")
        for entry in topics.values() if isinstance(entry, dict))


def flags_of(students: list[Student], pairs: list[Pair] | None,
             lang: str) -> dict[str, list[str]]:
    """sid -> the flags (keys of ``FLAGS``) that apply, in ``FLAGS``' order."""
    risky = {r.student.sid for r in summary.at_risk(students)}
    similar = {sid for p in pairs or [] for sid in (p.a, p.b)}
    found = {}
    for st in students:
        on = {"nothing": concepts.submitted_nothing(st, lang), "crashed": crashed(st),
              "risk": st.sid in risky, "similar": st.sid in similar,
              "review": bool(st.review), "not_graded": bool(st.not_graded)}
        found[st.sid] = [k for k in FLAGS if on[k]]
    return found


def _topic_points(st: Student, topic: str) -> str:
    parts = [v for n, v in st.exercises.items() if topic_of(n) == topic and isinstance(v, dict)]
    if not parts:
        return "—"
    return (f"{num(sum(float(v.get('score') or 0) for v in parts))} / "
            f"{num(sum(float(v.get('max_score') or 0) for v in parts))}")


def _accuracy(st: Student, column: str, lang: str) -> str:
    rec = st.training.get(column)
    if column in st.not_graded:
        return pick({"en": "not graded", "vi": "chưa chấm"}, lang)
    if not isinstance(rec, dict):
        return "—"
    acc = rec.get("accuracy")
    return f"{acc:.3f}" if isinstance(acc, (int, float)) and not isinstance(acc, bool) else "✗"


def section(students: list[Student], pairs: list[Pair] | None, lang: str) -> str:
    """The "Students" section of the page (every student string escaped)."""
    t = lambda en, vi: pick({"en": en, "vi": vi}, lang)  # noqa: E731
    topics = ordered({topic_of(n) for st in students for n in st.exercises
                      if n not in st.training})
    trainings = ordered({c for st in students for c in st.training})
    flags = flags_of(students, pairs, lang)
    rows = []
    for st in sorted(students, key=lambda s: s.sid):
        chips = " ".join(f"<span class='flag {k}'>{esc(pick(dict(zip(('en', 'vi'), FLAGS[k])), lang))}</span>"
                         for k in flags[st.sid])
        rows.append([f"<a href='{esc(feedback_link(st.sid))}'>{esc(st.name)}</a>", esc(st.sid),
                     f"{num(st.score)} / {num(st.max_score)}",
                     *[_topic_points(st, tp) for tp in topics],
                     *[_accuracy(st, c, lang) for c in trainings], chips])
    headers = [t("name (feedback)", "họ tên (nhận xét)"), "id", t("total", "tổng"),
               *[esc(tp) for tp in topics],
               *[esc(c.split("/", 1)[-1]) + f" ({t('accuracy', 'độ chính xác')})"
                 for c in trainings], t("look at", "cần xem")]
    numeric = set(range(2, 3 + len(topics) + len(trainings)))
    legend = t("Each name opens that student's feedback, as the student reads it. A training "
               "accuracy is the one the grader measured; ✗: no accuracy measured. Flags: "
               "nothing submitted, grading crashed (grade again), at risk, similar (see below), "
               "review (a person reads the code), not graded (data missing).",
               "Mỗi tên mở trang nhận xét của sinh viên đó, đúng như sinh viên đọc. Độ chính "
               "xác huấn luyện là do bộ chấm đo; ✗: không đo được. Cờ: không nộp gì, lỗi khi "
               "chấm (hãy chấm lại), cần chú ý, tương đồng (xem bên dưới), cần xem lại (một "
               "người đọc mã), chưa chấm (thiếu dữ liệu).")
    return (f'<section id="students"><h2>{t("Students", "Sinh viên")}</h2>'
            f"<p class='muted'>{legend}</p>"
            + table(headers, rows, numeric) + "</section>")
