"""The student's loop: list, check, hint, watch, solution."""

from __future__ import annotations

import difflib
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from grader.core import manifest, paths, runner
from grader.core.files import atomic_write
from grader.core.i18n import pick
from grader.core.markers import without_markers
from grader.core.messages import key_lines
from grader.core.results import Outcome, TestResult
from grader.course.data import fetch_command
from grader.core.testfiles import visible_test_files
from grader.testkit import targets

MSG = {
    "header": {"en": "{topic:<12} {exercise:<16} {state:<12} {points:>7} {hints:>6}",
               "vi": "{topic:<12} {exercise:<16} {state:<12} {points:>7} {hints:>6}"},
    "cols": {"en": ("topic", "exercise", "state", "points", "hints"),
             "vi": ("chủ đề", "bài", "trạng thái", "điểm", "gợi ý")},
    "done": {"en": "done", "vi": "xong"},
    "failing": {"en": "failing", "vi": "chưa đạt"},
    "not started": {"en": "not started", "vi": "chưa làm"},
    "total": {"en": "total: {done}/{n} exercises done, {got:g}/{most:g} points",
              "vi": "tổng: {done}/{n} bài đã xong, {got:g}/{most:g} điểm"},
    "checking": {"en": "checking {topic} ({title})", "vi": "đang kiểm tra {topic} ({title})"},
    "all_pass": {"en": "All tests of {topic} pass. Next: cnnkit check, or see the reference "
                       "with: cnnkit solution {topic}",
                 "vi": "Mọi bài kiểm tra của {topic} đều đạt. Tiếp theo: cnnkit check, hoặc xem "
                       "lời giải mẫu: cnnkit solution {topic}"},
    "some_fail": {"en": "{n} exercise(s) still failing. Stuck? cnnkit hint {topic} {exercise}",
                  "vi": "Còn {n} bài chưa đạt. Bí? cnnkit hint {topic} {exercise}"},
    "data_skip": {"en": "{n} test(s) not run: the data they need is missing",
                  "vi": "{n} bài kiểm tra không chạy: thiếu dữ liệu cần thiết"},
    "all_pass_but_data": {"en": "Every test of {topic} that could run passes; the others wait "
                                "for their data (the lines above say how to fetch it).",
                          "vi": "Mọi bài kiểm tra chạy được của {topic} đều đạt; các bài còn "
                                "lại chờ dữ liệu (dòng ở trên chỉ cách tải về)."},
    "full": {"en": "(full pytest output: cnnkit check {topic} --full)",
             "vi": "(toàn bộ kết quả pytest: cnnkit check {topic} --full)"},
    "hint": {"en": "Hint {i}/{n} for {topic}/{exercise}:", "vi": "Gợi ý {i}/{n} cho {topic}/{exercise}:"},
    "no_more": {"en": "That was the last hint. The concept is in {topic}/README.md.",
                "vi": "Đó là gợi ý cuối cùng. Khái niệm được giải thích trong {topic}/README.vi.md."},
    "more": {"en": "Ask again for the next hint.", "vi": "Hỏi lại để xem gợi ý tiếp theo."},
    "all_done": {"en": "Every topic passes. Well done!", "vi": "Mọi chủ đề đều đạt. Giỏi lắm!"},
    "locked": {"en": "{topic} does not pass yet, so its solution stays hidden. Finish it first "
                     "(cnnkit check {topic}), or use --force.",
               "vi": "{topic} chưa đạt nên lời giải vẫn ẩn. Hãy hoàn thành trước (cnnkit check "
                     "{topic}), hoặc dùng --force."},
    "no_solutions": {"en": "This copy of the kit has no reference solutions (a student bundle). "
                           "Ask your instructor.",
                     "vi": "Bản kit này không có lời giải mẫu (bản dành cho sinh viên). Hãy hỏi "
                           "giảng viên."},
    "watching": {"en": "watching {folder} ({how}); Ctrl-C to stop",
                 "vi": "đang theo dõi {folder} ({how}); Ctrl-C để dừng"},
    "stopped": {"en": "stopped watching", "vi": "đã dừng theo dõi"},
}


def say(key: str, lang: str, **kw) -> str:
    return pick(MSG[key], lang).format(**kw)


# --- state: hints shown and last results, in a small git-ignored file ----------------

def state_path() -> Path:
    return Path(os.environ.get("CNNKIT_STATE", paths.KIT_ROOT / ".cnnkit-state.json"))


def load_state() -> dict:
    try:
        return json.loads(state_path().read_text())
    except (OSError, json.JSONDecodeError):
        return {}


