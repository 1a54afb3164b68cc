"""Data sets and weights: where they are, and fetching on first use.

``locate(name)`` is what tests, training and grading call. It finds ``name`` in the
data root or in the mirror beside the checkout; when it is in neither, it fetches it
(``grader.lab.download``) unless ``CNNKIT_OFFLINE=1``; when that is impossible it
raises ``DataMissing``, whose ``line()`` names the data set and the fetch command. What
the kit knows of each entry lives in ``grader.lab.catalog``.
"""

from __future__ import annotations

from pathlib import Path

from grader.lab import download
# Re-exported: callers read the catalog's names as data.X.
from grader.lab.catalog import (MANIFEST, OFFLINE_ENV, WHY_OFFLINE, DataMissing,  # noqa: F401
                                Entry, entry, fetch_command, find, load_manifest, md5sum,
                                offline, search_roots, why_failed)

# A fetch that failed once in this process is not tried again (each try may wait on
# the network); the same DataMissing is raised at once.
_failed: dict[tuple, DataMissing] = {}


def locate(name: str, fetch_missing: bool = True) -> Path:
    """The root folder that holds ``name`` (pass it to torchvision as ``root``).

    Missing data is fetched into the data root unless ``fetch_missing`` is false or
    ``CNNKIT_OFFLINE=1``; ``DataMissing`` when it cannot be had.
    """
    found = find(name)
    if found is not None:
        return found
    roots = list(map(str, search_roots()))
    looked = "looked in " + " and ".join(roots)
    if not fetch_missing:
        raise DataMissing(name, {"en": f"it is not in the data folders ({looked})",
                                 "vi": f"không có trong các thư mục dữ liệu "
                                       f"({', '.join(roots)})"})
    attempt = (name, looked, offline())
    if attempt in _failed:
        raise _failed[attempt]
    try:
        return download.fetch_named(name)
    except DataMissing as exc:
        exc.detail = "\n".join(x for x in (exc.detail, looked) if x)
        _failed[attempt] = exc
        raise


def missing(names) -> dict[str, DataMissing]:
    """Which of ``names`` cannot be had (after trying to fetch them), with the reason."""
    out = {}
    for name in dict.fromkeys(names):
        try:
            locate(name)
        except DataMissing as exc:
            out[name] = exc
    return out


def status(verify: bool = False) -> list[tuple[str, str, str]]:
    rows = []
    for name, known in load_manifest().items():
        where = next((str(r) for r in search_roots() if known.is_complete(r)), "")
        state = "present" if where else "missing"
        if where and verify and known.md5:
            state = "ok (md5)" if known.is_complete(Path(where), verify=True) else "BAD CHECKSUM"
        rows.append((name, state, where or fetch_command(name)))
    return rows
