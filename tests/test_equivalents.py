"""Valid answers written differently: every visible and hidden test must pass on each."""

import pytest

from support.corpus import GROUPS
from support.equivalents import run_group
from support.lecture_submission import SUBMISSION

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
