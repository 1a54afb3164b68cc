"""``cnnkit report DIR``: DIR/report.html (with DIR/similar/*.html and each student's
feedback.html) from the sealed results alone."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from grader import __version__
from grader.core.files import atomic_write
from grader.core.i18n import current_lang, pick
from grader.grading import discover, report
from grader.grading.box import safefiles
from grader.grading.classview import similar_store, similarity
from grader.grading.classview.load import load_class
from grader.grading.classview.page import Page, ReportInput


def roots_from_work(out: Path) -> dict[str, Path | None]:
    """The submissions a grading run unpacked into DIR/.work (zips only; empty after the run
    has finished and cleaned up)."""
    unzipped = out / ".work" / "unzipped"
    if not safefiles.is_plain_dir(unzipped):
        return {}
    return {p.name: discover.find_topic_root(p) for p in sorted(unzipped.iterdir())
            if safefiles.is_plain_dir(p)}


def similar_pairs(out: Path, graded: set[str], scratch: Path, submissions: Path | None,
                  subs: list[discover.Submission] | None, threshold: float
                  ) -> tuple[list[similarity.Pair] | None, similar_store.Texts, bool]:
    """(pairs, their sources, whether they were kept from an earlier run). Computed from
    ``subs`` (a grading run's own submissions), else the folders DIR/.work still holds,
    else ``submissions`` (folders or zips, unpacked safely into ``scratch``), and then kept
    sealed in DIR/similar/pairs.json; without any, the pairs kept last time (None: none)."""
    if subs is not None:
        roots = {s.student: s.root for s in subs}
    elif submissions is not None:
        roots = {s.student: s.root for s in discover.discover(Path(submissions), scratch)}
    else:
        roots = roots_from_work(out) or None
    if roots is None:
        kept = similar_store.load(out, graded)
        return (kept[0], kept[1], True) if kept else (None, {}, False)
    roots = {sid: root for sid, root in roots.items() if sid in graded}
    pairs = similarity.find_pairs(roots, threshold=threshold)
    texts = similar_store.texts_of(pairs, roots)
    similar_store.save(out, pairs, texts)
    return pairs, texts, False


def write_report(out: Path, lang: str | None = None, submissions: Path | None = None,
                 subs: list[discover.Submission] | None = None,
                 threshold: float = similarity.THRESHOLD) -> Path:
    """Write DIR/report.html, the similar pairs' pages and each listed student's
    feedback.html, in ``lang`` (see ``similar_pairs`` for where the pairs come from)."""
    out = Path(out)
    lang = current_lang(lang)
    students, unreadable = load_class(out)
    with tempfile.TemporaryDirectory(prefix="cnnkit-report-") as scratch:
        pairs, texts, kept = similar_pairs(out, {s.sid for s in students}, Path(scratch),
                                           submissions, subs, threshold)
    similarity.write_pages(out, pairs, texts, {s.sid: s.name for s in students}, lang)
    for st in students:
        report.write_feedback(out / "students" / st.sid, st.sid, st.result, lang,
                              markdown=False)
    page = Page(ReportInput(students, lang, unreadable, pairs, __version__, kept)).render()
    target = atomic_write(out / "report.html", page)
    if pairs is None:
        print(pick({"en": "cnnkit report: similar submissions not computed (the submissions "
                          "are not in DIR/.work and no pairs were kept from grading; pass "
                          "--submissions FOLDER)",
                    "vi": "cnnkit report: chưa tính bài nộp tương đồng (bài nộp không còn "
                          "trong DIR/.work và không có cặp nào được lưu từ lần chấm; thêm "
                          "--submissions THƯ_MỤC)"}, lang),
              file=sys.stderr)
    return target


def after_grading(out: Path, subs: list[discover.Submission]) -> None:
    """What ``grade`` calls at the end of every run: the report, never at the cost of the
    gradebook (a failure here is one warning line)."""
    try:
        write_report(out, None, subs=subs)
    except Exception as exc:  # noqa: BLE001 - the grades are written; the page can wait
        print(pick({"en": f"cnnkit grade: the class report was not written ({exc}); run "
                          f"cnnkit report {out} --submissions SUBMISSIONS",
                    "vi": f"cnnkit grade: chưa ghi được báo cáo lớp ({exc}); hãy chạy "
                          f"cnnkit report {out} --submissions BÀI_NỘP"}), file=sys.stderr)
