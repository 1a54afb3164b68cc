"""The similar pairs a report found, kept in DIR/similar/pairs.json so a later ``cnnkit
report DIR`` (after ``grade`` removed DIR/.work) shows them again and redraws their pages.

The file holds each pair's ids and per-file similarity, and the source of each file of a
pair (the diff pages need it), sealed with the folder's grader key as results.json is
(``records.seal``): a file edited by hand, or made by anyone but this folder's grader, is
ignored, and the section says the pairs were not computed.
"""

from __future__ import annotations

from pathlib import Path

from grader.core.files import atomic_write
from grader.grading import records
from grader.grading.classview.load import folder_key
from grader.grading.classview.similarity import MAX_SOURCE_BYTES, Pair, read_source

FILE_NAME = "pairs.json"
MAX_KEPT_SOURCE = 6 * 1024 * 1024  # what the sealed file holds at most (it is read to 8 MiB)

Texts = dict[str, dict[str, str]]  # student id -> "topic/file.py" -> source


def texts_of(pairs: list[Pair], roots: dict[str, Path | None]) -> Texts:
    """The source of every file of every pair, read from the submissions (as far as the
    file's budget goes: a file left out shows empty on its page)."""
    texts: Texts = {}
    budget = MAX_KEPT_SOURCE
    for pair in pairs:
        for rel in pair.files:
            for sid in (pair.a, pair.b):
                if rel in texts.get(sid, {}):
                    continue
                text = read_source(roots.get(sid), rel) or ""
                if len(text.encode("utf-8", "surrogatepass")) > min(budget, MAX_SOURCE_BYTES):
                    continue
                budget -= len(text.encode("utf-8", "surrogatepass"))
                texts.setdefault(sid, {})[rel] = text
    return texts


def save(out: Path, pairs: list[Pair], texts: Texts) -> bool:
    """Seal and write the pairs; False where the folder has no grader key (nothing then
    could verify them)."""
    key = folder_key(Path(out))
    if not key:
        return False
    data = {"cnnkit": {"pairs": [{"a": p.a, "b": p.b, "files": p.files} for p in pairs],
                       "sources": texts}}
    atomic_write(Path(out) / "similar" / FILE_NAME, records.dumps(records.seal(data, key)))
    return True


def load(out: Path, graded: set[str]) -> tuple[list[Pair], Texts] | None:
    """The kept pairs between students still graded, and their sources; None when there is
    no file, or it does not verify."""
    key = folder_key(Path(out))
    saved = records.load_trusted(Path(out) / "similar" / FILE_NAME, key) if key else None
    if saved is None:
        return None
    try:
        pairs = [Pair(str(p["a"]), str(p["b"]),
                      {str(k): float(v) for k, v in dict(p["files"]).items()})
                 for p in saved["cnnkit"]["pairs"]]
        texts = {str(sid): {str(r): str(t) for r, t in dict(files).items()}
                 for sid, files in dict(saved["cnnkit"]["sources"]).items()}
    except (KeyError, TypeError, ValueError):
        return None
    pairs = [p for p in pairs if p.files and p.a in graded and p.b in graded]
    return sorted(pairs, key=lambda p: (-p.score, p.a, p.b)), texts
