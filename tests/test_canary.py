"""The machine check's words: the likely cause read off what the runs printed."""

from grader.grading import canary


def _cause(text: str) -> str:
    return canary.likely_cause(text)["en"]


def test_each_known_failure_names_its_cause():
    assert "not visible inside the box" in _cause(
        "FileNotFoundError: [Errno 2] No such file or directory: '/kit/datasets/manifest.toml'")
    assert "cannot read" in _cause("PermissionError: [Errno 13] Permission denied: '/d/x'")
    assert _cause("[node:1] ORTE_ERROR_LOG: MPI_Init failed").startswith("MPI")
    assert "CUDA" in _cause("OSError: libcuda.so.1: cannot open shared object file")
    assert "Python package" in _cause("ModuleNotFoundError: No module named 'torch'")
    assert "pytest" in _cause("INTERNALERROR> Traceback (most recent call last):")


def test_words_inside_other_words_do_not_count():
    assert _cause("this test reported no result; sorted output") == canary.UNKNOWN["en"]


def test_the_failure_screen_says_who_was_graded_and_what_to_do_in_both_languages():
    lost = canary.TopicCheck("02_training", False, 40, 100, 3.0, lost=[
        {"test": "02_training/datamodule: test_x", "output": "E PermissionError: [Errno 13] "
                                                             "Permission denied: '/d/MNIST'"}],
        output_tail="worker line\nFAILED tests/02_training/test_datamodule.py::test_x")
    en, vi = canary.describe_failure([lost], "en"), canary.describe_failure([lost], "vi")
    assert en.startswith("nobody was graded") and "./kit doctor" in en
    assert "02_training: 40 / 100" in en and "Permission denied" in en and "worker line" in en
    assert vi.startswith("chưa chấm bài nào") and "nguyên nhân có thể" in vi
    assert len(en.splitlines()) < 25, "one screen"
