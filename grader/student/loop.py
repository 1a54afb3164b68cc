"""The student's commands: list, check, hint, solution."""

from __future__ import annotations

import difflib

from grader.core import manifest, paths, pristine
from grader.core.i18n import pick, render
from grader.core.markers import without_markers
from grader.student.texts import MSG, say
from grader.student.state import load_state, save_state
from grader.student.status import (DONE, EDITED, NO_DATA, NOT_STARTED, own_tests, record,
                                   run_topic_tests, score_exercise, statuses, target_root)

MARKS = {DONE: "✓", "failing": "✗", NOT_STARTED: "·", NO_DATA: "–", EDITED: "!"}
ROW = "{topic:<12} {exercise:<16} {state:<14} {points:>9} {hints:>6}"


def cmd_list(target: str | None, lang: str) -> int:
    cols = MSG["cols"][lang]
    print(ROW.format(topic=cols[0], exercise=cols[1], state=cols[2], points=cols[3],
                     hints=cols[4]))
    shown = load_state().get("hints", {})
    done = n = 0
    got = most = 0.0
    edited: list[str] = []
    for topic in manifest.load_all():
        for st in statuses(topic, target, lang):
            if st.state == EDITED:
                edited += pristine.edited(own_tests(topic.name, st.exercise))
            ex = st.exercise
            n += 1
            done += st.state == DONE
            got, most = got + st.got, most + st.most
            hints = f"{shown.get(f'{topic.name}/{ex.name}', 0)}/{len(ex.hint_list(lang))}"
            print(ROW.format(topic=topic.name, exercise=ex.name,
                             state=f"{MARKS[st.state]} {say(st.state, lang)}",
                             points=f"{st.got:g}/{st.most:g}", hints=hints))
    print(say("total", lang, done=done, n=n, got=round(got, 2), most=most))
    if edited:
        print("! " + render(str(pristine.EditedTests(edited)), lang))
        return 1
    return 0


def next_topic(target: str | None, lang: str) -> str | None:
    for topic in manifest.load_all():
        if any(st.state != DONE for st in statuses(topic, target, lang, run_changed=False)):
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
    return show_check(topic, target, lang, full, results, output)


def show_check(topic: manifest.Topic, target: str | None, lang: str, full: bool,
               results: dict, output: str) -> int:
    """Record and print a topic's verdict from its tests' results (``check``, ``watch``)."""
    topic_name = topic.name
    record(topic, target, results)
    if full:
        print(output)
    if not results:
        print(say("no_tests", lang, topic=topic_name))
        print(output[-3000:])
        return 1
    failing, waiting = [], []
    for ex in topic.exercises:
        s = score_exercise(ex, results)
        ok = s["total"] > 0 and s["passed"] == s["total"]
        bad = s["total"] == 0 or s["passed"] + s["no_data"] < s["total"]
        mark = "✓" if ok else "✗" if bad else "–"
        print(f"  {mark} {ex.name:<16} {s['got']:g}/{ex.points:g}")
        if s["review"]:  # the points stand; a person will read the code when it is graded
            print("      " + render(s["review"], lang).replace("\n", "\n      "))
        if s["no_data"]:
            print("      " + say("data_skip", lang, n=s["no_data"]))
            print("      " + s["data_line"])
        if ok:
            continue
        if not bad:
            waiting.append(ex)
            continue
        failing.append(ex)
        if s["total"] == 0:  # an expected test that did not report is a failure
            print("      " + say("no_report", lang))
        else:
            print(f"      {s['failed_test']}")
            print("      " + s["first_failure"].replace("\n", "\n      "))
    if failing:
        print(say("some_fail", lang, n=len(failing), topic=topic_name, exercise=failing[0].name))
        if not full:
            print(say("full", lang, topic=topic_name))
        return 1
    print(say("all_pass_but_data" if waiting else "all_pass", lang, topic=topic_name))
    return 0


def cmd_hint(topic_name: str, exercise: str | None, target: str | None, lang: str,
             reset: bool) -> int:
    topic = manifest.load_topic(paths.resolve_topic(topic_name))
    if exercise is None:
        pending = [st.exercise for st in statuses(topic, target, lang, run_changed=False)
                   if st.state != DONE]
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
    """The reference of each chosen exercise that passes (all of them with ``force``)."""
    topic = manifest.load_topic(paths.resolve_topic(topic_name))
    source = paths.reference_dir(topic.name)
    if not source.is_dir():
        print(say("no_solutions", lang, topic=topic.name))
        return 1
    chosen = [topic.exercise(exercise)] if exercise else list(topic.exercises)
    done = {st.exercise.name for st in statuses(topic, target, lang) if st.state == DONE}
    mine = target_root(target) / topic.name
    locked = 0
    for ex in chosen:
        if not force and ex.name not in done:
            print(say("locked", lang, topic=topic.name, exercise=ex.name))
            locked += 1
            continue
        reference = without_markers((source / ex.file).read_text(encoding="utf-8"))
        if diff:
            path = mine / ex.file
            yours = path.read_text(encoding="utf-8") if path.is_file() else ""
            print("".join(difflib.unified_diff(yours.splitlines(True), reference.splitlines(True),
                                               f"yours/{ex.file}", f"reference/{ex.file}")))
        else:
            print(f"# ===== reference {topic.name}/{ex.file} =====\n{reference}")
    return 1 if locked == len(chosen) else 0
