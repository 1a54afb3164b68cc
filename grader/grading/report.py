"""Step 4 of grading: results.json (Gradescope's shape), feedback, and the gradebook."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from grader.core import i18n, manifest, messages
from grader.core.files import atomic_write
from grader.core.failure_lines import key_lines
from grader.core.i18n import pick
from grader.core.results import failure_id_of
from grader.grading import names, records
from grader.grading.classview import feedback_page
from grader.grading.score import TestScore, exercise_totals, reviews
from grader.core.telling import hint_number, matching_hint, most_telling, test_output

__all__ = ["matching_hint", "test_output"]  # kept here for the modules that read them here


def results_json(student: str, scores: list[TestScore], notes: list[messages.Note],
                 seconds: float,
                 fingerprint: str, not_graded: dict[str, list[str]] | None = None,
                 name: str = "", training: dict[str, dict] | None = None) -> dict:
    """``not_graded``: "topic/exercise" -> the data the grading machine lacked for it; those
    exercises have no tests here and count in neither score nor max_score. ``name``: the
    student's name as handed in (escaped wherever it is shown). ``training``: the graded
    training runs ("topic/training_<name>" -> profile, device, measured accuracy,
    threshold, points, reason), absent when grading ran with ``--train off``."""
    result = {
        "score": round(sum(s.score for s in scores), 2),
        "max_score": round(sum(s.max_score for s in scores), 2),
        "execution_time": round(seconds, 1),
        "output": "",  # one line per note: see _with_notes
        "stdout_visibility": "visible",
        "tests": [{"name": s.name, "score": s.score, "max_score": s.max_score,
                   "status": str(s.status), "output": s.output,
                   "visibility": "after_published" if s.hidden else "visible",
                   **({"tags": _tags(s)} if _tags(s) else {}),
                   **({"output_i18n": s.translations} if s.translations else {}),
                   **({"failure_id": s.failure_id} if s.failure_id else {}),
                   **({"said": messages.to_data(s.said)} if s.said else {}),
                   **({"review": s.review} if s.review else {})}
                  for s in scores],
        "cnnkit": {"student": student, "name": names.clean(name or student),
                   "fingerprint": fingerprint,
                   "exercises": {k: {"score": v[0], "max_score": v[1]}
                                 for k, v in exercise_totals(scores).items()},
                   "not_graded": dict(not_graded or {})},
    }
    if training is not None:
        result["cnnkit"]["training"] = training
    flagged = reviews(scores)
    if flagged:  # what a person should read: the points stand until then
        result["cnnkit"]["review"] = flagged
    result, bad = records.finite(result)
    notes = list(notes)
    if bad:  # strict JSON: null where a number was not finite, and a note saying where
        shown = ", ".join(bad[:5]) + (" ..." if len(bad) > 5 else "")
        notes.append(messages.said("record.not_finite", fields=shown))
    return _with_notes(result, notes)


def _with_notes(result: dict, notes: list[messages.Note]) -> dict:
    """The notes as data (``cnnkit.notes``: a message's id and parameters, or a text in
    every language), rendered in the run's language (``output``, Gradescope's) and in each
    (``output_i18n``, for a reader of an older kit)."""
    notes = [n for n in notes if n]
    both = {lang: "\n".join(names.clean(messages.note_text(n, lang)) for n in notes)
            for lang in i18n.LANGS}
    result["output"] = both[i18n.current_lang()]
    if notes:
        result["output_i18n"] = both
        result["cnnkit"]["notes"] = [messages.note_data(n) for n in notes]
    return result


def feedback_markdown(student: str, result: dict, lang: str = "en") -> str:
    t = lambda en, vi: pick({"en": en, "vi": vi}, lang)  # noqa: E731
    shown = names.markdown(result["cnnkit"].get("name") or student)
    out = [f"# {t('Feedback for', 'Nhận xét cho')} {shown}", "",
           f"**{t('Score', 'Điểm')}: {result['score']:g} / {result['max_score']:g}**", ""]
    out += [f"| {t('exercise', 'bài')} | {t('points', 'điểm')} |", "|---|---|"]
    review = result["cnnkit"].get("review") or {}
    for name, v in result["cnnkit"]["exercises"].items():
        mark = "✅" if v["score"] == v["max_score"] else "❌"
        flag = f" ({t('to review', 'cần xem lại')})" if name in review else ""
        out.append(f"| {mark} {name}{flag} | {v['score']:g} / {v['max_score']:g} |")
    out += review_markdown(review, lang)
    notes = test_output(result, lang)
    if notes:
        out += ["", f"## {t('Notes on your submission', 'Lưu ý về bài nộp')}", ""]
        out += [f"- {names.markdown(line)}" for line in notes.splitlines()]
    not_graded = result["cnnkit"].get("not_graded", {})
    if not_graded:
        out += ["", f"## {t('Not graded', 'Chưa chấm')}", "",
                t("The grading machine lacked the data these exercises need. They are not "
                  "graded yet, and count in neither your score nor the maximum: this is not a "
                  "zero.", "Máy chấm thiếu dữ liệu mà các bài này cần. Các bài này chưa được "
                  "chấm và không tính vào điểm của bạn lẫn điểm tối đa: đây không phải điểm 0."),
                ""]
        out += [f"- {name} ({', '.join(needs)})" for name, needs in not_graded.items()]
    out += training_markdown(result["cnnkit"].get("training") or {}, lang)
    failed = [x for x in result["tests"] if x["status"] != "passed"
              and x["name"] not in _training_tests(result)]
    out += failures_markdown(failed, lang)
    if not failed:
        out += ["", t("Everything graded passed. Well done!" if not_graded else
                      "Everything passed. Well done!",
                      "Mọi bài đã chấm đều đạt. Làm tốt lắm!" if not_graded else
                      "Tất cả đều đạt. Làm tốt lắm!")]
    return "\n".join(out) + "\n"


def _tags(s: TestScore) -> list[str]:
    """A broken rule's test ("rule"), a test of what the code reports itself ("reported")."""
    return [tag for tag, on in (("rule", s.rule), ("reported", s.reported)) if on]


