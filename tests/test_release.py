"""The student bundle: stubs fail as they should, and no solution text is inside."""

import os
import subprocess
import sys

from grader.export import release


def test_bundle_has_no_solutions_and_stubs_fail(tmp_path):
    bundle = release.build(tmp_path / "bundle")
    assert len(release.secret_lines()) > 50, "the solution-text search has too little to find"
    assert release.leaks(bundle) == []
    env = {**os.environ, "PYTHONPATH": str(bundle), "MPLBACKEND": "Agg"}
    proc = subprocess.run([sys.executable, "-m", "pytest", "exercises/01_cnn", "-q",
                           "-p", "no:cacheprovider"], cwd=bundle, env=env,
                          capture_output=True, text=True, timeout=300)
    last = proc.stdout.strip().splitlines()[-1]
    assert "failed" in last and "passed" not in last and "error" not in last, proc.stdout[-3000:]
    assert proc.returncode == 1, proc.stdout[-2000:]


def test_leak_search_finds_planted_solution(tmp_path):
    bundle = release.build(tmp_path / "bundle")
    secret = sorted(release.secret_lines())[0]
    (bundle / "exercises" / "01_cnn" / "notes.md").write_text(f"copied: \n{secret}\n")
    assert any("notes.md" in leak for leak in release.leaks(bundle))
