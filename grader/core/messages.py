"""Messages as data: an id from the kit's catalog (``messages.toml``) and its parameters.

The grader builds ``Message`` values and records keep them as ``{"id", "params"}``; a
language is chosen only where a person reads one, by the ``lang`` argument of ``render``.
A parameter may be a number, a text or another message (rendered in the same language)."""

from __future__ import annotations

import functools
import string
import tomllib
from dataclasses import dataclass
from pathlib import Path

from grader.core import i18n

LANGS = i18n.LANGS
CATALOG_FILE = Path(__file__).with_name("messages.toml")
_SCALARS = (str, int, float, bool)


@functools.cache
def catalog() -> dict[str, dict[str, str]]:
    """Message id -> {"en": template, "vi": template}; nested tables name the id's parts."""
    found: dict[str, dict[str, str]] = {}

    def walk(prefix: str, table: dict) -> None:
        if any(isinstance(v, str) for v in table.values()):
            found[prefix] = {k: v for k, v in table.items() if isinstance(v, str)}
        for key, value in table.items():
            if isinstance(value, dict):
                walk(f"{prefix}.{key}" if prefix else key, value)

    walk("", tomllib.loads(CATALOG_FILE.read_text(encoding="utf-8")))
    return found


def placeholders(template: str) -> set[str]:
    """The parameter names a template reads (``{limit:.0f}`` reads ``limit``)."""
    return {name.split(".")[0].split("[")[0]
            for _, name, _, _ in string.Formatter().parse(template) if name}


@dataclass(frozen=True)
class Message:
    id: str
    params: tuple[tuple[str, object], ...] = ()


def said(message_id: str, **params) -> Message:
    """A message of the catalog; an unknown id or a wrong parameter is the kit's own bug."""
    templates = catalog().get(message_id)
    if templates is None:
        raise KeyError(f"no message {message_id!r} in {CATALOG_FILE.name}")
    wanted = placeholders(templates["en"])
    if set(params) != wanted:
        raise TypeError(f"message {message_id!r} takes {sorted(wanted)}, not {sorted(params)}")
    for name, value in params.items():
        if not isinstance(value, (*_SCALARS, Message)):
            raise TypeError(f"message {message_id!r}: {name} is a {type(value).__name__}")
    return Message(message_id, tuple(sorted(params.items())))


def render(message: Message, lang: str | None) -> str:
    """The message in ``lang`` (a code, a locale, or None for the run's language)."""
    lang = i18n.current_lang(lang)
    templates = catalog()[message.id]
    values = {k: render(v, lang) if isinstance(v, Message) else v for k, v in message.params}
    return (templates.get(lang) or templates["en"]).format_map(values)


def languages(message: Message) -> dict[str, str]:
    return {lang: render(message, lang) for lang in LANGS}


def to_data(message: Message) -> dict:
    """``{"id", "params"}``, a nested message as the same; what a record keeps."""
    return {"id": message.id,
            "params": {k: to_data(v) if isinstance(v, Message) else v
                       for k, v in message.params}}


def from_data(data) -> Message | None:
    """The message a record kept; None for anything this kit cannot render (an id of
    another version, a parameter missing or of a wrong type): the record's text stands."""
    try:
        params = {k: from_data(v) if isinstance(v, dict) else v
                  for k, v in dict(data["params"]).items()}
        if any(v is None for v in params.values()):
            return None
        message = said(str(data["id"]), **params)
        render(message, "en")
        return message
    except (KeyError, TypeError, ValueError, IndexError, AttributeError):
        return None


# --- a note: a message, a text in every language, or one plain text ---------------------
Note = Message | dict | str


def note_text(note: Note, lang: str) -> str:
    """A note in ``lang``: a message rendered, ``{"en", "vi"}`` picked, a text as is (one
    kept bilingual by a test's run: its part in ``lang``)."""
    if isinstance(note, Message):
        return render(note, lang)
    if isinstance(note, dict):
        return str(note.get(lang) or note.get("en") or "")
    return i18n.render(note, lang)


def note_data(note: Note):
    """A note as a record keeps it: a message's data, or ``{"text": {lang: ...}}``."""
    if isinstance(note, Message):
        return to_data(note)
    return {"text": {lang: note_text(note, lang) for lang in LANGS}}


def note_from_data(data) -> Note | None:
    """A note a record kept (``note_data``); a plain text stands as it is."""
    if isinstance(data, str):
        return data
    if isinstance(data, dict) and isinstance(data.get("text"), dict):
        text = {k: v for k, v in data["text"].items() if k in LANGS and isinstance(v, str)}
        return text or None
    return from_data(data) if isinstance(data, dict) else None
