"""Loads the kit's pytest plugin for `pytest exercises/...`, or says how to get it.

The plugin needs the kit's environment (PyTorch and friends). With another Python, pytest
stops here with the command that works instead of a pile of import errors.
"""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

try:
    import torch  # noqa: F401  (the exercises need it; fail early and clearly)

    import grader  # noqa: F401
except ImportError as exc:
    raise pytest.UsageError(
        f"This Python ({sys.executable}) lacks what the kit needs ({exc}).\n"
        "Run the tests in the kit's environment:\n"
        "    ./kit test exercises/01_cnn\n"
        "or enter it first:  source .venv/bin/activate  then  pytest exercises/01_cnn\n"
        f"Python này ({sys.executable}) thiếu thư viện kit cần ({exc}).\n"
        "Hãy chạy trong môi trường của kit:  ./kit test exercises/01_cnn\n"
        "hoặc vào môi trường trước:  source .venv/bin/activate  rồi  pytest exercises/01_cnn"
    ) from None

pytest_plugins = ["grader.testkit.plugin"]
