"""Running Python inside a student bundle, as a student's machine would: the bundle's own
``grader/`` first on the path, nothing of the kit's checkout."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from grader.core import paths

# The kit's venv has the kit installed in editable mode: its import finder serves any
# ``grader.X`` that the bundle lacks from the kit's checkout (``grader.grading`` would
# import). A student's own install has no such finder; the runs here drop it first.
ALONE = ("import sys; sys.meta_path[:] = [f for f in sys.meta_path if not "
         "getattr(f, '__module__', '').startswith('__editable__')]; "
         "sys.path_hooks[:] = [h for h in sys.path_hooks if not "
         "getattr(h, '__module__', '').startswith('__editable__')]; "
         "sys.path_importer_cache.clear(); ")
# pytest with the bundle's grader; it prints which grader that was.
RUN = ALONE + ("import grader, pytest; print('GRADER_AT', grader.__file__, flush=True); "
               "sys.exit(pytest.main(sys.argv[1:]))")
CLI = ALONE + "import runpy; runpy.run_module('grader', run_name='__main__', alter_sys=True)"


def bundle_env(bundle: Path) -> dict[str, str]:
    """The bundle's own folder on the path and nothing of the kit's checkout; the data
    from the kit's data folders (the bundle has none)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    kit = str(paths.KIT_ROOT)
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep)
                                  if not p.startswith(kit))
    env.update(PYTHONPATH=str(bundle), MPLBACKEND="Agg", CNNKIT_LANG="en",
               CNNKIT_DATA=str(paths.data_root()), CNNKIT_MIRROR=str(paths.shared_mirror()),
               PYTHONDONTWRITEBYTECODE="1")
    return env


def in_bundle(bundle: Path, *args: str, timeout: float = 1200) -> subprocess.CompletedProcess:
    """``python ARGS`` in the bundle, with the kit's environment (its venv's Python)."""
    return subprocess.run([sys.executable, *args], cwd=bundle, env=bundle_env(bundle),
                          capture_output=True, text=True, timeout=timeout)
