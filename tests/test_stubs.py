"""Stubs that guide: TODOs name the goal, never the finished line, and a fresh stub fails
each visible test with its own exercise's "not started" message."""

import ast
import re
from pathlib import Path

import pytest

from grader.core import i18n, manifest, markers, paths

TOPICS = paths.topics(paths.solutions_dir())


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _exercise_files():
    for topic in TOPICS:
        for path in sorted((paths.solutions_dir() / topic).glob("*.py")):
            if not path.name.startswith("test_"):
                yield topic, path


def test_no_todo_line_is_a_line_of_its_solution():
    leaks = []
    for topic, path in _exercise_files():
        seen: list[str] = []
        for region in markers.regions(path.read_text(encoding="utf-8"), str(path)):
            if region.solution:
                answer = {_squash(line) for line in region.lines if line.strip()}
                leaks += [f"{topic}/{path.name} line {region.start}: TODO {todo!r}"
                          for todo in markers.todo_lines(seen) if _squash(todo) in answer]
            seen += region.lines
    assert not leaks, "TODOs that hand out the solution line:\n" + "\n".join(leaks)


def test_every_todo_is_written_in_both_languages():
    """Each TODO a stub shows has its Vietnamese line (``# TODO (vi):``), and the line is
    no copy of a solution line either."""
    lacking, leaks = [], []
    for topic, path in _exercise_files():
        seen: list[str] = []
        for region in markers.regions(path.read_text(encoding="utf-8"), str(path)):
            if region.solution:
                where = f"{topic}/{path.name} line {region.start}"
                vi = markers.todo_lines(seen, markers.TODO_VI)
                if markers.todo_lines(seen) and not vi:
                    lacking.append(where)
                answer = {_squash(line) for line in region.lines if line.strip()}
                leaks += [f"{where}: {todo!r}" for todo in vi if _squash(todo) in answer]
            seen += region.lines
    assert not lacking, "TODOs with no Vietnamese line (# TODO (vi): ...):\n" + "\n".join(lacking)
    assert not leaks, "Vietnamese TODOs that hand out the solution line:\n" + "\n".join(leaks)


def test_every_stubs_message_splits_back_into_its_two_languages(monkeypatch):
    """What the kit shows of each shipped stub's message is exactly its English TODO, or
    exactly its Vietnamese one: no TODO text breaks the split."""
    wrong = []
    for topic, path in _exercise_files():
        stub = markers.stub(path.read_text(encoding="utf-8"), str(path))
        for message in _raised_texts(stub):
            english, _, vietnamese = message.partition(markers.VI_TODO)
            for lang, want in (("en", english), ("vi", "TODO: " + vietnamese)):
                monkeypatch.setenv("CNNKIT_LANG", lang)
                shown = markers.localise_todos(f"E   NotImplementedError: {message}")
                if shown != f"E   NotImplementedError: {want}":
                    wrong.append(f"{topic}/{path.name} ({lang}): {shown}")
    assert not wrong, "stub messages shown wrongly:\n" + "\n".join(wrong)


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_a_stubs_message_is_shown_in_the_readers_language(lang, monkeypatch):
    source = ("def f(x):\n    # TODO: double it, in the slide's way\n    # TODO (vi): nhân đôi\n"
              "    ### BEGIN SOLUTION\n    return x * 2\n    ### END SOLUTION\n")
    stub = markers.stub(source)
    raised = re.search(r"raise NotImplementedError\((.*)\)", stub)[1]
    message = ast.literal_eval(raised)
    assert message == "TODO: double it, in the slide's way | vi: nhân đôi"
    failure = f">       raise NotImplementedError({raised})\nE       NotImplementedError: {message}"
    monkeypatch.setenv("CNNKIT_LANG", lang)
    shown = markers.localise_todos(failure)
    want, other = (("double it", "nhân đôi") if lang == "en" else ("nhân đôi", "double it"))
    assert want in shown.splitlines()[1] and other not in shown, shown


def test_a_stubs_message_quoted_in_a_kept_message_renders_in_each_language(monkeypatch):
    """Grading keeps every language (``CNNKIT_LANG=both``); a rule's message that quotes the
    stub's TODO renders in one language, the quoted TODO included."""
    monkeypatch.setenv("CNNKIT_LANG", "both")
    stub = "TODO: pad, then slide | vi: thêm padding, rồi trượt"
    kept = i18n.msg(f"naive_conv.py is not finished: {stub}", f"naive_conv.py chưa xong: {stub}")
    shown = markers.localise_todos(f"E   {kept}\nE   next line")
    assert i18n.render(shown, "en") == ("E   naive_conv.py is not finished: TODO: pad, then "
                                        "slide\nE   next line")
    assert i18n.render(shown, "vi") == ("E   naive_conv.py chưa xong: TODO: thêm padding, rồi "
                                        "trượt\nE   next line")


def test_no_hint_holds_a_line_of_a_solution():
    """Hints may come near the code, never hand out a whole line of it: they reach the
    feedback of graded work, where a solution line counts as leaked kit source."""
    leaks = []
    for topic in TOPICS:
        answer = set()
        for path in sorted((paths.solutions_dir() / topic).glob("*.py")):
            if not path.name.startswith("test_"):
                for region in markers.regions(path.read_text(encoding="utf-8"), str(path)):
                    if region.solution:
                        answer |= {line.strip() for line in region.lines
                                   if len(line.strip()) >= 16 and "###" not in line}
        for exercise in manifest.load_topic(topic).exercises:
            for lang, hints in exercise.hints.items():
                leaks += [f"{topic}/{exercise.name} ({lang}): {line!r}"
                          for hint in hints for line in answer if line in hint]
    assert not leaks, "hints that hand out a solution line:\n" + "\n".join(leaks)


def test_todo_check_finds_a_copied_line():
    source = ("def f(x):\n    # TODO: return x * 2\n    ### BEGIN SOLUTION\n"
              "    return x*2\n    ### END SOLUTION\n")
    region = markers.regions(source)[1]
    todo = markers.todo_lines(markers.regions(source)[0].lines)
    assert _squash(todo[0]) in {_squash(line) for line in region.lines}


def _raised_texts(source: str) -> list[str]:
    """The texts of the ``raise NotImplementedError("TODO: ...")`` lines of a stub."""
    return [node.exc.args[0].value for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)
            and getattr(node.exc.func, "id", "") == "NotImplementedError"]


def _stub_messages(stub: Path) -> list[str]:
    """The stub's TODO messages as a result shows them: in the run's language (English
    here)."""
    return [text.split(markers.VI_TODO)[0]
            for text in _raised_texts(stub.read_text(encoding="utf-8"))]


@pytest.mark.parametrize("topic", TOPICS)
def test_fresh_stub_fails_each_test_with_its_own_message(topic, data_mirror, stub_run):
    root, out = stub_run(topic)  # visible and hidden tests, run once (shared with test_targets)
    folder = root / topic
    info = manifest.load_topic(topic)
    assert out.results, out.output[-3000:]
    wrong = []
    for result in out.results.values():
        exercise = info.exercise_for_test_file(result.file)
        own = _stub_messages(folder / exercise.file)
        if result.outcome != "failed":
            wrong.append(f"{result.nodeid}: {result.outcome} on a fresh stub")
        elif "SyntaxError" in result.message or not any(m in result.message for m in own):
            wrong.append(f"{result.nodeid}: fails without {exercise.file}'s own TODO "
                         f"message:\n{result.message[-800:]}")
    assert not wrong, "\n\n".join(wrong)
