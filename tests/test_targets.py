"""The same tests run against solutions, stubs and any folder; stubs stay in sync."""

import tempfile
from pathlib import Path

import pytest

from grader.core import paths
from grader.core import markers
from grader.export import stubgen
from grader.testkit import targets
from grader.core.runner import run_tests
from support.data_needs import data_skips, skip_if_any

def _tests_of(topic):
    hidden = paths.hidden_tests_dir() / topic
    return [paths.exercises_dir() / topic] + ([hidden] if hidden.is_dir() else [])


@pytest.mark.parametrize("topic", paths.topics())
def test_solutions_pass_every_test(topic):
    out = run_tests(_tests_of(topic), target="solutions", timeout=900)
    assert out.results, f"no test ran for {topic}:\n{out.output[-3000:]}"
    waiting = data_skips(out.results)  # never on CI: there missing data fails
    bad = {k: v.message[-800:] for k, v in out.results.items()
           if v.outcome != "passed" and k not in waiting}
    assert not bad and out.returncode == 0, f"{topic} solutions fail:\n{bad}\n{out.output[-2000:]}"
    skip_if_any(waiting)


@pytest.mark.parametrize("topic", paths.topics())
def test_stubs_fail_every_test_without_collection_errors(topic, stub_run):
    _, out = stub_run(topic)  # one run per topic, shared with test_stubs (tests/conftest.py)
    assert "error" not in out.output.splitlines()[-1], f"collection errors:\n{out.output[-3000:]}"
    waiting = data_skips(out.results)  # never on CI: there missing data fails
    outcomes = {v.outcome for k, v in out.results.items() if k not in waiting}
    assert out.results and outcomes == {"failed"}, (
        f"stubs of {topic} must fail every test; outcomes: "
        f"{ {k: v.outcome for k, v in out.results.items() if v.outcome != 'failed'} }")
    assert len(out.results) == len(set(out.started)), "some tests reported no result"
    skip_if_any(waiting)


def test_exercises_are_generated_from_solutions():
    with tempfile.TemporaryDirectory() as tmp:
        for topic in paths.topics(paths.solutions_dir()):
            stubgen.generate_topic(topic, Path(tmp))
        problems = stubgen.drift(paths.exercises_dir(), Path(tmp))
    assert not problems, ("exercises/ drifted from solutions/; run `cnnkit sync`:\n"
                          + "\n".join(problems))


def test_stub_keeps_signature_docstring_and_todo():
    source = (
        "def f(a, b=1):\n"
        '    """Doc."""\n'
        "    # TODO: add them\n"
        "    ### BEGIN SOLUTION\n"
        "    return a + b\n"
        "    ### END SOLUTION\n")
    stub = stubgen.strip_solutions(source)
    assert "def f(a, b=1):" in stub and '"""Doc."""' in stub
    assert "raise NotImplementedError('TODO: add them')" in stub
    assert "return a + b" not in stub


@pytest.mark.parametrize("broken", ["### BEGIN SOLUTION\nx\n", "x\n### END SOLUTION\n",
                                    "### BEGIN SOLUTION\n### BEGIN SOLUTION\n"])
def test_unbalanced_markers_are_refused(broken):
    with pytest.raises(markers.MarkerError):
        stubgen.strip_solutions(broken)


def test_topics_and_targets_never_share_modules(tmp_path):
    for name in ("a", "b"):
        (tmp_path / name / "07_x").mkdir(parents=True)
        (tmp_path / name / "07_x" / "datamodule.py").write_text(f"WHO = {name!r}\n")
        (tmp_path / name / "07_x" / "user.py").write_text("from .datamodule import WHO\n")
    mod_a = targets.import_exercise(tmp_path / "a" / "07_x", "user")
    mod_b = targets.import_exercise(tmp_path / "b" / "07_x", "user")
    assert (mod_a.WHO, mod_b.WHO) == ("a", "b")
    assert mod_a.__name__ != mod_b.__name__


def test_missing_exercise_file_is_explained(tmp_path):
    with pytest.raises(targets.ExerciseMissing, match="does not exist"):
        targets.import_exercise(tmp_path / "01_cnn", "params")


def test_target_option_resolves_folders(tmp_path):
    root = paths.KIT_ROOT
    assert targets.target_topic_dir(None, "01_cnn", root) == root / "exercises" / "01_cnn"
    assert targets.target_topic_dir("solutions", "01_cnn", root) == root / "solutions" / "01_cnn"
    assert targets.target_topic_dir(str(tmp_path), "01_cnn", root) == tmp_path / "01_cnn"
