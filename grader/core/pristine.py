"""A student bundle's record of the kit's own files, written at release: the hash of each
visible test and each stub. In the bundle, ``check``, ``list`` and ``watch`` run only
those tests, and refuse one that was edited; a full checkout reads its tests from
``solutions/`` and needs no record.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from grader.core import i18n, paths
from grader.core.errors import CnnkitError

RECORD = ".cnnkit-bundle.json"


def record_path(root: Path | None = None) -> Path:
    return (paths.KIT_ROOT if root is None else Path(root)) / RECORD


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "missing"


def load(root: Path | None = None) -> dict:
    """The bundle's record ({} in a full checkout, or if it cannot be read)."""
    try:
        found = json.loads(record_path(root).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def in_bundle(root: Path | None = None) -> bool:
    return record_path(root).is_file()


def write(bundle: Path, reference: list[str] | None = None) -> Path:
    """Record the hashes of the bundle's visible tests and stubs (``exercises/*/*.py``)
    and the topics whose reference solutions it holds."""
    bundle = Path(bundle)
    tests, stubs = {}, {}
    for path in sorted((bundle / "exercises").glob("*/*.py")):
        rel = path.relative_to(bundle / "exercises").as_posix()
        (tests if path.name.startswith("test_") else stubs)[rel] = sha256(path)
    old = load(bundle)
    body = {"format": 1, "tests": tests, "stubs": stubs,
            "reference": sorted(set(old.get("reference", [])) | set(reference or []))}
    path = record_path(bundle)
    path.write_text(json.dumps(body, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return path


def add_reference(bundle: Path, topic: str) -> None:
    """Note that the bundle now holds ``topic``'s reference solutions."""
    body = load(bundle)
    body["reference"] = sorted(set(body.get("reference", [])) | {topic})
    record_path(bundle).write_text(json.dumps(body, indent=1, sort_keys=True) + "\n",
                                   encoding="utf-8")


def listed_tests(topic: str) -> list[Path] | None:
    """The kit's visible test files of ``topic`` in a bundle (None outside one)."""
    if not in_bundle():
        return None
    tests = load().get("tests") or {}
    return [paths.exercises_dir() / rel for rel in sorted(tests)
            if rel.split("/", 1)[0] == topic]


def edited(files: list[Path]) -> list[str]:
    """Those of ``files`` that differ from the kit's (edited, replaced or deleted), as
    paths from the bundle's root; none outside a bundle."""
    if not in_bundle():
        return []
    tests = load().get("tests") or {}
    found = []
    for path in files:
        try:
            rel = path.relative_to(paths.exercises_dir()).as_posix()
        except ValueError:
            continue
        if rel in tests and sha256(path) != tests[rel]:
            found.append(f"exercises/{rel}")
    return found


def stub_hash(topic: str, file: str) -> str | None:
    """The shipped stub's hash in a bundle (None outside one)."""
    return (load().get("stubs") or {}).get(f"{topic}/{file}") if in_bundle() else None


class EditedTests(CnnkitError):
    """A visible test of the bundle is not the kit's: its verdict would mean nothing."""

    def __init__(self, files: list[str]):
        shown = ", ".join(files)
        super().__init__(i18n.pick({
            "en": f"{shown}: not the kit's test file (edited, replaced or deleted). check and "
                  "list run only the kit's own tests, so nothing was checked. Put the original "
                  "back (from the bundle you were given, or `git checkout -- FILE` if you keep "
                  "your work in git); write your own tests in a file of another name.",
            "vi": f"{shown}: không phải tệp kiểm tra của kit (đã bị sửa, thay hoặc xoá). check "
                  "và list chỉ chạy bài kiểm tra của chính kit, nên chưa có gì được kiểm tra. "
                  "Hãy đặt lại tệp gốc (từ gói bạn được phát, hoặc `git checkout -- TỆP` nếu "
                  "bạn lưu bài bằng git); tự viết bài kiểm tra riêng trong một tệp tên khác."}))
        self.files = files


def require(files: list[Path]) -> None:
    """Raise ``EditedTests`` if any of ``files`` is not the kit's."""
    bad = edited(files)
    if bad:
        raise EditedTests(bad)


def digest(files: list[Path]) -> str:
    """One hash over ``files`` (names and contents): what a cached verdict was computed on."""
    h = hashlib.sha256()
    for path in sorted(files):
        h.update(path.name.encode() + b"\0" + sha256(path).encode())
    return h.hexdigest()[:16]
