"""Language choice (``--lang``, ``CNNKIT_LANG``, the locale) and message lookup."""

from __future__ import annotations

import locale
import os
import re

LANGS = ("en", "vi")
# CNNKIT_LANG=both: a test's messages keep every language, so a graded class can be
# rendered later in either (the trusted run under `grade` sets it). Each message is then
# OPEN + en + SEP + vi + CLOSE, and ``render`` picks one language out of any text. The
# grader's own messages need none of this: they are data (core.messages).
BOTH = "both"
OPEN, SEP, CLOSE = "\ue000", "\ue001", "\ue002"  # private-use characters: never typed
_MARKS = re.compile(f"([{OPEN}{SEP}{CLOSE}])")


def current_lang(explicit: str | None = None) -> str:
    for candidate in (explicit, os.environ.get("CNNKIT_LANG")):
        if candidate:
            code = candidate.lower()[:2]
            if code in LANGS:
                return code
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        if os.environ.get(var, "").lower().startswith("vi"):
            return "vi"
    try:
        loc = locale.getlocale()[0] or ""
    except ValueError:
        loc = ""
    return "vi" if loc.lower().startswith("vi") else "en"


def pick(texts: dict[str, str] | str, lang: str | None = None) -> str:
    """Choose one language from ``{"en": ..., "vi": ...}``."""
    if isinstance(texts, str):
        return texts
    if lang is None and os.environ.get("CNNKIT_LANG") == BOTH:
        kept = _keep_all(texts)
        if kept is not None:
            return kept
    lang = current_lang(lang)
    return texts.get(lang) or texts.get("en") or next(iter(texts.values()))


def _keep_all(texts: dict):
    """Every language in one value (see ``BOTH``): a string, or a tuple of strings kept item
    by item; None for anything else (then one language is picked)."""
    values = [texts.get(x) or texts.get("en") for x in LANGS]
    if all(isinstance(v, str) for v in values):
        return OPEN + SEP.join(values) + CLOSE
    if all(isinstance(v, tuple) and all(isinstance(i, str) for i in v) for v in values) \
            and len({len(v) for v in values}) == 1:
        return tuple(OPEN + SEP.join(items) + CLOSE for items in zip(*values))
    return None


def msg(en: str, vi: str) -> str:
    """One message in the current language: ``msg("the loss", "hàm mất mát")``.

    The short form for tests, whose messages are built when they fail, in the process
    that runs them (``--lang`` / ``CNNKIT_LANG`` decide)."""
    return pick({"en": en, "vi": vi})


def ljust(text: str, width: int) -> str:
    """``text.ljust(width)``, padding each language of a kept-bilingual text on its own."""
    parts = translations(text)
    if parts is None:
        return text.ljust(width)
    return OPEN + SEP.join(parts[x].ljust(width) for x in LANGS) + CLOSE


def render(text: str, lang: str | None = None) -> str:
    """``text`` in one language: each kept-bilingual message (see ``BOTH``) replaced by its
    part in ``lang``. Tolerant of cut or stray marks, which are dropped."""
    if OPEN not in text and SEP not in text and CLOSE not in text:
        return text
    want = LANGS.index(current_lang(lang))
    stack: list[list[list[str]]] = [[[]]]  # per open message: its parts, one per language
    for token in _MARKS.split(text):
        if token == OPEN:
            stack.append([[]])
        elif token == SEP and len(stack) > 1:
            stack[-1].append([])
        elif token == CLOSE and len(stack) > 1:
            parts = stack.pop()
            stack[-1][-1].append("".join(parts[want] if want < len(parts) else parts[0]))
        elif token not in (SEP, CLOSE):
            stack[-1][-1].append(token)
    while len(stack) > 1:  # cut short: close what is open
        parts = stack.pop()
        stack[-1][-1].append("".join(parts[want] if want < len(parts) else parts[0]))
    return "".join(stack[0][0])


def translations(text: str) -> dict[str, str] | None:
    """Every language's rendering of ``text``; None when it holds one language only."""
    if OPEN not in text:
        return None
    return {lang: render(text, lang) for lang in LANGS}
