"""The report page in a real browser: every image loads, nothing errs, nothing hostile runs,
and a student's feedback page opens from the report's table of students (the link the
browser itself reads from the page is followed).

Headless Chromium (Debian's ``chromium``) loads a copy of the page with a small checker
script at the top of <head>: it records console errors, failed loads, script errors and
any call to alert(), and on load writes what it saw, with each image's load state, into
the DOM, which ``--dump-dom`` prints. A screenshot is taken too.

Set CNNKIT_REPORT_DEMO=DIR to check a graded class's folder (e.g. one made with
``./kit grade samples/submissions --out DIR``; CNNKIT_REPORT_SUBMISSIONS=samples/submissions
for its similar pairs) instead of the synthetic class, and
CNNKIT_SAVE_SCREENSHOT=1 to keep the screenshot as docs/report.png.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from grader.grading.classview.class_report import write_report
from test_classview import CODE, RENAMED_REORDERED, build_class

KIT = Path(__file__).resolve().parents[1]

CHECKER = """<script>
(function () {
  var seen = {errors: [], alerts: 0};
  var original = console.error;
  console.error = function () {
    seen.errors.push(Array.prototype.join.call(arguments, ' '));
    return original.apply(console, arguments);
  };
  window.alert = function () { seen.alerts += 1; };
  window.addEventListener('error', function (e) {
    var t = e.target || {};
    seen.errors.push(e.message || ('failed to load ' + (t.src || t.href || t.tagName)));
  }, true);
  window.addEventListener('load', function () {
    var images = Array.prototype.slice.call(document.images);
    seen.links = Array.prototype.slice.call(document.querySelectorAll('#students a'))
                      .map(function (a) { return [a.textContent, a.href]; });
    seen.title = document.title;
    seen.headings = Array.prototype.slice.call(document.querySelectorAll('h1, h2'))
                         .map(function (h) { return h.textContent; });
    seen.images = images.length;
    seen.broken = images.filter(function (i) { return !(i.complete && i.naturalWidth > 0); })
                        .map(function (i) { return i.alt || i.src.slice(0, 40); });
    var out = document.createElement('pre');
    out.id = 'cnnkit-check';
    out.textContent = JSON.stringify(seen);
    document.body.appendChild(out);
  });
})();
</script>"""


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but chromium is missing (apt-get install -y chromium)")
        pytest.skip("no chromium here (as root: apt-get install -y chromium)")
    return found


def browse(browser: str, page: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--no-first-run", "--disable-extensions", "--enable-logging=stderr", "--v=0",
         *extra, page.resolve().as_uri()],
        capture_output=True, text=True, timeout=90)


def checked(browser: str, page: Path, scratch: Path) -> dict:
    """What the checker saw when the browser loaded ``page`` (a copy beside it, so that
    relative links still resolve)."""
    text = page.read_text(encoding="utf-8")
    copy = page.with_name(f".checked-{page.name}")
    copy.write_text(text.replace("<head>", "<head>" + CHECKER, 1), encoding="utf-8")
    try:
        run = browse(browser, copy, "--dump-dom", "--virtual-time-budget=10000")
    finally:
        copy.unlink()
    found = re.search(r'<pre id="cnnkit-check">(.*?)</pre>', run.stdout, re.S)
    assert found, f"the page never finished loading:\n{run.stderr[-2000:]}"
    seen = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&")
                      .replace("&lt;", "<").replace("&gt;", ">"))
    seen["console"] = [ln for ln in run.stderr.splitlines()
                       if "CONSOLE" in ln and ("Uncaught" in ln or ":ERROR:" in ln)]
    return seen


@pytest.fixture
def graded(tmp_path) -> tuple[Path, Path | None]:
    demo = os.environ.get("CNNKIT_REPORT_DEMO")
    if demo:
        subs = os.environ.get("CNNKIT_REPORT_SUBMISSIONS")
        return Path(demo), Path(subs) if subs else None
    out = build_class(tmp_path / "graded")
    subs = tmp_path / "subs"
    for sid, code in (("an", CODE), ("binh", RENAMED_REORDERED)):
        (subs / sid / "01_cnn").mkdir(parents=True)
        (subs / sid / "01_cnn" / "params.py").write_text(code + "\n# </pre><script>alert(1)</script>\n")
    return out, subs


def test_report_renders_in_chromium(graded, tmp_path):
    browser = chromium()
    out, subs = graded
    page = write_report(out, "en", submissions=subs) if subs else write_report(out, "en")
    seen = checked(browser, page, tmp_path)
    assert seen["images"] >= 5, seen
    assert seen["broken"] == [], seen
    assert seen["errors"] == [] and seen["console"] == [], seen
    assert seen["alerts"] == 0, "a student-provided string ran as a script"
    for pair in sorted((out / "similar").glob("*.html"))[:3]:
        other = checked(browser, pair, tmp_path)
        assert other["errors"] == [] and other["alerts"] == 0, (pair.name, other)
    assert len(seen["links"]) == len(list((out / "students").glob("*/results.json"))), seen
    name, href = seen["links"][-1]  # the browser's own reading of the table's last link
    feedback = Path(unquote(urlparse(href).path))
    assert feedback.is_file() and feedback.parent.parent == (out / "students").resolve(), href
    shown = checked(browser, feedback, tmp_path)
    assert shown["errors"] == [] and shown["console"] == [] and shown["broken"] == [], shown
    assert shown["alerts"] == 0, "a student-provided string ran as a script in feedback.html"
    assert shown["headings"][0] == f"Feedback for {name}", (name, shown["headings"])
    shot = tmp_path / "report.png"
    browse(browser, page, f"--screenshot={shot}", "--window-size=1280,2200")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    if os.environ.get("CNNKIT_SAVE_SCREENSHOT"):
        shutil.copyfile(shot, KIT / "docs" / "report.png")
