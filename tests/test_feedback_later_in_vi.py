"""A class graded in English renders in Vietnamese later (`feedback DIR --lang vi`) with no
English sentence: the sample student chi (a syntax error, missing files, a conftest.py the
grader ignores) whose import failures are said by the worker in the box."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from grader.core import paths
from test_vietnamese_only import _box_missing, english_lines

pytestmark = pytest.mark.full_tier  # one student graded in a box: about a minute


def _run(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "MPLBACKEND": "Agg"}
    env.pop("CNNKIT_LANG", None)
    return subprocess.run([sys.executable, "-m", "grader", *args], env=env, text=True,
                          capture_output=True, timeout=900, cwd=paths.KIT_ROOT)


def test_chi_graded_in_english_reads_in_vietnamese_later(tmp_path):
    missing = _box_missing()
    if missing:
        pytest.skip(f"no bubblewrap box here, so nothing is graded: {missing}")
    shutil.copytree(paths.KIT_ROOT / "samples" / "submissions" / "chi", tmp_path / "subs" / "chi")
    out = tmp_path / "graded"
    graded = _run("grade", str(tmp_path / "subs"), "--out", str(out), "--topics", "01_cnn",
                  "--train", "off", "--lang", "en")
    assert graded.returncode == 0, graded.stdout + graded.stderr
    english = (out / "students" / "chi" / "feedback.md").read_text(encoding="utf-8")
    assert "the exercise file 01_cnn/models.py does not exist" in english, english
    rendered = _run("feedback", str(out), "--lang", "vi")
    assert rendered.returncode == 0, rendered.stdout + rendered.stderr
    text = (out / "students" / "chi" / "feedback.md").read_text(encoding="utf-8")
    assert "không có tệp bài tập 01_cnn/models.py" in text and "lỗi cú pháp" in text, text
    assert "grader.testkit" not in text and "Failed:" not in text, text
    found = english_lines(text)
    assert not found, "English in `feedback --lang vi`:\n" + "\n".join(found) + "\n\n" + text
