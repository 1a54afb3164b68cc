"""Wall time of `pytest exercises/01_cnn` on the solutions, and of `cnnkit check 01_cnn`,
beside the floor `python -c "import torch, torchvision"` (budget: 15 s; check <= 1.5x pytest)."""

import sys

from _timing import table, wall

py = sys.executable
floor = wall([py, "-c", "import torch, torchvision"], repeat=3)
tests = wall([py, "-m", "pytest", "exercises/01_cnn", "--target=solutions", "-q"], repeat=3)
check = wall([py, "-m", "grader", "check", "01_cnn", "--target", "solutions"], repeat=3)
print("topic 01_cnn on this machine (best of 3):")
table([("import torch, torchvision (floor)", f"{floor:.2f} s"),
       ("pytest exercises/01_cnn --target=solutions", f"{tests:.2f} s  (budget 15 s)"),
       ("cnnkit check 01_cnn --target solutions", f"{check:.2f} s"),
       ("check / pytest", f"{check / tests:.2f}x  (aim <= 1.5x)")])
