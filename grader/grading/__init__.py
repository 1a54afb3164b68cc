"""The autograder, in the order a submission travels:
``discover`` -> ``sandbox`` (run isolated) -> ``score`` -> ``report``, driven per class by
``pipeline``; the defaults are in ``grader.core.limits``. Instructors only: not in the student bundle."""
