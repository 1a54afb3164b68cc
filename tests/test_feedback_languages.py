"""Messages are kept as data: a class graded in English renders in Vietnamese later."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from grader.cli.main import main
from grader.core import i18n, manifest, paths
from grader.grading import report, sandbox, score

EN = "concept:   the slide writes 3*3*C_out*C_in + C_out next to each conv layer"
VI = "khái niệm: slide ghi 3*3*C_out*C_in + C_out bên cạnh mỗi lớp tích chập"


def test_render_picks_one_language_even_nested_or_cut(monkeypatch):
    monkeypatch.setenv("CNNKIT_LANG", i18n.BOTH)
    inner = i18n.msg("layer", "lớp")
    text = "E   AssertionError: " + i18n.msg(f"first {inner} differs", f"{inner} đầu tiên khác")
    assert i18n.render(text, "en") == "E   AssertionError: first layer differs"
    assert i18n.render(text, "vi") == "E   AssertionError: lớp đầu tiên khác"
    assert i18n.render(text[:-8], "vi").startswith("E   AssertionError: lớp")  # cut: no mark left
    assert not set(i18n.render(text[:-8], "vi")) & {i18n.OPEN, i18n.SEP, i18n.CLOSE}
    assert i18n.translations("plain") is None


def test_a_class_graded_in_english_renders_in_vietnamese_without_regrading(tmp_path, capsys,
                                                                          monkeypatch):
    monkeypatch.setenv("CNNKIT_LANG", "en")  # main(--lang vi) sets it: restored after
    folder = tmp_path / "sub" / "01_cnn"
    shutil.copytree(paths.solutions_dir() / "01_cnn", folder)
    params = folder / "params.py"
    source = params.read_text(encoding="utf-8")
    wrong = "weights = kh * (in_channels // groups) * out_channels"
    params.write_text(source.replace(
        "weights = kh * kw * (in_channels // groups) * out_channels", wrong), encoding="utf-8")
    assert wrong in params.read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory(prefix="cnnkit-box-") as box:
        run = sandbox.run_topic("01_cnn", folder, Path(box), timeout=300,
                                exercises={"params"})
    scores = [s for s in score.score_topic(manifest.load_topic("01_cnn"), run.results)
              if s.exercise == "params"]
    out = tmp_path / "graded"
    result = report.results_json("ana", scores, [], run.seconds, "fp")
    report.write_student(out, "ana", result, "en")
    english = (out / "students" / "ana" / "feedback.md").read_text(encoding="utf-8")
    assert EN in english and VI not in english, english

    stored = json.loads((out / "students" / "ana" / "results.json").read_text("utf-8"))
    failed = [t for t in stored["tests"] if t["status"] == "failed"]
    assert any(EN in t["output"] and VI in t["output_i18n"]["vi"] for t in failed), failed
    marks = {i18n.OPEN, i18n.SEP, i18n.CLOSE}
    assert not any(marks & set(json.dumps(t, ensure_ascii=False)) for t in stored["tests"])

    assert main(["--lang", "vi", "feedback", str(out)]) == 0
    vietnamese = (out / "students" / "ana" / "feedback.md").read_text(encoding="utf-8")
    assert VI in vietnamese and EN not in vietnamese, vietnamese
    assert "Nhận xét cho" in vietnamese and "1 tệp feedback.md" in capsys.readouterr().out
