"""Screenshots of the notebooks a student receives, as a browser shows them.

Exports the nbgrader course, runs `nbgrader generate_assignment` (the student's copy),
renders each with `jupyter nbconvert --to html`, and photographs the page with headless
Chromium (Debian's `chromium`). Writes docs/notebook_NN_topic.png.

    python tools/notebook_screenshots.py [--out docs] [--height 5200]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from grader.core import paths
from grader.export import nbgrader as nbgrader_export


def screenshot(html: Path, png: Path, width: int, height: int) -> Path:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        raise SystemExit("needs Chromium: apt-get install -y chromium")
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    f"--window-size={width},{height}", f"--screenshot={png}", html.as_uri()],
                   check=True, capture_output=True, timeout=180)
    return png


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(paths.KIT_ROOT / "docs"))
    parser.add_argument("--width", type=int, default=1100)
    parser.add_argument("--height", type=int, default=5200)
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        course = Path(tmp) / "course"
        for nb in nbgrader_export.export(course):
            topic = nb.parent.name
            nbgrader_export.nbgrader(course, "generate_assignment", topic, "--force")
            released = course / "release" / topic / f"{topic}.ipynb"
            subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "html",
                            str(released)], check=True, capture_output=True, timeout=300)
            png = screenshot(released.with_suffix(".html"), out / f"notebook_{topic}.png",
                             args.width, args.height)
            print(f"wrote {png}")


if __name__ == "__main__":
    main()
