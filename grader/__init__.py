"""cnnkit: exercises, tests and an autograder for a lecture on deep CNNs.

Who each sub-package is for:

* ``testkit``  - what exercise tests import (students and grader alike);
* ``student``  - the student's loop: list, check, hint, watch, solution, figures;
* ``grading``  - the autograder: discover -> canary -> run/topic_run -> score -> report;
  ``grading.worker`` runs student code in a box, plugged into the trusted pytest by its
  own plugin;
* ``export``   - stubs, the student bundle, nbgrader notebooks (instructors);
* ``lab``      - data sets, pretrained weights, training plumbing and run settings;
* ``core``     - paths, manifest, languages, errors and records shared by all;
* ``cli``      - the ``cnnkit`` command: the students' commands; ``grading``, ``export``
  and ``dev`` add theirs (``subcommands.py``) where they are present.

The student bundle ships all but ``grading``, ``export`` and ``dev``, and nothing it ships
imports them (``tests/test_rooms.py``); the testkit reaches the worker only through
``testkit.isolation``, which the grader's plugin fills.
"""

__version__ = "0.2.0"
