"""Valid answers written differently: every visible and hidden test must pass on each."""

import pytest

from grader.core import paths
from support.corpus import GROUPS
from support.equivalents import Equivalent, run_group
from support.lecture_submission import SUBMISSION
from support.naive_conv_corpus import HONEST

CASES = [(topic, name) for topic, groups in GROUPS.items() for name in groups]


def test_corpus_is_large_enough():
    count = sum(len(changes) for groups in GROUPS.values() for changes in groups.values())
    assert count >= 15 and set(GROUPS) == {"01_cnn", "02_training", "03_transfer"}


@pytest.mark.parametrize("topic,group", CASES, ids=[f"{t}-{g}" for t, g in CASES])
def test_equivalent_answers_pass_every_test(topic, group, data_mirror):
    changes = GROUPS[topic][group]
    bad, output = run_group(topic, changes)
    ids = ", ".join(c.id for c in changes)
    assert not bad, f"valid answers ({ids}) were rejected:\n\n" + "\n\n".join(bad)


@pytest.mark.parametrize("topic", sorted(SUBMISSION))
def test_lecture_style_submission_passes_every_test(topic, data_mirror):
    bad, output = run_group(topic, SUBMISSION[topic])
    assert not bad, "the lecture-style submission was rejected:\n\n" + "\n\n".join(bad)


@pytest.mark.parametrize("style", sorted(HONEST))
def test_an_honest_naive_conv_passes_every_naive_conv_test_unflagged(style):
    """Loop convolutions written as different students would (tests/support/
    naive_conv_corpus.py): every test of naive_conv passes, the rules' gates included, and
    none flags the file for review."""
    solution = (paths.solutions_dir() / "01_cnn" / "naive_conv.py").read_text()
    whole = Equivalent(style, "naive_conv.py", solution, HONEST[style])
    bad, output = run_group("01_cnn", [whole],
                            tests=[paths.solutions_dir() / "01_cnn" / "test_naive_conv.py"])
    assert not bad, f"a valid naive_conv ({style}) was rejected:\n\n" + "\n\n".join(bad)
