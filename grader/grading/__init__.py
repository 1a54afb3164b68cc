"""The autograder, in the order a submission travels:
``discover`` -> ``readiness`` and ``canary`` -> ``isolated_run`` (the trusted pytest, the
worker in a ``box``) -> ``score`` -> ``report`` -> ``classview``, driven per class by
``pipeline``; the defaults are in ``grader.core.limits``. Instructors only: not in the
student bundle."""
