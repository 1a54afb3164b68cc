"""Language choice (``--lang``, ``CNNKIT_LANG``, the locale) and message lookup."""

from __future__ import annotations

import locale
import os

LANGS = ("en", "vi")


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
    lang = current_lang(lang)
    return texts.get(lang) or texts.get("en") or next(iter(texts.values()))


def msg(en: str, vi: str) -> str:
    """One message in the current language: ``msg("the loss", "hàm mất mát")``.

    The short form for tests, whose messages are built when they fail, in the process
    that runs them (``--lang`` / ``CNNKIT_LANG`` decide)."""
    return pick({"en": en, "vi": vi})
