"""The third-party noise the kit silences (``grader.core.quiet``), and only that."""

from __future__ import annotations

import logging
import warnings

from grader.core import quiet


def test_lightnings_srun_hint_leafspec_and_tips_are_silenced_and_nothing_else(caplog):
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        quiet.third_party()
        warnings.warn("The `srun` command is available on your system but is not used. HINT")
        warnings.warn("`isinstance(treespec, LeafSpec)` is deprecated, use ...", FutureWarning)
        warnings.warn("Slow code in plugin: avoid defining strategies at import time!")
        warnings.warn("the loss is NaN")
    assert [str(w.message) for w in seen] == ["the loss is NaN"]
    log = logging.getLogger("lightning.pytorch.utilities.rank_zero")
    with caplog.at_level(logging.INFO, logger=log.name):
        log.info("💡 Tip: For seamless cloud logging and experiment tracking, try ...")
        log.info("GPU available: False")
    assert [r.getMessage() for r in caplog.records] == ["GPU available: False"]
