"""What comes back from the worker besides plain data.

* ``RemoteModule``: the trusted mirror of a student's ``nn.Module``. Its parameters,
  buffers and built-in torch layers are real trusted copies; calling it runs the student's
  ``forward`` in the worker, after pushing the mirror's current state there.
* ``Handle``: any other object the worker keeps (a DataLoader, a bound method). The
  trusted side may call it or read attributes; every answer is again only data.
* ``RemoteError``: an exception raised in the worker, by type name and message.

Nothing here trusts what an object says about itself: a mirror's layer list is what the
worker described; the tests that earn points check outputs on inputs they chose.
"""

from __future__ import annotations

import builtins

import torch.nn as nn

from grader.testkit import isolation


def _client():
    """The worker client of the test session in progress (the runner the grader's plugin
    installed); in the worker itself there is none."""
    client = getattr(isolation.current(), "current_client", None)
    if client is None:
        raise RuntimeError("no worker: this object belongs to a worker that is gone")
    return client


class RemoteError(Exception):
    """An exception raised by the worker's code; ``type_name`` is its class name there."""

    def __init__(self, type_name: str, message: str):
        super().__init__(message)
        self.type_name = type_name

    def __str__(self):
        return f"{self.type_name}: {self.args[0]}" if self.args and self.args[0] else \
            self.type_name


def rebuild_error(type_name: str, message: str) -> BaseException:
    """A builtin exception keeps its type (NotImplementedError stays one); others don't."""
    kind = getattr(builtins, type_name, None)
    if isinstance(kind, type) and issubclass(kind, Exception) and type_name not in (
            "SystemExit", "KeyboardInterrupt", "GeneratorExit"):
        try:
            return kind(message)
        except Exception:  # an exception type with another signature
            pass
    return RemoteError(type_name, message)


class Handle:
    """An object kept by the worker. Attribute reads, calls, iteration and indexing go
    there and come back as data (or as more handles)."""

    def __init__(self, remote_id: int = 0, type_name: str = "", text: str = ""):
        self._remote_id = remote_id
        self._remote_type = type_name
        self._remote_repr = text

    def __getattr__(self, name):
        if name.startswith("__") or name.startswith("_remote"):
            raise AttributeError(name)
        return _client().getattr(self, name)

    def __call__(self, *args, **kwargs):
        return _client().call(self, args, kwargs)

    def __iter__(self):
        return iter(_client().listing(self))

    def __len__(self):
        return _client().length(self)

    def __getitem__(self, key):
        return _client().item(self, key)

    def __repr__(self):
        return f"<{self._remote_type} in the student's process>"


class RemoteModule(nn.Module):
    """A student's ``nn.Module``, mirrored: real parameters, buffers and child layers;
    ``forward`` and every method of the student's class run in the worker."""

    _remote_id: int = 0
    _remote_type: str = "Module"
    _remote_mro: tuple = ()

    def forward(self, *args, **kwargs):
        return _client().call(self, args, kwargs)

    def __call__(self, *args, **kwargs):  # the student's own __call__ path, hooks included
        return _client().call(self, args, kwargs)

    def __getattr__(self, name):
        try:
            return super().__getattr__(name)
        except AttributeError:
            if name.startswith("__") or name.startswith("_remote") or name.startswith("_"):
                raise
            return _client().getattr(self, name)

    def remote_is(self, class_name: str) -> bool:
        """Whether the worker reported this class name among the object's bases."""
        return class_name in self._remote_mro

    def _get_name(self):
        return self._remote_type
