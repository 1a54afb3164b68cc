"""Names and free text from submissions, made safe for ids, Markdown and CSV.

A folder name is whatever the student (or their zip tool) chose: it may hold
newlines, Markdown, control characters, a formula, or bytes that are not UTF-8 (read
back by Python as lone surrogates, which no UTF-8 file can hold). Ids are ASCII and unique;
every shown name or note goes through ``clean`` (which writes such bytes escaped, as
``\\xe0``) and then the escape of its format.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata

# NFKD splits "Ầ" into "A" plus marks; a few letters have no decomposition.
_EXTRA = str.maketrans({"đ": "d", "Đ": "D", "ø": "o", "Ø": "O", "ł": "l", "Ł": "L",
                        "ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE"})
_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]")
# What can start emphasis, code, links, HTML, tables or headings inside one line; an
# underscore only at a word's edge (01_cnn/naive_conv.py stays readable).
_MARKDOWN = re.compile(r"([\\`*\[\]<>#|~]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9]))")


def _escaped(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"\\u{code:04x}"


def printable(text) -> str:
    """``text`` (or a path, or bytes) as text that any UTF-8 file can hold: a byte that is
    not UTF-8 (a lone surrogate once decoded by Python) written escaped, ``b\\xe0i``."""
    if isinstance(text, (bytes, os.PathLike)):
        text = os.fsdecode(text)
    return _SURROGATE.sub(_escaped, str(text))


def clean(text: str, keep_newlines: bool = False) -> str:
    """Drop control and bidi characters, escape bytes that are not UTF-8 (``printable``);
    newlines become spaces unless kept."""
    text = printable(text)
    if not keep_newlines:
        text = re.sub(r"[\r\n\t]+", " ", text)
    return _CONTROL.sub("", text)


def shown(name: str) -> str:
    """A file name fit to print and store as text: bytes that were not UTF-8 on disk (kept by
    Python as lone surrogates) written escaped (``b\\xe0i``), then ``clean``."""
    return clean(name)


def transliterate(name: str) -> str:
    """ASCII letters for an id: "Trần Ánh" -> "Tran_Anh"."""
    ascii_name = unicodedata.normalize("NFKD", name.translate(_EXTRA))
    ascii_name = ascii_name.encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", ascii_name).strip("._-")[:60] or "student"


def unique_ids(names: list[str], key=transliterate) -> list[str]:
    """One id per name, in order, unique whatever the names (case-insensitively, as some
    disks compare them). Names whose ids collide get a short hash of the name itself, so
    "Trần Ánh" and "Trần Ảnh" stay two students whatever the order; if a suffixed id meets
    another id (a folder named after a classmate's suffixed id), both take the next six
    characters of their hash, and so on. The same names always give the same ids."""
    ids = [key(name) for name in names]
    digests = [hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()
               for name in names]
    for step in range(0, 64, 6):
        counts: dict[str, int] = {}
        for sid in ids:
            counts[sid.lower()] = counts.get(sid.lower(), 0) + 1
        clashing = [i for i, sid in enumerate(ids) if counts[sid.lower()] > 1]
        if not clashing:
            return ids
        for i in clashing:
            ids[i] = f"{ids[i]}-{digests[i][step:step + 6]}"
    for i, sid in enumerate(ids):  # equal names: impossible in one folder, but never merge
        ids[i] = f"{sid}-{i}"
    return ids


def markdown(text: str) -> str:
    """One line of plain text, shown as itself in Markdown (no emphasis, links, headings)."""
    return _MARKDOWN.sub(r"\\\1", clean(text))


def code_block(text: str) -> list[str]:
    """A fenced block that the text cannot close: the fence outgrows any backtick run."""
    text = clean(text, keep_newlines=True)
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence, text, fence]


def csv_cell(text: str) -> str:
    """A cell that a spreadsheet shows as text, never runs as a formula."""
    text = clean(text)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