def failures_markdown(failed: list[dict], lang: str) -> list[str]:
    """What failed, exercise by exercise: the message that explains most (a broken rule
    first: it zeroed the exercise), the failing tests, hidden ones counted, the next hint."""
    t = lambda en, vi: pick({"en": en, "vi": vi}, lang)  # noqa: E731
    out = ["", f"## {t('What failed and why', 'Những gì chưa đạt và lý do')}"] if failed else []
    shown: set[str] = set()
    for key, tests in _by_exercise(failed).items():
        topic, _, exercise = key.partition("/")
        visible = [x for x in tests if x["visibility"] == "visible"]
        hidden = len(tests) - len(visible)
        out += ["", f"### {key}"]
        best: dict = {}
        if visible:
            best = most_telling(visible)
            message = key_lines(test_output(best, lang), 12) or t("(no message)",
                                                                    "(không có thông báo)")
            if message in shown:
                out.append(t("Same cause as above.", "Cùng nguyên nhân như ở trên."))
            else:
                shown.add(message)
                out += names.code_block(message)
            names_failed = ", ".join(f"`{x['name'].split(': ', 1)[-1]}`" for x in visible)
            out.append(t(f"Failing tests ({len(visible)}): {names_failed}",
                         f"Các bài kiểm tra chưa đạt ({len(visible)}): {names_failed}"))
        if hidden:
            out.append(t(f"{hidden} hidden test(s) failed too; their details are shown after "
                         "grades are published.", f"Thêm {hidden} bài kiểm tra ẩn chưa đạt; chi "
                         "tiết sẽ hiện sau khi công bố điểm."))
        out += _hint_line(topic, exercise, best, lang)
    return out


def _hint_line(topic: str, exercise: str, best: dict, lang: str) -> list[str]:
    """The hint that fits the most telling failure ``best``: by its id, else on the English
    texts (the same hint in every language), shown in ``lang`` with its number."""
    try:
        ex = manifest.load_topic(topic).exercise(exercise)
    except (KeyError, FileNotFoundError):
        return []
    hints, hints_en = ex.hint_list(lang), ex.hint_list("en")
    if not hints or len(hints) != len(hints_en):
        return []
    number = hint_number(hints_en, key_lines(test_output(best, "en"), 12), ex.hint_for,
                         failure_id_of(best))
    label = pick({"en": f"Hint {number + 1} to read next", "vi": f"Gợi ý {number + 1} nên đọc"},
                 lang)
    return [f"{label}: {names.markdown(hints[number])}  (`./kit hint {topic} {exercise}`)"]


