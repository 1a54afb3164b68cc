"""Wall time of `pytest exercises/01_cnn` on the solutions, and of `cnnkit check 01_cnn`,
beside the floor `python -c "import torch, torchvision"` (budget: 15 s; check <= 1.2x pytest).

    python benchmarks/bench_01_tests.py [--json FILE]"""

import json
import sys
from pathlib import Path

from _timing import table, wall

py = sys.executable
floor = wall([py, "-c", "import torch, torchvision"], repeat=3)
tests = wall([py, "-m", "pytest", "exercises/01_cnn", "--target=solutions", "-q"], repeat=3)
check = wall([py, "-m", "grader", "check", "01_cnn", "--target", "solutions"], repeat=3)
print("topic 01_cnn on this machine (best of 3):")
table([("import torch, torchvision (floor)", f"{floor:.2f} s"),
       ("pytest exercises/01_cnn --target=solutions", f"{tests:.2f} s  (budget 15 s)"),
       ("cnnkit check 01_cnn --target solutions", f"{check:.2f} s"),
       ("check / pytest", f"{check / tests:.2f}x  (aim <= 1.2x)")])
if len(sys.argv) > 2 and sys.argv[1] == "--json":
    Path(sys.argv[2]).write_text(json.dumps({"floor_s": floor, "pytest_s": tests,
                                             "check_s": check}, indent=1))
