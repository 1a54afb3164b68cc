"""Fixtures of the kit's own suite, and its tiers (see tests/tiers.py).

* ``--all``: the all tier; without it the quick tier runs (``./kit test``);
* ``--cnnkit-times=FILE``: each test file's seconds, as JSON (tools/test_times.py; with
  ``=``: a path given apart that exists would make pytest look for its settings there);
* each failure ends with the command that reruns it alone, and the failures are kept in
  ``.cnnkit-lastfailed`` for ``./kit test --last-failed``.
"""

import json
import os
import shlex
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # the suite's helpers: `from support import ...`

import tiers  # noqa: E402

from grader.core import paths  # noqa: E402
from grader.core.i18n import pick  # noqa: E402

# What a rerun needs from the environment, when it is set.
RERUN_ENV = ("CI", "CNNKIT_MIRROR", "CNNKIT_DATA", "CNNKIT_OFFLINE", "CNNKIT_LANG",
             "CNNKIT_TEST_TIMEOUT")
QUICK_GOAL_S = 8 * 60  # the quick tier's budget on a 2-core machine, cold
_STATE: dict = {}


@pytest.fixture(scope="session")
def data_mirror():
    """The offline data mirror; a missing mirror is an error on CI, a skip elsewhere."""
    mirror = paths.shared_mirror()
    if not (mirror / "MNIST").is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but the data mirror is missing at {mirror}")
        pytest.skip(f"no data mirror at {mirror}")
    return mirror


@pytest.fixture(scope="session")
def stub_run(tmp_path_factory):
    """``stub_run(topic)``: the topic's visible and hidden tests run on fresh stubs, once a
    session: (the stubs' root folder, the run's outcome). test_targets and test_stubs both
    read it."""
    from grader.core.runner import run_tests
    from grader.export import stubgen

    done = {}

    def run(topic):
        if topic not in done:
            root = tmp_path_factory.mktemp(f"stubs-{topic}")
            stubgen.generate_topic(topic, root)
            hidden = paths.hidden_tests_dir() / topic
            tests = [paths.exercises_dir() / topic] + ([hidden] if hidden.is_dir() else [])
            done[topic] = root, run_tests(tests, target=str(root), timeout=900)
        return done[topic]

    return run


# --- tiers -----------------------------------------------------------------------------------

def pytest_addoption(parser):
    group = parser.getgroup("cnnkit-suite", "the kit's own suite")
    group.addoption("--all", action="store_true", dest="cnnkit_all",
                    help="run the all tier (every mutant, hostile case, Slurm, fresh machine); "
                         "without it, the quick tier")
    group.addoption("--cnnkit-times", default=None, metavar="JSON",
                    help="write each test file's seconds here (tools/test_times.py)")


def pytest_configure(config):
    config.addinivalue_line("markers", "full_tier: runs only in the all tier (./kit test --all)")
    config._cnnkit_suite = {"start": time.monotonic(), "full": set(), "files": {},
                            "counts": {}, "durations": {}, "failed": set(), "passed": set(),
                            "deselected": 0}
    _STATE["suite"] = config._cnnkit_suite


def _tier(config) -> str:
    return "all" if config.getoption("cnnkit_all") else "quick"


@pytest.hookimpl(hookwrapper=True)
def pytest_collection_modifyitems(session, config, items):
    """Before -k, -m and --deselect: every collected test, to check tiers.py against; after
    them: the tier's selection, and the shared batches cut down to it."""
    state = config._cnnkit_suite
    state["full"] = {item.nodeid for item in items if tiers.is_full_tier(item)}
    if not any("::" in arg for arg in config.args):  # node ids collect only part of a file
        stale = tiers.check_declarations(items)
        if stale:
            raise pytest.UsageError("tests/tiers.py names tests that no longer exist: "
                                    + ", ".join(stale))
    yield
    if _tier(config) == "quick":
        dropped = [item for item in items if item.nodeid in state["full"]]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
            items[:] = [item for item in items if item.nodeid not in state["full"]]
            state["deselected"] = len(dropped)
    try:
        tiers.prune_batches(items)
    except LookupError as exc:
        raise pytest.UsageError(str(exc)) from None


# --- times, failures and how to rerun them -------------------------------------------------

