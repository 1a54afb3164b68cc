"""The student bundle: stubs fail as they should, and no solution text is inside."""

from support.bundle import RUN, in_bundle

from grader.export import release


def test_bundle_has_no_solutions_and_stubs_fail(tmp_path):
    bundle = release.build(tmp_path / "bundle")
    assert len(release.secret_lines()) > 50, "the solution-text search has too little to find"
    assert release.leaks(bundle) == []
    assert release.solution_lines_in_tests(bundle) == [], "the visible tests hold reference code"
    for name in ("_ReferenceConvs", "_ReferenceClassifier", "class _Reference", "T.Compose("):
        holders = [p.name for p in (bundle / "exercises").rglob("test_*.py")
                   if name in p.read_text(encoding="utf-8")]
        assert not holders, f"{name} is in the bundle's tests {holders}"
    proc = in_bundle(bundle, "-c", RUN, "exercises/01_cnn", "-q", "-p", "no:cacheprovider",
                     timeout=300)
    assert f"GRADER_AT {bundle}" in proc.stdout, proc.stdout[:2000]
    last = proc.stdout.strip().splitlines()[-1]
    assert "failed" in last and "passed" not in last and "error" not in last, proc.stdout[-3000:]
    assert proc.returncode == 1, proc.stdout[-2000:]


def test_leak_search_finds_planted_solution(tmp_path):
    bundle = release.build(tmp_path / "bundle")
    secret = sorted(release.secret_lines())[0]
    (bundle / "exercises" / "01_cnn" / "notes.md").write_text(f"copied: \n{secret}\n")
    assert any("notes.md" in leak for leak in release.leaks(bundle))


def test_solution_line_search_finds_reference_code_in_a_test(tmp_path):
    bundle = release.build(tmp_path / "bundle")
    test = bundle / "exercises" / "01_cnn" / "test_models.py"
    test.write_text(test.read_text() + "\n        self.conv2 = nn.Conv2d(4, 8, kernel_size=3, "
                    "stride=1, padding=1)\n")
    assert any("test_models.py" in hit for hit in release.solution_lines_in_tests(bundle))
