"""Export the kit as an nbgrader course: one source notebook per topic that teaches.

Each notebook opens with a cell that checks the kit is importable, then the topic's
README in English and Vietnamese. Per exercise: its title and points, its hints folded
away, a solution cell that saves the exercise file (``%%writefile``: re-running the cell
is what saves your code), and one graded, locked cell per kit test that says what it
checks. A hidden test's cell only names it: its code stays in ``hidden_tests/`` with the
instructor, so the cell runs it at grading time and says so on a student's machine. (No
nbgrader hidden-test markers: autograde would warn about every such cell's checksum.)
"""

from __future__ import annotations

import ast
import html
import json
import os
import re
import subprocess
import sys
from pathlib import Path

from grader.core import manifest, paths, scoring
from grader.core.i18n import pick
from grader.core.testfiles import is_hidden, kit_topic_dir
from grader.grading.run.test_list import expected_tests

CONFIG = """\
c = get_config()
c.CourseDirectory.course_id = "cnnkit"
c.CourseDirectory.root = {root!r}
c.ClearSolutions.code_stub = {{"python": "# YOUR CODE HERE\\nraise NotImplementedError()"}}
c.ExecutePreprocessor.timeout = 900
c.ExecutePreprocessor.extra_arguments = ["--IPKernelApp.log_level=ERROR"]  # no TCP notice
"""

INTRO = {
    "en": "**How this notebook works.** Each exercise has a code cell that starts with "
          "`%%writefile`: write your code there, then *run the cell* (Shift+Enter) - running it "
          "is what saves the file the tests read. Run it again after every change. The cells "
          "below it run the kit's tests on that file; each says what it checks. Cells marked "
          "*hidden test* run only when your work is graded.",
    "vi": "**Cách dùng notebook này.** Mỗi bài có một ô code bắt đầu bằng `%%writefile`: viết "
          "code vào đó rồi *chạy ô* (Shift+Enter) - chạy ô mới lưu tệp mà các bài kiểm tra đọc. "
          "Sau mỗi lần sửa, hãy chạy lại ô. Các ô bên dưới chạy bài kiểm tra của kit trên tệp "
          "đó; mỗi ô ghi rõ nó kiểm tra gì. Ô ghi *bài kiểm tra ẩn* chỉ chạy khi chấm bài.",
}

SETUP = '''\
# Checks that the kit is importable here, then makes the folder your files are saved in.
# Kiểm tra kit có dùng được ở đây không, rồi tạo thư mục lưu các tệp của bạn.
import os
try:
    import torch  # noqa: F401
    from grader.testkit.notebook import run_test  # noqa: F401
except ImportError as exc:
    raise RuntimeError(
        f"The kit is not importable in this Jupyter ({{exc}}). Start Jupyter from the kit's "
        "environment: cd to the kit, `source .venv/bin/activate`, then `jupyter notebook`.\\n"
        f"Không dùng được kit trong Jupyter này ({{exc}}). Hãy mở Jupyter từ môi trường của "
        "kit: vào thư mục kit, `source .venv/bin/activate`, rồi `jupyter notebook`.") from None
os.makedirs({topic!r}, exist_ok=True)
print("cnnkit ready / sẵn sàng")
'''


def _cell(kind: str, source: str, nb: dict | None = None) -> dict:
    cell = {"cell_type": kind, "metadata": {}, "source": source.splitlines(keepends=True)}
    if kind == "code":
        cell.update(execution_count=None, outputs=[])
    if nb:
        cell["metadata"]["nbgrader"] = {"schema_version": 3, "task": False, **nb}
    return cell


def _grade_id(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]+", "_", text).strip("_")[:80]


def test_summaries(test_file: Path) -> dict[str, str]:
    """What each test checks: its docstring's first line, else its name in words."""
    tree = ast.parse(test_file.read_text(encoding="utf-8"))
    out = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
            doc = ast.get_docstring(node)
            out[node.name] = (doc.strip().splitlines()[0] if doc
                              else node.name[len("test_"):].replace("_", " "))
    return out


def _hints_cell(exercise: manifest.Exercise) -> dict:
    parts = []
    for lang, label in (("en", "Hint"), ("vi", "Gợi ý")):
        for i, text in enumerate(exercise.hint_list(lang), 1):
            parts.append(f"<details><summary>{label} {i}</summary>\n\n{html.escape(text)}\n\n"
                         "</details>")
    return _cell("markdown", "\n".join(parts))


