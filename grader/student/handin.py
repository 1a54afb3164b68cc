"""``cnnkit submit``: run the checks, then pack exactly the exercise files into one zip
named for the student, laid out as the grader reads it (``NN_topic/file.py``), and say
what went in and what was left out."""

from __future__ import annotations

import getpass
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

from grader.core import manifest, paths
from grader.core.errors import BadInput, CnnkitError
from grader.core.i18n import pick
from grader.student.status import DONE, statuses, target_root, untouched
from grader.student.texts import MSG, say

SKIPPED_DIRS = {"__pycache__", ".ipynb_checkpoints", ".pytest_cache", ".hypothesis"}


def zip_name(name: str) -> str:
    """A file name for ``name``: letters (Vietnamese ones too), digits, ``.`` and ``-``;
    every other run of characters becomes one ``_``."""
    cleaned = re.sub(r"[^\w.-]+", "_", name.strip(), flags=re.UNICODE).strip("._")
    if not cleaned:
        raise BadInput(pick({"en": f"{name!r} cannot name a file: give --name \"Your Name\"",
                             "vi": f"{name!r} không dùng làm tên tệp được: hãy dùng --name "
                                   "\"Tên bạn\""}))
    return cleaned[:100] + ".zip"


def student_name(given: str | None, lang: str) -> str:
    """``--name``; else asked (at a terminal); else git's user.name or the login name."""
    if given and given.strip():
        return given.strip()
    if sys.stdin.isatty():
        answer = input(pick({"en": "Your name, as your instructor knows it: ",
                             "vi": "Họ tên của bạn (như giảng viên biết): "}, lang)).strip()
        if answer:
            return answer
    try:
        found = subprocess.run(["git", "config", "user.name"], capture_output=True, text=True,
                               timeout=10, cwd=paths.KIT_ROOT).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        found = ""
    found = found or os.environ.get("CNNKIT_STUDENT", "") or getpass.getuser()
    if not found:
        raise BadInput(pick({"en": "no name to put on the zip: give --name \"Your Name\"",
                             "vi": "chưa có tên cho tệp zip: hãy dùng --name \"Tên bạn\""}, lang))
    print(pick({"en": f"name: {found} (from git or your login; --name \"Your Name\" to change)",
                "vi": f"tên: {found} (lấy từ git hoặc tên đăng nhập; đổi bằng --name "
                      f"\"Tên bạn\")"}, lang))
    return found


def plan_files(target: str | None) -> tuple[list[tuple[Path, str]], list[str], list[str]]:
    """(file, name in the zip) for each exercise file there is; the exercise files that are
    missing; everything else in the topic folders, left out."""
    root = target_root(target)
    packed, missing, left_out = [], [], []
    for topic in manifest.load_all():
        folder = root / topic.name
        wanted = set(topic.files)
        for file in topic.files:
            path = folder / file
            if path.is_file() and not path.is_symlink():
                packed.append((path, f"{topic.name}/{file}"))
            else:
                missing.append(f"{topic.name}/{file}")
        if folder.is_dir():
            for path in sorted(folder.rglob("*")):
                rel = path.relative_to(folder)
                if path.is_dir() or SKIPPED_DIRS & set(rel.parts):
                    continue
                if rel.as_posix() not in wanted:
                    left_out.append(f"{topic.name}/{rel.as_posix()}")
    return packed, missing, left_out


def run_checks(target: str | None, lang: str) -> list[str]:
    """Each exercise's state from the kit's tests (as ``list`` computes it), one line each
    for what is not done; the checks' own trouble is said, never a reason not to hand in."""
    lines = []
    for topic in manifest.load_all():
        try:
            for st in statuses(topic, target, lang):
                if st.state != DONE:
                    lines.append(f"{topic.name}/{st.exercise.name}: {_state(st.state, lang)}"
                                 f" ({st.got:g}/{st.most:g})")
        except CnnkitError as exc:
            lines.append(f"{topic.name}: {exc}")
    return lines


def _state(state: str, lang: str) -> str:
    return say(state, lang) if state in MSG else state


def _kit_file(rel: str) -> bool:
    name = rel.rsplit("/", 1)[-1]
    return name.startswith(("test_", "README")) or name == "topic.toml" or \
        name.endswith((".pt", ".png"))


def write_zip(zip_path: Path, packed: list[tuple[Path, str]]) -> None:
    tmp = zip_path.with_name(f".{zip_path.name}.{os.getpid()}.tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for path, arcname in packed:
            zf.write(path, arcname)
    os.replace(tmp, zip_path)


def submit(name: str | None, out: str | None, target: str | None, lang: str,
           check: bool = True) -> int:
    t = lambda en, vi: pick({"en": en, "vi": vi}, lang)  # noqa: E731
    who = student_name(name, lang)
    folder = Path(out) if out else Path(os.environ.get("CNNKIT_CWD") or os.getcwd())
    if not folder.is_dir():
        raise BadInput(t(f"no folder at {folder} to write the zip into",
                         f"không có thư mục {folder} để ghi tệp zip"))
    packed, missing, left_out = plan_files(target)
    if not packed:
        raise BadInput(t(f"no exercise file found under {target_root(target)}",
                         f"không tìm thấy tệp bài tập nào trong {target_root(target)}"))
    if check:
        print(t("checking every topic with the kit's tests (as ./kit list does) ...",
                "đang kiểm tra mọi chủ đề bằng bài kiểm tra của kit (như ./kit list) ..."),
              flush=True)
        not_done = run_checks(target, lang)
    zip_path = folder / zip_name(who)
    replaced = zip_path.exists()
    write_zip(zip_path, packed)
    stubs = [arc for path, arc in packed if untouched(path, arc.split("/")[0])]
    print(t(f"packed {len(packed)} exercise files into {zip_path}" +
            (" (replacing the earlier zip)" if replaced else ""),
            f"đã đóng gói {len(packed)} tệp bài tập vào {zip_path}" +
            (" (thay tệp zip trước)" if replaced else "")))
    for _, arc in packed:
        print(f"  + {arc}" + (t("  (still the stub)", "  (vẫn là khung ban đầu)")
                              if arc in stubs else ""))
    if missing:
        print(t("missing (not in the zip; graded as failing):",
                "thiếu (không có trong zip; sẽ được chấm là chưa đạt):"))
        print("".join(f"  ! {m}\n" for m in missing), end="")
    if left_out:
        yours = [x for x in left_out if not _kit_file(x)]
        print(t(f"left out ({len(left_out)}): the kit's own files (tests, READMEs, topic.toml, "
                f"images) and {len(yours)} other file(s); the grader reads only the exercise "
                "files", f"không đóng gói ({len(left_out)}): các tệp của kit (bài kiểm tra, "
                f"README, topic.toml, hình) và {len(yours)} tệp khác; bộ chấm chỉ đọc các tệp "
                "bài tập"))
        print("".join(f"  - {x}\n" for x in yours), end="")
    if check:
        if not_done:
            print(t("not done yet (you may still hand in):",
                    "chưa xong (bạn vẫn có thể nộp):"))
            print("".join(f"  · {line}\n" for line in not_done), end="")
        else:
            print(t("every exercise passes the kit's visible tests.",
                    "mọi bài đều đạt các bài kiểm tra công khai của kit."))
    print(t(f"hand in: upload {zip_path.name} where your course collects the work.",
            f"nộp bài: tải {zip_path.name} lên nơi lớp học của bạn thu bài."))
    return 0
