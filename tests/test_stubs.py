"""Stubs that guide: TODOs name the goal, never the finished line, and a fresh stub fails
each visible test with its own exercise's "not started" message."""

import ast
import re
from pathlib import Path

import pytest

from grader.core import manifest, markers, paths

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


def _stub_messages(stub: Path) -> list[str]:
    """The texts of the stub's ``raise NotImplementedError("TODO: ...")`` lines."""
    found = []
    for node in ast.walk(ast.parse(stub.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) \
                and getattr(node.exc.func, "id", "") == "NotImplementedError":
            found.append(node.exc.args[0].value)
    return found


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