def review_markdown(review: dict[str, dict], lang: str) -> list[str]:
    """The exercises a person will read, and why: the points stand until then."""
    if not review:
        return []
    t = lambda en, vi: pick({"en": en, "vi": vi}, lang)  # noqa: E731
    out = ["", f"## {t('For a person to review', 'Để người chấm xem lại')}", "",
           t("The grader could not decide by reading your code whether it uses a library "
             "function it must not. A person (your instructor) will read it. This is not a "
             "zero: your points stand unless that review finds such a call.",
             "Bộ chấm không thể kết luận, chỉ bằng cách đọc code, liệu bài có dùng một hàm "
             "thư viện bị cấm hay không. Một người (giảng viên của bạn) sẽ đọc lại. Đây không "
             "phải điểm 0: điểm của bạn được giữ nguyên trừ khi lần xem xét đó tìm thấy lời "
             "gọi như vậy.")]
    for exercise, note in review.items():
        text = str((note.get(lang) or note.get("en", "")) if isinstance(note, dict) else note)
        out += ["", f"### {names.markdown(exercise)}"] + names.code_block(text)
    return out


def review_cell(result: dict) -> str:
    """The gradebook's flag: the exercises a person should read ("" when none)."""
    review = result.get("cnnkit", {}).get("review") or {}
    return "; ".join(names.csv_cell(str(k)) for k in review) if isinstance(review, dict) else ""


def curves_file(column: str) -> str:
    """The learning-curve PNG kept beside feedback.md for one graded training."""
    return "curves_" + column.replace("/", "_") + ".png"


def _training_tests(result: dict) -> set[str]:
    return {x["name"] for x in result["tests"]
            if x["name"].split(": ", 1)[0] in (result["cnnkit"].get("training") or {})}


def training_markdown(training: dict[str, dict], lang: str) -> list[str]:
    """The graded training runs: what the grader measured, the threshold, the points, the
    reason, the student's own figure (shown, not scored) and the learning curves."""
    if not training:
        return []
    t = lambda en, vi: pick({"en": en, "vi": vi}, lang)  # noqa: E731
    out = ["", f"## {t('Graded training', 'Huấn luyện có chấm điểm')}", "",
           t("The grader trained your code in its box and measured the accuracy itself, on "
             "test images held out of that box (secretly ordered, each moved by one pixel). "
             "The test_acc your code reports is shown, but earns nothing.",
             "Bộ chấm đã huấn luyện mã của bạn trong hộp cách ly và tự đo độ chính xác trên "
             "các ảnh test được giữ bên ngoài hộp đó (thứ tự bí mật, mỗi ảnh dịch một điểm "
             "ảnh). test_acc do mã của bạn báo cáo chỉ được hiển thị, không được tính điểm.")]
    secret = ", ".join(c for c, rec in training.items() if rec.get("secret_labels"))
    if secret:
        out.append(t(f"In the box, the data of {secret} named the classes by a secret "
                     "permutation drawn for that run alone (your code needs nothing "
                     "different); the predictions are scored by those names, so only weights "
                     "trained in the run earn points.",
                     f"Trong hộp, dữ liệu của {secret} gọi tên các lớp theo một hoán vị bí mật "
                     "rút riêng cho lần chạy đó (mã của bạn không cần thay đổi gì); dự đoán "
                     "được chấm theo các tên đó, nên chỉ trọng số được huấn luyện trong lần "
                     "chạy mới được điểm."))
    for column, rec in training.items():
        acc = rec.get("accuracy")
        reported = (rec.get("reported") or {}).get("test_acc")
        measured = f"{acc:.4f}" if isinstance(acc, (int, float)) else "—"
        out += ["", f"### {column}", "",
                f"| {t('measured accuracy', 'độ chính xác đo được')} | "
                f"{t('threshold', 'ngưỡng')} | {t('floor', 'mức sàn')} | "
                f"{t('points', 'điểm')} | {t('your reported test_acc', 'test_acc bạn báo cáo')}"
                f" | {t('profile, device', 'cấu hình, thiết bị')} |",
                "|---|---|---|---|---|---|",
                f"| {measured} | {rec.get('threshold')} | {rec.get('floor')} | "
                f"{rec.get('points', 0):g} / {rec.get('max_points', 0):g} | "
                f"{f'{reported:.4f}' if isinstance(reported, (int, float)) else '—'} | "
                f"{rec.get('profile')}, {rec.get('device')} |", ""]
        reason = rec.get("reason") or {}
        out.append(names.markdown(str(reason.get(lang) or reason.get("en", ""))))
        if rec.get("accuracy") is None and rec.get("log_tail"):
            out += ["", t("The last lines your run printed:", "Những dòng cuối lần chạy in ra:")]
            out += names.code_block(rec["log_tail"])
        if rec.get("curves"):
            out += ["", f"![{t('learning curves', 'đường cong học')}]({rec['curves']})"]
    return out


