"""Similar submissions, for a human to review: never a penalty.

Each exercise file is reduced to a token sequence (Python's ``tokenize``): comments and
layout dropped, every name and literal abstracted (renaming a variable changes nothing),
keywords and operators kept. k-grams of tokens are hashed and winnowed (Schleimer et al.,
"Winnowing", 2003): the minimum hash of each window is kept, so a set of fingerprints
stands for the file whatever the order of its functions. Fingerprints of the exercise's
own stub (the scaffolding everyone starts from) and fingerprints much of the class shares
(the one right answer) are dropped; two files' similarity is the Jaccard index of what remains.
"""

from __future__ import annotations

import difflib
import hashlib
import html
import io
import itertools
import keyword
import token
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

from grader.core import manifest, paths
from grader.core.files import atomic_write
from grader.core.i18n import pick
from grader.grading.box import safefiles

K = 12  # tokens per k-gram
WINDOW = 4  # k-grams per winnowing window
THRESHOLD = 0.6  # Jaccard at or above which a pair is listed
MIN_FINGERPRINTS = 8  # fewer (after the stub is removed): too little own code to compare
# A fingerprint held by more than COMMON_SHARE of the class (and by more than COMMON_MIN
# students) is what everyone writes: the one right answer, not a copy (as MOSS's -m).
COMMON_SHARE = 0.1
COMMON_MIN = 5
MAX_SOURCE_BYTES = 512 * 1024


def tokens(source: str) -> list[str]:
    """The abstracted token sequence of Python source (best effort on broken code)."""
    out: list[str] = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE,
                            tokenize.ENCODING, tokenize.ENDMARKER):
                continue
            if tok.type == token.NAME:
                out.append(tok.string if keyword.iskeyword(tok.string) else "N")
            elif tok.type == token.NUMBER:
                out.append("0")
            elif tok.type == token.STRING:
                out.append("S")
            elif tok.type == token.INDENT:
                out.append(">")
            elif tok.type == token.DEDENT:
                out.append("<")
            else:
                out.append(tok.string)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass  # keep what was read before the error
    return out


def _hash(gram: tuple[str, ...]) -> int:
    return int.from_bytes(hashlib.blake2b(" ".join(gram).encode(), digest_size=8).digest(),
                          "big")


def fingerprints(seq: list[str], k: int = K, window: int = WINDOW) -> frozenset[int]:
    """Winnowed hashes of the k-grams of ``seq`` (all of them when there are few)."""
    hashes = [_hash(tuple(seq[i:i + k])) for i in range(len(seq) - k + 1)]
    if len(hashes) <= window:
        return frozenset(hashes)
    return frozenset(min(hashes[i:i + window]) for i in range(len(hashes) - window + 1))


def jaccard(a: frozenset, b: frozenset) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


@dataclass
class Pair:
    a: str  # student ids, a < b
    b: str
    files: dict[str, float] = field(default_factory=dict)  # "topic/file.py" -> similarity

    @property
    def score(self) -> float:
        return max(self.files.values())

    @property
    def page(self) -> str:
        return f"{self.a}__{self.b}.html"


def read_source(root: Path | None, rel: str) -> str | None:
    if root is None:
        return None
    path = root / rel
    if not safefiles.is_plain_file(path):
        return None
    try:
        return safefiles.read_bytes(path, MAX_SOURCE_BYTES).decode("utf-8", "replace")
    except (OSError, safefiles.UnsafeFile):
        return None


def stub_fingerprints(rel: str) -> frozenset[int]:
    """The fingerprints of the kit's own stub of ``topic/file.py`` (empty when absent)."""
    path = paths.exercises_dir() / rel
    try:
        return fingerprints(tokens(path.read_text(encoding="utf-8")))
    except OSError:
        return frozenset()


def compare_file(sources: dict[str, str], stub: frozenset[int],
                 threshold: float = THRESHOLD) -> dict[tuple[str, str], float]:
    """Every pair of students (of ``sources``: id -> text) at or above ``threshold``."""
    prints = {sid: fingerprints(tokens(text)) - stub for sid, text in sources.items()}
    counts: dict[int, int] = {}
    for fp in prints.values():
        for h in fp:
            counts[h] = counts.get(h, 0) + 1
    limit = max(COMMON_MIN, COMMON_SHARE * len(prints))
    common = {h for h, c in counts.items() if c > limit}
    prints = {sid: fp - common for sid, fp in prints.items()}
    usable = sorted((sid, fp) for sid, fp in prints.items() if len(fp) >= MIN_FINGERPRINTS)
    found = {}
    for (a, fa), (b, fb) in itertools.combinations(usable, 2):
        inter = len(fa & fb)
        if inter and inter / (len(fa) + len(fb) - inter) >= threshold:
            found[(a, b)] = round(inter / (len(fa) + len(fb) - inter), 3)
    return found