def save_state(state: dict) -> None:
    atomic_write(state_path(), json.dumps(state, indent=1, sort_keys=True))


def file_hash(path: Path) -> str:
    return hashlib.sha1(path.read_bytes()).hexdigest() if path.is_file() else "missing"


# --- running a topic's tests ----------------------------------------------------------

@dataclass
class ExerciseStatus:
    exercise: manifest.Exercise
    state: str  # done | failing | not started
    passed: int = 0
    total: int = 0
    first_failure: str = ""


def target_root(target: str | None) -> Path:
    return targets.target_topic_dir(target, "x").parent


def untouched(path: Path) -> bool:
    """Still the stub: every group of ``# TODO:`` lines is followed by its ``raise``."""
    if not path.is_file():
        return True
    lines = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines()]
    groups = followed = 0
    for i, line in enumerate(lines):
        if line.startswith("# TODO:") and (i + 1 < len(lines)) \
                and not lines[i + 1].startswith("# TODO:"):
            groups += 1
            followed += lines[i + 1].startswith("raise NotImplementedError(")
    return groups > 0 and groups == followed


def run_topic_tests(topic: str, target: str | None, files: list[str] | None = None,
                    lang: str = "en", full: bool = False) -> tuple[dict[str, TestResult], str]:
    kit_tests = visible_test_files(topic)  # always the kit's tests, never the target's
    test_files = kit_tests if files is None else [f for f in kit_tests if f.name in files]
    extra = ["--tb=short", f"--lang={lang}"] + (["-rN"] if not full else [])
    out = runner.run_tests(test_files, target=str(target_root(target)), extra=extra)
    return out.results, out.output


def statuses(topic: manifest.Topic, target: str | None, lang: str = "en",
             run_changed: bool = True) -> list[ExerciseStatus]:
    """Each exercise's state, re-running only the tests of files changed since last time."""
    state = load_state()
    cache = state.setdefault("results", {})
    folder = target_root(target) / topic.name
    to_run = []
    for ex in topic.exercises:
        key = f"{folder}/{ex.file}"
        if cache.get(key, {}).get("hash") != file_hash(folder / ex.file) and \
                not untouched(folder / ex.file):
            to_run.append(ex)
    if to_run and run_changed:
        files = [f"test_{ex.name}.py" for ex in to_run]
        results, _ = run_topic_tests(topic.name, target, files, lang)
        record(topic, target, results, only=to_run)
        state = load_state()
        cache = state.get("results", {})
    out = []
    for ex in topic.exercises:
        entry = cache.get(f"{folder}/{ex.file}", {})
        if untouched(folder / ex.file):
            out.append(ExerciseStatus(ex, "not started"))
        elif entry.get("hash") == file_hash(folder / ex.file):
            out.append(ExerciseStatus(ex, "done" if entry["passed"] == entry["total"] > 0
                                      else "failing", entry["passed"], entry["total"],
                                      entry.get("first_failure", "")))
        else:
            out.append(ExerciseStatus(ex, "failing"))
    return out


def record(topic: manifest.Topic, target: str | None, results: dict, only=None) -> None:
    state = load_state()
    cache = state.setdefault("results", {})
    folder = target_root(target) / topic.name
    for ex in only or topic.exercises:
        mine = [r for r in results.values() if ex.owns_test_file(r.file)]
        failed = [r for r in mine if not r.outcome.passed]
        cache[f"{folder}/{ex.file}"] = {
            "hash": file_hash(folder / ex.file), "passed": len(mine) - len(failed),
            "total": len(mine), "first_failure": key_lines(failed[0].message) if failed else ""}
    save_state(state)


# --- commands -------------------------------------------------------------------------

def cmd_list(target: str | None, lang: str) -> int:
    cols = MSG["cols"][lang]
    print(say("header", lang, topic=cols[0], exercise=cols[1], state=cols[2], points=cols[3],
              hints=cols[4]))
    shown = load_state().get("hints", {})
    done = n = 0
    got = most = 0.0
    for topic in manifest.load_all():
        for st in statuses(topic, target, lang):
            ex = st.exercise
            n += 1
            most += ex.points
            if st.state == "done":
                done += 1
                got += ex.points
            mark = {"done": "✓", "failing": "✗", "not started": "·"}[st.state]
            hints = f"{shown.get(f'{topic.name}/{ex.name}', 0)}/{len(ex.hint_list(lang))}"
            print(say("header", lang, topic=topic.name, exercise=ex.name,
                      state=f"{mark} {say(st.state, lang)}", points=f"{ex.points:g}", hints=hints))
    print(say("total", lang, done=done, n=n, got=got, most=most))
    return 0


