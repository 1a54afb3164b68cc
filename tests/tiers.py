"""The two tiers of the kit's own suite, and the shared batches that follow a selection.

    ./kit test         the quick tier: what a contributor runs before every commit
    ./kit test --all   everything: what CI runs (.ci/run)

A test belongs to the all tier only when one of these rules says so; every other test,
a new test file included, is in the quick tier:

  1. it is marked ``full_tier`` (``@pytest.mark.full_tier``, or ``pytestmark`` in a file);
  2. its file is in FULL_FILES, or its test function in FULL_NODES;
  3. it is marked ``slow``, and neither its file nor its function is in QUICK_DESPITE_SLOW;
  4. it is a case of a parametrized suite named in REPRESENTATIVES, and not one of the
     cases listed there.

SHARED_BATCHES names the suites whose cases one module fixture runs together (every
mutant of a topic in one go, every hostile submission graded in one batch). After the
selection (tier, ``-k``, node ids), the batch is cut down to the selected cases plus those
other tests read, so that running one case alone costs one case.

Run as a script, it prints the arguments that rerun the last failures (``./kit test
--last-failed`` uses it).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

LAST_FAILED = Path(__file__).resolve().parent.parent / ".cnnkit-lastfailed"

# Rule 2: whole files, and single test functions ("file::function"), that are all tier.
FULL_FILES = {
    "tests/test_slurm.py",            # a real Slurm cluster grades the samples twice
    "tests/test_fresh_machine.py",    # ./kit demo and ./kit test on a bare machine
    "tests/test_nbgrader.py",         # nbgrader generates, releases and autogrades
    "tests/test_worker_verdicts.py",  # every topic's tests in both modes, compared
    "tests/test_graded_training.py",  # the transfer training reaches its threshold
}
FULL_NODES = {
    # each group runs a whole topic's tests; the quick tier keeps the lecture-style
    # submission of each topic (test_lecture_style_submission_passes_every_test)
    "tests/test_equivalents.py::test_equivalent_answers_pass_every_test",
    # one pytest run of naive_conv's tests per style; the quick tier's
    # tests/test_naive_conv_rule.py checks the same styles in-process
    "tests/test_equivalents.py::test_an_honest_naive_conv_passes_every_naive_conv_test_unflagged",
    # two boxed 02_training runs; the quick tier's pinned table and built-in convolution
    # already prove that only the trusted side's checks earn points
    "tests/test_hostile_submissions.py::test_forged_probes_earn_nothing_and_the_honest_model_everything",
    # grades a class three times; the hostile batch's re-run already proves that a sealed
    # record is not graded again
    "tests/test_grader_units.py::test_rerun_skips_graded_students_unless_forced",
    # two fake GPUs leased at once: the device queue, not a guarantee of the verdict
    "tests/test_graded_grading.py::test_two_fake_gpus_take_two_runs_at_once_judged_by_gpu_thresholds",
}

# Rule 3's exceptions: marked slow, yet part of the quick tier (their cost is cut by
# REPRESENTATIVES and SHARED_BATCHES below).
QUICK_DESPITE_SLOW = {
    "tests/test_hostile_submissions.py",
    "tests/test_bundle.py",  # the release bundle works on its own (where that file exists)
}

# Rule 4: the cases of a parametrized suite that stay in the quick tier, by pytest id.
MUTANT_TEST = "test_mutant_is_caught"
REPRESENTATIVES = {
    # one mutant per exercise file, the most telling one
    f"tests/test_mutants_01_cnn.py::{MUTANT_TEST}": {
        "conv_k_not_k_squared",          # params.py
        "naive_conv_padding_ignored",    # naive_conv.py
        "relu_missing",                  # models.py
        "feature_maps_keep_gradients",   # feature_maps.py
    },
    f"tests/test_mutants_02_training.py::{MUTANT_TEST}": {
        "maxpool_dropped",               # cnn.py
        "split_unseeded",                # datamodule.py
        "flip_probability_0_5",          # augmentation.py
        "eval_mode_missing",             # lightning_model.py
        "learning_rate_tiny",            # train.py
        "rotation_missing",              # overfitting.py
    },
    f"tests/test_mutants_03_transfer.py::{MUTANT_TEST}": {
        "head_replaced_before_freezing",  # transfer.py
        "preprocessing_on_train_only",    # train.py
        "valid_augmented",                # datamodule.py
    },
    # one hostile submission per guarantee; fork_bomb, disk_hog, forged_results,
    # builtin_convolution and computed_name_review are graded anyway (see SHARED_BATCHES):
    # their cases cost nothing more
    "tests/test_hostile_submissions.py::test_bad_submission_is_graded_with_a_reason": {
        "syntax_error",      # broken code is a failure with its reason
        "infinite_loop",     # the time limit
        "memory_bomb",       # the memory limit
        "os_exit",           # a session that ends early
        "forged_results",    # a forged results file
        "network",           # no network
        "flood_output",      # output is capped
        "fork_bomb",         # process cap
        "disk_hog",          # scratch cap
    },
    # points only for what the trusted side verified: one pinned table, one built-in
    # convolution named in the source, one seen only by the watch in the worker (the rest
    # of ZEROED are the all tier's)
    "tests/test_hostile_submissions.py::test_what_the_trusted_side_did_not_verify_earns_nothing": {
        "pinned_table", "builtin_convolution", "computed_name_convolution",
    },
    # `watch` with file events; polling is the same loop with another trigger
    "tests/test_cli.py::test_watch_reruns_on_save_and_stops_on_ctrl_c": {"events"},
    # one `check --lang vi` (of 01_cnn, the cheapest topic; topics 02 and 03 are the all
    # tier's: about 60 s of the quick tier's CPU time)
    "tests/test_vietnamese_only.py::test_check_in_vietnamese_has_no_english_sentence": {
        "cnn_counts_and_table",
    },
}

# Module attribute a shared fixture runs, the parametrized test (or tests) whose ids select
# its cases, and the cases other tests of the file read (kept whenever the file runs at all).
SHARED_BATCHES = {
    "tests/test_mutants_01_cnn.py": ("MUTANTS", MUTANT_TEST, set()),
    "tests/test_mutants_02_training.py": ("MUTANTS", MUTANT_TEST, set()),
    "tests/test_mutants_03_transfer.py": ("MUTANTS", MUTANT_TEST, set()),
    "tests/test_hostile_submissions.py": (
        "CASES", ("test_bad_submission_is_graded_with_a_reason",
                  "test_what_the_trusted_side_did_not_verify_earns_nothing"),
        {"fork_bomb", "disk_hog", "forged_results", "builtin_convolution",
         "computed_name_review"}),  # read by test_what_the_rule_cannot_decide_...
    "tests/test_vietnamese_only.py": (
        "SUBMISSIONS", "test_check_in_vietnamese_has_no_english_sentence", set()),
}


def _file_and_function(nodeid: str) -> tuple[str, str]:
    file, _, rest = nodeid.partition("::")
    return file, rest.split("[")[0]


def _param_id(item) -> str | None:
    spec = getattr(item, "callspec", None)
    return spec.id if spec is not None else None


def is_full_tier(item) -> bool:
    """True when ``item`` runs only in the all tier (the rules in this module's docstring)."""
    if item.get_closest_marker("full_tier"):
        return True
    file, function = _file_and_function(item.nodeid)
    node = f"{file}::{function}"
    if file in FULL_FILES or node in FULL_NODES:
        return True
    if item.get_closest_marker("slow") and not (file in QUICK_DESPITE_SLOW
                                                 or node in QUICK_DESPITE_SLOW):
        return True
    chosen = REPRESENTATIVES.get(node)
    return chosen is not None and _param_id(item) not in chosen


def check_declarations(items) -> list[str]:
    """Names in this module that no collected test has any more (a renamed mutant, say)."""
    seen: dict[str, set] = {}
    for item in items:
        file, function = _file_and_function(item.nodeid)
        seen.setdefault(f"{file}::{function}", set()).add(_param_id(item))
    problems = []
    for node, chosen in REPRESENTATIVES.items():
        if node in seen:
            problems += [f"{node}[{case}]" for case in sorted(chosen - seen[node])]
    return problems


def _case_key(case, container) -> str:
    return case if isinstance(container, dict) else case.id


def prune_batches(items) -> dict[str, int]:
    """Cut each shared batch down to its selected cases; {file: cases left}."""
    selected: dict[str, set] = {}
    modules = {}
    for item in items:
        file, function = _file_and_function(item.nodeid)
        if file not in SHARED_BATCHES:
            continue
        modules[file] = item.module
        attr, test, always = SHARED_BATCHES[file]
        cases = selected.setdefault(file, set(always))
        if function in ((test,) if isinstance(test, str) else test):
            cases.add(_param_id(item))
    left = {}
    for file, cases in selected.items():
        container = getattr(modules[file], SHARED_BATCHES[file][0], None)
        if not isinstance(container, (list, dict)):
            raise LookupError(f"tests/tiers.py: SHARED_BATCHES names {file}'s "
                              f"{SHARED_BATCHES[file][0]}, which is no list or dict there")
        if isinstance(container, dict):
            for key in [k for k in container if k not in cases]:
                del container[key]
        else:
            container[:] = [c for c in container if _case_key(c, container) in cases]
        left[file] = len(container)
    return left


# --- the kit's own last-failed list (pytest's cache is off in this kit) -------------------

def load_last_failed() -> dict[str, bool]:
    """{node id: needs the all tier} of the tests that failed when they last ran."""
    try:
        return json.loads(LAST_FAILED.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def save_last_failed(failed: dict[str, bool], passed: set[str]) -> None:
    kept = {k: v for k, v in load_last_failed().items() if k not in passed}
    kept.update(failed)
    if kept:
        LAST_FAILED.write_text(json.dumps(kept, indent=1, sort_keys=True), encoding="utf-8")
    elif LAST_FAILED.exists():
        LAST_FAILED.unlink()


def main(argv: list[str]) -> int:
    if argv[:1] == ["last-failed"]:
        failed = load_last_failed()
        if any(failed.values()):
            print("--all")
        for nodeid in sorted(failed):
            print(nodeid)
        return 0
    print("usage: python tests/tiers.py last-failed", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