def exercise_files(topics: list[str] | None = None) -> list[str]:
    names = topics or paths.topics()
    return [f"{t}/{f}" for t in names for f in manifest.load_topic(t).files]


def find_pairs(roots: dict[str, Path | None], files: list[str] | None = None,
               threshold: float = THRESHOLD) -> list[Pair]:
    """``roots``: student id -> the folder holding their topic folders."""
    pairs: dict[tuple[str, str], Pair] = {}
    for rel in files if files is not None else exercise_files():
        sources = {sid: text for sid, root in roots.items()
                   if (text := read_source(root, rel)) is not None}
        for (a, b), sim in compare_file(sources, stub_fingerprints(rel), threshold).items():
            pairs.setdefault((a, b), Pair(a, b)).files[rel] = sim
    return sorted(pairs.values(), key=lambda p: (-p.score, p.a, p.b))


NOTICE = {"en": "A hint for a human reviewer, never a penalty. Similar code is expected in "
                "short exercises with one right answer; look at the code, and talk to the "
                "students, before drawing any conclusion.",
          "vi": "Chỉ là gợi ý để người xem xét, không bao giờ là hình phạt. Các bài tập ngắn "
                "chỉ có một đáp án đúng thì mã giống nhau là chuyện bình thường; hãy đọc mã và "
                "trao đổi với sinh viên trước khi kết luận điều gì."}


def pair_page(pair: Pair, texts: dict[str, dict[str, str]], names: dict[str, str],
              lang: str) -> str:
    """A side-by-side diff of each similar file (``texts``: id -> file -> source); every
    student string escaped."""
    t = lambda en, vi: pick({"en": en, "vi": vi}, lang)  # noqa: E731
    name_a, name_b = (html.escape(names.get(s, s)) for s in (pair.a, pair.b))
    parts = []
    for rel, sim in sorted(pair.files.items(), key=lambda kv: -kv[1]):
        left = texts.get(pair.a, {}).get(rel, "").splitlines()
        right = texts.get(pair.b, {}).get(rel, "").splitlines()
        table = difflib.HtmlDiff(tabsize=4, wrapcolumn=80).make_table(
            left, right, html.escape(pair.a), html.escape(pair.b))
        parts.append(f"<h2>{html.escape(rel)}: {sim:.0%} "
                     f"{t('similar', 'tương đồng')}</h2>\n{table}")
    return f"""<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8">
<title>{t('Similar submissions', 'Bài nộp tương đồng')}: {html.escape(pair.a)} / {html.escape(pair.b)}</title>
<style>
body{{font-family:system-ui,sans-serif;margin:1.5rem;color:#222}}
.notice{{background:#fff7e0;border-left:4px solid #e0a800;padding:.6rem 1rem;max-width:60rem}}
table.diff{{font-family:ui-monospace,monospace;font-size:12px;border-collapse:collapse}}
.diff_header{{background:#eee;color:#777}} td.diff_header{{text-align:right;padding:0 .4rem}}
.diff_next{{background:#f4f4f4}} .diff_add{{background:#d8f5d8}} .diff_chg{{background:#fff1b8}}
.diff_sub{{background:#f8d6d6}} th.diff_next,th.diff_header{{padding:.3rem}}
</style></head><body>
<h1>{t('Similar submissions', 'Bài nộp tương đồng')}: {name_a} &amp; {name_b}</h1>
<p class="notice">{html.escape(pick(NOTICE, lang))}</p>
<p>{t('Highlighted lines differ; unhighlighted lines are the same in both. The similarity '
      'ignores comments, names and the stub both started from.',
      'Các dòng được tô màu là khác nhau; các dòng không tô giống nhau ở cả hai bài. Độ tương '
      'đồng bỏ qua chú thích, tên biến và phần khung có sẵn mà cả hai cùng bắt đầu.')}</p>
{''.join(parts)}
</body></html>
"""


def write_pages(out: Path, pairs: list[Pair] | None, texts: dict[str, dict[str, str]],
                names: dict[str, str], lang: str) -> None:
    """DIR/similar/<a>__<b>.html for each pair, and no other page: those of an earlier
    render (a pair no longer found, or pairs not computed this time) are removed."""
    folder = out / "similar"
    keep = {pair.page for pair in pairs or []}
    if folder.is_dir() and not folder.is_symlink():
        for old in folder.glob("*.html"):
            if old.name not in keep:
                old.unlink()
    for pair in pairs or []:
        atomic_write(folder / pair.page, pair_page(pair, texts, names, lang))