def next_topic(target: str | None, lang: str) -> str | None:
    for topic in manifest.load_all():
        if any(st.state != "done" for st in statuses(topic, target, lang, run_changed=False)):
            return topic.name
    return None


def cmd_check(topic_name: str | None, target: str | None, lang: str, full: bool) -> int:
    topic_name = paths.resolve_topic(topic_name) if topic_name else next_topic(target, lang)
    if topic_name is None:
        print(say("all_done", lang))
        return 0
    topic = manifest.load_topic(topic_name)
    print(say("checking", lang, topic=topic_name, title=pick(topic.title, lang)), flush=True)
    results, output = run_topic_tests(topic_name, target, None, lang, full)
    record(topic, target, results)
    if full:
        print(output)
    failing, waiting = [], []
    for ex in topic.exercises:
        mine = [r for r in results.values() if ex.owns_test_file(r.file)]
        no_data = [r for r in mine if is_data_skip(r)]
        bad = [r for r in mine if not r.outcome.passed and r not in no_data]
        mark = "✓" if mine and not bad and not no_data else "✗" if bad or not mine else "–"
        print(f"  {mark} {ex.name:<16} {len(mine) - len(bad) - len(no_data)}/{len(mine)}")
        if bad or not mine:  # a test that never reported is a failure, never a pass
            failing.append(ex)
        elif no_data:
            waiting.append(ex)
        if no_data:
            print("      " + say("data_skip", lang, n=len(no_data)))
            print("      " + no_data[0].message)
        if bad:
            first = key_lines(bad[0].message)
            print(f"      {bad[0].name}")
            print("      " + first.replace("\n", "\n      "))
    if not results:
        print(output[-3000:])
        return 1
    if failing:
        print(say("some_fail", lang, n=len(failing), topic=topic_name, exercise=failing[0].name))
        if not full:
            print(say("full", lang, topic=topic_name))
        return 1
    print(say("all_pass_but_data" if waiting else "all_pass", lang, topic=topic_name))
    return 0


def is_data_skip(result: TestResult) -> bool:
    """Skipped because its data is missing here (the plugin's reason names the fetch)."""
    return result.outcome is Outcome.SKIPPED and fetch_command("") in result.message


def cmd_hint(topic_name: str, exercise: str | None, target: str | None, lang: str,
             reset: bool) -> int:
    topic = manifest.load_topic(paths.resolve_topic(topic_name))
    if exercise is None:
        pending = [st.exercise for st in statuses(topic, target, lang, run_changed=False)
                   if st.state != "done"]
        ex = pending[0] if pending else topic.exercises[0]
    else:
        ex = topic.exercise(exercise)
    state = load_state()
    key = f"{topic.name}/{ex.name}"
    hints = ex.hint_list(lang)
    count = 0 if reset else state.setdefault("hints", {}).get(key, 0)
    count = min(count + 1, len(hints))
    state.setdefault("hints", {})[key] = count
    save_state(state)
    print(say("hint", lang, i=count, n=len(hints), topic=topic.name, exercise=ex.name))
    for i, text in enumerate(hints[:count], 1):
        print(f"  {i}. {text}")
    print(say("no_more" if count == len(hints) else "more", lang, topic=topic.name))
    return 0


def cmd_solution(topic_name: str, exercise: str | None, target: str | None, lang: str,
                 diff: bool, force: bool) -> int:
    topic = manifest.load_topic(paths.resolve_topic(topic_name))
    source = paths.solutions_dir() / topic.name
    if not source.is_dir():
        print(say("no_solutions", lang))
        return 1
    if not force and any(st.state != "done" for st in statuses(topic, target, lang)):
        print(say("locked", lang, topic=topic.name))
        return 1
    chosen = [topic.exercise(exercise)] if exercise else list(topic.exercises)
    mine = target_root(target) / topic.name
    for ex in chosen:
        reference = without_markers((source / ex.file).read_text(encoding="utf-8"))
        if diff:
            yours = (mine / ex.file).read_text(encoding="utf-8") if (mine / ex.file).is_file() else ""
            print("".join(difflib.unified_diff(yours.splitlines(True), reference.splitlines(True),
                                               f"yours/{ex.file}", f"reference/{ex.file}")))
        else:
            print(f"# ===== reference {topic.name}/{ex.file} =====\n{reference}")
    return 0
