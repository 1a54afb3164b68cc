"""The autograder. Its top level is the path a submission travels: ``discover`` ->
``readiness`` and ``canary`` -> ``run/`` (the trusted pytest of one topic, the student's
code in ``worker/``, both on ``box/``) -> ``score`` -> ``training/`` (graded runs) ->
``records`` and ``term`` -> ``report`` -> ``classview/``, driven per class by ``pipeline``
(or ``slurm``); ``intake/`` reads what a submissions folder holds. The defaults are in
``grader.core.limits``. Instructors only: not in the student bundle."""
