"""What a warm process imports before it forks children that run the kit's tests.

``watch`` (a student's save) and the grader's trusted runs each keep one such process:
the libraries are imported once, and every child starts from that state instead of
starting Python and importing PyTorch again. Nothing here runs a test, starts a thread
or touches student code, so forking afterwards is safe.
"""

from __future__ import annotations

import gc


def warm_up(environment_plugins: bool = True) -> None:
    """Import what the tests import (``environment_plugins``: also the pytest plugins
    installed in the environment, for runs that load them)."""
    import hypothesis  # noqa: F401  # lazy: the imports are this function's whole job
    import lightning  # noqa: F401  # lazy: the imports are this function's whole job
    import matplotlib  # lazy: the imports are this function's whole job

    matplotlib.use("Agg")
    import matplotlib.pyplot  # noqa: F401  # lazy: the imports are this function's whole job
    import pytest  # noqa: F401  # lazy: the imports are this function's whole job
    import torch  # noqa: F401  # lazy: the imports are this function's whole job
    import torchinfo  # noqa: F401  # lazy: the imports are this function's whole job
    import torchvision  # noqa: F401  # lazy: the imports are this function's whole job

    import grader.testkit.plugin  # noqa: F401  # lazy: the imports are this function's whole job

    _import_pytest_modules(environment_plugins)
    _read_local_constants()
    # Every child inherits these objects: frozen, no gc.collect of a child walks them again.
    gc.freeze()


def _read_local_constants() -> None:
    """Hypothesis reads the source of every module loaded since its last draw, for
    constants to try: the kit's and the libraries' once here, so a child reads only the
    test files it imports (0.1-0.2 s less per run of a topic with property tests)."""
    try:
        from hypothesis.internal.conjecture.providers import _get_local_constants
    except ImportError:  # another Hypothesis: each child reads them, as before
        return
    _get_local_constants()


def _import_pytest_modules(environment_plugins: bool) -> None:
    """pytest's own modules (and the environment's plugins), imported once here rather
    than in each child."""
    import importlib
    import pkgutil
    from importlib import metadata

    import _pytest  # lazy: the imports are this function's whole job

    for info in pkgutil.iter_modules(_pytest.__path__, "_pytest."):
        try:
            importlib.import_module(info.name)
        except Exception:  # noqa: BLE001 - an optional part of pytest: the child imports it
            pass
    if not environment_plugins:
        return
    for entry in metadata.entry_points(group="pytest11"):
        try:
            importlib.import_module(entry.module)
        except Exception:  # noqa: BLE001 - a broken plugin breaks the child as it would check
            pass
