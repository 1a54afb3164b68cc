"""The ``cnnkit`` command: ``main`` parses, ``commands`` dispatches to the modules above."""

from grader.cli.main import main

__all__ = ["main"]
