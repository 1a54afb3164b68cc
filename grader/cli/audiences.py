"""The command line's rooms: each package of ``grader`` that serves an audience beyond
the students (instructors, maintainers) may hold a ``subcommands`` module. It gives:

* ``ORDER``: where its commands and usage line come in ``--help``;
* ``USAGE``: one usage line, ``{"en": ..., "vi": ...}`` with ``{prog}``;
* ``register(command, h)``: adds its sub-commands with ``command(name, en, vi)`` (an
  argparse sub-parser) and sets ``handler`` on each (``set_defaults(handler=...)``).

The CLI finds these modules by looking at which packages are there; it names none of
them. A student bundle ships without them, so its ``--help`` lists only what works.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil

import grader

MODULE = "subcommands"


def available() -> list:
    """The ``subcommands`` modules of the packages present here, in ``ORDER``."""
    found = []
    for info in pkgutil.iter_modules(grader.__path__):
        if not info.ispkg:
            continue
        name = f"{grader.__name__}.{info.name}.{MODULE}"
        if importlib.util.find_spec(name) is None:
            continue
        found.append(importlib.import_module(name))
    return sorted(found, key=lambda room: (getattr(room, "ORDER", 100), room.__name__))
