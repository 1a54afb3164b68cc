"""Held-out evaluation sets for graded training: the trusted side's name for
``grader/lab/heldout_images.py`` (shipped too, so that a visible test can draw its own)."""

from grader.lab.heldout_images import (  # noqa: F401
                                       FILL, MAX_SHIFT, BadPredictions, HeldOut, build, cifar10, mnist, new_secret, offsets,
                                       random_shifts, score, shift)

__all__ = ["FILL", "MAX_SHIFT", "BadPredictions", "HeldOut", "build", "cifar10", "mnist",
           "new_secret", "offsets", "random_shifts", "score", "shift"]
