"""cnnkit: exercises, tests and an autograder for a lecture on deep CNNs.

The path a submission takes through the grader reads in file order:
``discover`` -> ``sandbox`` (run isolated) -> ``score`` -> ``report``.
"""

__version__ = "0.1.0"