def pytest_runtest_logreport(report):
    """Every report, as it is final (after the plugin turned missing data into a skip)."""
    state = _STATE.get("suite")
    if state is None:
        return
    file = report.nodeid.split("::")[0]
    state["files"][file] = state["files"].get(file, 0.0) + report.duration
    state["durations"][report.nodeid] = state["durations"].get(report.nodeid, 0.0) + \
        report.duration
    if report.when == "call":
        state["counts"][file] = state["counts"].get(file, 0) + 1
    if report.failed:
        state["failed"].add(report.nodeid)
    elif report.when == "call" and report.passed:
        state["passed"].add(report.nodeid)


# With pytest-xdist, the workers collect and select; the controller hears their reports and,
# when each worker ends, what it selected (below), so the summary reads the same.
def _is_xdist_worker(config) -> bool:
    return hasattr(config, "workerinput")


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    state = _STATE.get("suite")
    out = getattr(node, "workeroutput", None) or {}
    if state is not None and "cnnkit_full" in out:
        state["full"].update(out["cnnkit_full"])
        state["deselected"] = max(state["deselected"], out["cnnkit_deselected"])


def _failed_with_tier(state) -> dict[str, bool]:
    """{failed node id: it belongs to the all tier}."""
    failed = {nodeid: nodeid in state["full"] for nodeid in state["failed"]}
    failed.update({nodeid: False for nodeid in _failed_collections})
    return failed


def pytest_collectreport(report):
    if report.failed and report.nodeid:
        _failed_collections.add(report.nodeid)


_failed_collections: set[str] = set()


def rerun_command(nodeid: str, full: bool) -> str:
    env = [f"{name}={shlex.quote(os.environ[name])}" for name in RERUN_ENV
           if os.environ.get(name)]
    return " ".join([*env, "./kit test", *(["--all"] if full else []), shlex.quote(nodeid)])


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    state = config._cnnkit_suite
    if config.option.collectonly:
        return
    failed = _failed_with_tier(state)
    write = terminalreporter.write_line
    if failed:
        terminalreporter.section(pick({"en": "cnnkit: rerun a failure alone",
                                       "vi": "cnnkit: chạy lại riêng một lỗi"}), sep="-")
        for nodeid, full in sorted(failed.items()):
            write(rerun_command(nodeid, full))
        write(pick({"en": "or all of them: ./kit test --last-failed",
                    "vi": "hoặc tất cả: ./kit test --last-failed"}))
    elapsed = time.monotonic() - state["start"]
    tier = _tier(config)
    line = pick({"en": f"cnnkit: {tier} tier took {elapsed:.0f} s",
                 "vi": f"cnnkit: tầng {tier} mất {elapsed:.0f} giây"})
    if tier == "quick":
        line += pick({"en": f" (goal: {QUICK_GOAL_S} s on 2 cores); {state['deselected']} "
                            f"test(s) left to the all tier: ./kit test --all",
                      "vi": f" (mục tiêu: {QUICK_GOAL_S} giây trên 2 lõi); {state['deselected']} "
                            f"bài kiểm tra dành cho tầng all: ./kit test --all"})
    write(line)


def pytest_sessionfinish(session, exitstatus):
    config = session.config
    state = getattr(config, "_cnnkit_suite", None)
    if state is None or config.option.collectonly:
        return
    if _is_xdist_worker(config):  # the controller writes the lists and the times
        config.workeroutput["cnnkit_full"] = sorted(state["full"])
        config.workeroutput["cnnkit_deselected"] = state["deselected"]
        return
    failed = _failed_with_tier(state)
    tiers.save_last_failed(failed, state["passed"] - set(failed))
    split: dict[str, float] = {}
    for nodeid, seconds in state["durations"].items():
        tier = "all_only" if nodeid in state["full"] else "quick"
        split[tier] = split.get(tier, 0.0) + seconds
    target = config.getoption("cnnkit_times")
    if target:
        Path(target).write_text(json.dumps({
            "tier": _tier(config),
            "wall_s": round(time.monotonic() - state["start"], 1),
            "load_avg": os.getloadavg()[0],
            "files": {f: round(s, 1) for f, s in sorted(state["files"].items())},
            "tests": state["counts"],
            "tiers": {t: round(v, 1) for t, v in split.items()},
            "exit": int(exitstatus),
        }, indent=1), encoding="utf-8")