def _by_exercise(tests: list[dict]) -> dict[str, list[dict]]:
    """Failed tests grouped by "topic/exercise", in report order."""
    groups: dict[str, list[dict]] = {}
    for test in tests:
        groups.setdefault(test["name"].split(": ", 1)[0], []).append(test)
    return groups


def gradebook_csv(results: dict[str, dict], topics: list[manifest.Topic]) -> str:
    """One row per student, one column per exercise and, when any student's training was
    graded, one per graded training (with the profile it ran in); for records that say
    which run graded each topic, one column per topic with that run (id and date). A topic
    a student has no record of yet is an empty cell, never a zero."""
    columns = [f"{t.name}/{e.name}" for t in topics for e in t.exercises]
    trained = [res["cnnkit"].get("training") or {} for res in results.values()]
    from grader.grading.training.graded_run import column  # lazy: keeps numpy, torch out of start-up

    skipped_anywhere = [res["cnnkit"].get("not_graded", {}) for res in results.values()]
    training_columns = [column(t.name, spec) for t in topics for spec in t.graded_trainings
                        if any(column(t.name, spec) in tr for tr in trained + skipped_anywhere)]
    columns += training_columns
    runs_known = any("topics" in res["cnnkit"] for res in results.values())
    run_columns = [t.name for t in topics] if runs_known else []
    buf = io.StringIO()
    writer = csv.writer(buf)
    profiles = [f"{c} profile" for c in training_columns]
    writer.writerow(["student", *columns, "total", "max_score", *profiles,
                     *[f"{t} run" for t in run_columns], "review", "notes"])
    for student in sorted(results):
        res = results[student]
        ex = res["cnnkit"]["exercises"]
        skipped = res["cnnkit"].get("not_graded", {})
        runs = res["cnnkit"].get("training") or {}
        graded = res["cnnkit"].get("topics")

        def cell(c):
            if graded is not None and c.split("/", 1)[0] not in graded:
                return ""  # no record of this topic yet
            return ("not graded" if c in skipped else
                    "off" if c in training_columns and c not in runs else
                    ex.get(c, {}).get("score", 0))

        writer.writerow([names.csv_cell(student), *[cell(c) for c in columns],
                         res["score"], res["max_score"],
                         *[f"{runs[c]['profile']} ({runs[c].get('device_class')})" if c in runs
                           else "not graded" if c in skipped
                           else "" if cell(c) == "" else "off"
                           for c in training_columns],
                         *[_run_cell((graded or {}).get(t)) for t in run_columns],
                         review_cell(res),
                         names.csv_cell(" | ".join(res["output"].splitlines()[:3]))])
    return buf.getvalue()


def _run_cell(entry: dict | None) -> str:
    """Which run graded a topic: its id and date ("" where the topic has no record)."""
    if not entry:
        return ""
    return names.csv_cell(" ".join(x for x in (str(entry.get("run") or ""),
                                               str(entry.get("date") or "")) if x))


def write_student(out: Path, student: str, result: dict, lang: str,
                  curves: dict[str, bytes] | None = None) -> None:
    """feedback.md (and the same as feedback.html), the learning curves of graded training
    runs beside it, results.json."""
    folder = out / "students" / student
    for column, png in (curves or {}).items():
        atomic_write(folder / curves_file(column), png)
    write_feedback(folder, student, result, lang)
    atomic_write(folder / "results.json", records.dumps(result, indent=2))  # last: marks done


def write_feedback(folder: Path, student: str, result: dict, lang: str,
                   markdown: bool = True) -> None:
    """feedback.md (unless ``markdown`` is false) and feedback.html in ``folder``, from the
    record alone."""
    text = feedback_markdown(student, result, lang)
    if markdown:
        atomic_write(folder / "feedback.md", text.encode("utf-8", "backslashreplace"))
    atomic_write(folder / feedback_page.FILE_NAME,
                 feedback_page.page(text, lang).encode("utf-8", "backslashreplace"))
