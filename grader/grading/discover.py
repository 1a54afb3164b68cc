"""Step 1 of grading: find one submission per student (a folder or a .zip)."""

from __future__ import annotations

import hashlib
import re
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

from grader.core import paths
from grader.core.errors import BadInput, NotFound

ZIP_MAX_BYTES = 64 * 1024 * 1024
ZIP_MAX_FILES = 2000


@dataclass
class Submission:
    student: str
    source: Path  # the folder or zip as handed in
    root: Path | None  # the folder that holds NN_topic folders (None: nothing usable)
    problem: str = ""


def student_id(path: Path) -> str:
    name = path.name[:-4] if path.suffix.lower() == ".zip" else path.name
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "student"


def find_topic_root(folder: Path) -> Path | None:
    """The folder with topic sub-folders, looking through a wrapper or an exercises/ level."""
    queue = [folder]
    for _ in range(3):
        nxt = []
        for cand in queue:
            if any(paths.TOPIC_PATTERN.match(p.name) for p in cand.iterdir() if p.is_dir()):
                return cand
            nxt += [p for p in cand.iterdir() if p.is_dir() and not p.name.startswith((".", "__"))]
        queue = nxt
    return None


def safe_extract(archive: Path, dest: Path) -> None:
    """Unzip, refusing absolute paths, ``..``, links, and archives too large to be homework."""
    with zipfile.ZipFile(archive) as zf:
        infos = zf.infolist()
        if len(infos) > ZIP_MAX_FILES:
            raise BadInput(f"the zip holds {len(infos)} entries (limit {ZIP_MAX_FILES})")
        if sum(i.file_size for i in infos) > ZIP_MAX_BYTES:
            raise BadInput(f"the zip unpacks to more than {ZIP_MAX_BYTES >> 20} MB")
        for info in infos:
            target = (dest / info.filename).resolve()
            if not target.is_relative_to(dest.resolve()) or (info.external_attr >> 28) == 0o12:
                raise BadInput(f"the zip entry {info.filename!r} points outside the submission")
        zf.extractall(dest)


def discover(folder: Path, workdir: Path) -> list[Submission]:
    """Every entry of ``folder`` is a student: a folder, or a .zip unpacked into ``workdir``."""
    folder = Path(folder)
    if not folder.is_dir():
        raise NotFound(f"no submissions folder at {folder}")
    found = []
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith("."):
            continue
        sid = student_id(entry)
        if entry.is_dir():
            found.append(Submission(sid, entry, find_topic_root(entry)))
        elif entry.suffix.lower() == ".zip":
            dest = workdir / "unzipped" / sid
            if dest.exists():
                shutil.rmtree(dest)
            dest.mkdir(parents=True)
            try:
                safe_extract(entry, dest)
                found.append(Submission(sid, entry, find_topic_root(dest)))
            except (zipfile.BadZipFile, BadInput) as exc:
                found.append(Submission(sid, entry, None, f"unusable zip: {exc}"))
    for sub in found:
        if sub.root is None and not sub.problem:
            sub.problem = "no topic folder (01_cnn, 02_training, ...) found in the submission"
    return found


def fingerprint(sub: Submission, files: list[str], kit_digest: str) -> str:
    """Changes when the graded files or the kit's tests change: then grade again."""
    digest = hashlib.sha256(kit_digest.encode())
    for rel in sorted(files):
        path = sub.root / rel if sub.root else None
        digest.update(rel.encode())
        digest.update(path.read_bytes() if path and path.is_file() else b"<missing>")
    return digest.hexdigest()[:16]
