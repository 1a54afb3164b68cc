"""Third-party warnings and tips that say nothing to a student or an operator, silenced
where the kit starts Lightning, hypothesis and nbgrader (``third_party``)."""

from __future__ import annotations

import logging
import warnings

# (message pattern, category name): Lightning's srun hint (the kit never runs under srun
# by itself), torch's LeafSpec deprecation (inside Lightning), hypothesis's note on the
# kit's strategies built at import time.
_WARNINGS = (
    (r"The `srun` command is available on your system but is not used", None),
    (r"`isinstance\(treespec, LeafSpec\)` is deprecated", FutureWarning),
    (r"Slow code in plugin: avoid", None),
)
# Lightning's advertisements, logged at INFO on its rank-zero logger.
_TIPS = ("Tip: For seamless cloud",)
_LOGGERS = ("lightning.pytorch.utilities.rank_zero", "lightning.fabric.utilities.rank_zero",
            "lightning_utilities.core.rank_zero")


class _NoTips(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        text = str(record.msg)
        return not any(tip in text for tip in _TIPS)


def third_party() -> None:
    """Silence the noise above in this process (idempotent)."""
    for pattern, category in _WARNINGS:
        warnings.filterwarnings("ignore", message=pattern, category=category or Warning)
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, _NoTips) for f in logger.filters):
            logger.addFilter(_NoTips())
