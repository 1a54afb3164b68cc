"""The bundled sample submissions stay in step with the solutions they are built from."""

import zipfile

from grader.core import manifest
from grader.core import paths


def test_complete_sample_is_the_current_solutions():
    with zipfile.ZipFile(paths.KIT_ROOT / "samples" / "submissions" / "alice.zip") as zf:
        shipped = {name: zf.read(name) for name in zf.namelist()}
    for topic in paths.topics():
        for name in manifest.load_topic(topic).files:
            key = f"exercises/{topic}/{name}"
            assert shipped.get(key) == (paths.solutions_dir() / topic / name).read_bytes(), (
                f"samples/submissions/alice.zip is stale at {key}: run python tools/build_samples.py")