def _test_cell(topic: str, nodeid: str, points: float, summaries: dict[str, str]) -> dict:
    file, name = Path(nodeid.split("::")[0]).name, nodeid.split("::", 1)[1]
    what = summaries.get(name.split("[")[0], name)
    call = f"run_test({topic!r}, {file!r}, {name!r})"
    if is_hidden(file):  # its code stays in hidden_tests/, with the instructor
        source = (f"# Hidden test ({points:.3g} points): it runs when your work is graded.\n"
                  f"# Bài kiểm tra ẩn ({points:.3g} điểm): được chạy khi chấm bài.\n"
                  f"from grader.testkit.notebook import run_test\n{call}")
    else:
        source = (f"# Checks ({points:.3g} points) / Kiểm tra ({points:.3g} điểm): {what}\n"
                  f"from grader.testkit.notebook import run_test\n{call}")
    return _cell("code", source, {"grade": True, "solution": False, "locked": True,
                                  "points": points, "grade_id": _grade_id(f"{topic}_{name}")})


def topic_notebook(topic: str) -> dict:
    info = manifest.load_topic(topic)
    source = paths.solutions_dir() / topic
    kit = kit_topic_dir(topic)
    cells = [
        _cell("markdown", f"# {pick(info.title, 'en')} / {pick(info.title, 'vi')}\n\n"
              f"{INTRO['en']}\n\n{INTRO['vi']}"),
        _cell("code", SETUP.format(topic=topic), {"grade": False, "solution": False,
                                                  "locked": True, "grade_id": f"{topic}_setup"}),
    ]
    for readme in ("README.md", "README.vi.md"):
        if (kit / readme).is_file():
            cells.append(_cell("markdown", (kit / readme).read_text(encoding="utf-8")))
    tests = expected_tests(topic)
    summaries: dict[str, str] = {}
    for test_file in sorted(kit.glob("test_*.py")) + sorted(
            (paths.hidden_tests_dir() / topic).glob("test_*.py")):
        summaries.update(test_summaries(test_file))
    for exercise in info.exercises:
        text = (source / exercise.file).read_text(encoding="utf-8")
        cells.append(_cell("markdown", f"## {pick(exercise.title, 'en')} / "
                                       f"{pick(exercise.title, 'vi')}\n\n`{exercise.file}`, "
                                       f"{exercise.points:g} points / điểm"))
        if exercise.hint_list("en"):
            cells.append(_hints_cell(exercise))
        cells.append(_cell("code", f"%%writefile {topic}/{exercise.file}\n{text}",
                           {"grade": False, "solution": True, "locked": False,
                            "grade_id": _grade_id(f"{topic}_{exercise.name}_solution")}))
        own = [t for t in tests if exercise.owns_test_file(Path(t.split("::")[0]).name)]
        for nodeid, each in zip(own, scoring.split_points(exercise.points, len(own))):
            cells.append(_test_cell(topic, nodeid, each, summaries))
    for i, cell in enumerate(cells):
        cell["id"] = f"{topic}-{i:03d}"
    return {"cells": cells, "metadata": {"kernelspec": {"display_name": "Python 3",
                                                        "language": "python", "name": "python3"},
                                         "language_info": {"name": "python"}},
            "nbformat": 4, "nbformat_minor": 5}


def export(course: Path, topics: list[str] | None = None) -> list[Path]:
    course = Path(course).resolve()
    (course / "source").mkdir(parents=True, exist_ok=True)
    (course / "nbgrader_config.py").write_text(CONFIG.format(root=str(course)))
    written = []
    for topic in topics or paths.topics():
        folder = course / "source" / topic
        folder.mkdir(parents=True, exist_ok=True)
        nb = folder / f"{topic}.ipynb"
        nb.write_text(json.dumps(topic_notebook(topic), indent=1, ensure_ascii=False))
        for data in kit_topic_dir(topic).iterdir():
            if data.suffix not in (".py", ".toml", ".md") and data.is_file():
                (folder / data.name).write_bytes(data.read_bytes())
        written.append(nb)
    return written


def with_solutions(released: dict, source: dict) -> dict:
    """The released notebook with every solution cell filled from the source: what a student
    who solved everything hands in (its graded cells keep their released checksums)."""
    solutions = {c["metadata"]["nbgrader"]["grade_id"]: c["source"] for c in source["cells"]
                 if c["metadata"].get("nbgrader", {}).get("solution")}
    out = json.loads(json.dumps(released))
    for cell in out["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if grade_id in solutions and cell["metadata"]["nbgrader"].get("solution"):
            cell["source"] = solutions[grade_id]
    return out


def nbgrader(course: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run the real nbgrader command inside ``course``."""
    bin_dir = Path(sys.executable).parent  # nbgrader calls alembic through PATH
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    proc = subprocess.run([str(bin_dir / "nbgrader"), *args], cwd=course, capture_output=True,
                          text=True, env=env)
    if check and proc.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed:\n{proc.stdout[-3000:]}"
                           f"\n{proc.stderr[-3000:]}")
    return proc
