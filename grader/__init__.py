"""cnnkit: exercises, tests and an autograder for a lecture on deep CNNs.

Who each sub-package is for:

* ``testkit``  - what exercise tests import (students and grader alike);
* ``student``  - the student's loop: list, check, hint, watch, solution, figures;
* ``grading``  - the autograder: discover -> sandbox -> score -> report;
* ``export``   - stubs, the student bundle, nbgrader notebooks (instructors);
* ``course``   - data sets, pretrained weights and training plumbing;
* ``core``     - paths, manifest, languages, errors and records shared by all;
* ``cli``      - the ``cnnkit`` command.
"""

__version__ = "0.2.0"
