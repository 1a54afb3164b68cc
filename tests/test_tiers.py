"""The suite's tiers (tests/tiers.py): who runs where, batches that follow a selection,
rerun lines, and the last-failed list."""

import importlib
from types import SimpleNamespace

import pytest

import tiers
from conftest import RERUN_ENV, rerun_command


class FakeItem:
    def __init__(self, nodeid, markers=(), param=None, module=None):
        self.nodeid, self._markers, self.module = nodeid, set(markers), module
        if param is not None:
            self.callspec = SimpleNamespace(id=param)

    def get_closest_marker(self, name):
        return name if name in self._markers else None


MUTANTS_01 = f"tests/test_mutants_01_cnn.py::{tiers.MUTANT_TEST}"


def test_new_files_are_quick_unless_marked():
    assert not tiers.is_full_tier(FakeItem("tests/test_new.py::test_x"))
    assert tiers.is_full_tier(FakeItem("tests/test_new.py::test_x", ["full_tier"]))
    assert tiers.is_full_tier(FakeItem("tests/test_new.py::test_x", ["slow"]))
    assert tiers.is_full_tier(FakeItem("tests/test_slurm.py::test_anything"))
    assert not tiers.is_full_tier(FakeItem("tests/test_hostile_submissions.py::test_x", ["slow"]))


def test_only_the_declared_representatives_of_a_suite_are_quick():
    assert not tiers.is_full_tier(FakeItem(f"{MUTANTS_01}[relu_missing]", param="relu_missing"))
    assert tiers.is_full_tier(FakeItem(f"{MUTANTS_01}[mlp_relu_missing]",
                                       param="mlp_relu_missing"))


@pytest.mark.parametrize("file", [f for f in tiers.SHARED_BATCHES if "mutants" in f])
def test_every_exercise_with_mutants_has_exactly_one_representative(file):
    module = importlib.import_module(file.removesuffix(".py").replace("/", ".").split(".", 1)[1])
    chosen = tiers.REPRESENTATIVES[f"{file}::{tiers.MUTANT_TEST}"]
    by_file = {}
    for mutant in module.MUTANTS:
        by_file.setdefault(mutant.file, set()).add(mutant.id)
    counts = {f: len(ids & chosen) for f, ids in by_file.items()}
    assert set(counts.values()) == {1}, f"{file}: representatives per exercise file: {counts}"


def test_a_batch_keeps_the_selected_cases_and_those_other_tests_read(monkeypatch):
    module = SimpleNamespace(MUTANTS=[SimpleNamespace(id=i) for i in "abc"],
                             CASES={"x": 1, "y": 2, "kept": 3})
    monkeypatch.setitem(tiers.SHARED_BATCHES, "tests/m.py", ("MUTANTS", "test_m", set()))
    monkeypatch.setitem(tiers.SHARED_BATCHES, "tests/h.py", ("CASES", "test_h", {"kept"}))
    left = tiers.prune_batches([FakeItem("tests/m.py::test_m[b]", param="b", module=module),
                                FakeItem("tests/h.py::test_h[x]", param="x", module=module),
                                FakeItem("tests/h.py::test_other", module=module)])
    assert [m.id for m in module.MUTANTS] == ["b"] and sorted(module.CASES) == ["kept", "x"]
    assert left == {"tests/m.py": 1, "tests/h.py": 2}


def test_a_stale_representative_is_named():
    items = [FakeItem(f"{MUTANTS_01}[relu_missing]", param="relu_missing")]
    stale = tiers.check_declarations(items)
    assert f"{MUTANTS_01}[conv_k_not_k_squared]" in stale
    assert f"{MUTANTS_01}[relu_missing]" not in stale


def test_the_rerun_line_names_the_node_the_tier_and_the_environment(monkeypatch):
    for name in RERUN_ENV:  # hermetic: whatever the developer's shell has set
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CI", "true")
    monkeypatch.setenv("CNNKIT_MIRROR", "/data/my mirror")
    line = rerun_command("tests/test_slurm.py::test_x[a b]", full=True)
    assert line == ("CI=true CNNKIT_MIRROR='/data/my mirror' ./kit test --all "
                    "'tests/test_slurm.py::test_x[a b]'")


def test_the_last_failed_list_forgets_what_passed_since(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(tiers, "LAST_FAILED", tmp_path / "lf")
    tiers.save_last_failed({"t::a": False, "t::b": True}, set())
    tiers.save_last_failed({}, {"t::b"})
    assert tiers.load_last_failed() == {"t::a": False}
    tiers.main(["last-failed"])
    assert capsys.readouterr().out.split() == ["t::a"]
    tiers.save_last_failed({}, {"t::a"})
    assert not (tmp_path / "lf").exists()
