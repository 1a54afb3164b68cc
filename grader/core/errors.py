"""One base class for the errors an operator or student can act on.

The CLI prints a ``CnnkitError`` as one clear line and exits 2. Anything else
is a bug in the kit and keeps its traceback.
"""


class CnnkitError(Exception):
    """A problem with the input or the machine, explained in the message."""


class UnknownName(CnnkitError, KeyError):
    """An unknown topic, exercise or data set."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class BadInput(CnnkitError, ValueError):
    """An argument or a file the kit cannot use."""


class NotFound(CnnkitError, FileNotFoundError):
    """A file or folder the command needs is not there."""


class WouldOverwrite(CnnkitError, FileExistsError):
    """The command would destroy something; it names the way to go ahead."""
