"""Grade hostile and broken submissions next to good ones, in one batch: good ones keep
full marks, bad ones lose the tests they broke and get a clear reason in their feedback,
and nothing a submission does reaches the grader, the kit or a classmate."""

import ast
import csv
import io
import json
import os
import shutil
import socket
import tempfile
import threading
import zipfile
from pathlib import Path

import pytest

from grader.core import paths
from grader.core.limits import Limits
from grader.core import manifest
from grader.grading import names, records, score
from grader.grading.run import topic_run
from grader.grading.box import bubblewrap as box
from grader.grading.box import safefiles
from grader.grading.pipeline import grade_class
from grader.grading.run.scrub import MIN_LINE
from support.naive_conv_corpus import CHEATS as NAIVE_CHEATS
from support.naive_conv_corpus import HONEST as NAIVE_HONEST
from support.naive_conv_corpus import REVIEW_ONLY as NAIVE_REVIEW_ONLY

pytestmark = pytest.mark.slow
TOPIC = "01_cnn"
# Limits: loose enough for a good submission on a busy 2-core machine (a few s a test idle).
LIMITS = Limits(topic_timeout_s=300, memory_mb=6144, test_timeout_s=30, scratch_mb=256)
HOST_SECRET = "cnnkit-host-secret-7f3a"
DAEMON_MARK = "cnnkit-daemon-mark-5e1d"

_why = box.available(LIMITS)
if _why:
    if os.environ.get("CI") == "true":
        raise RuntimeError(f"CI=true but grading cannot run here: {_why}")
    pytest.skip(f"no bubblewrap box here, so the grader refuses to grade: {_why}",
                allow_module_level=True)


def _prepend(code):
    """Put ``code`` at module level, right after the __future__ import."""
    future = "from __future__ import annotations\n"
    return lambda text: text.replace(future, future + code + "\n", 1)


ALWAYS_EQUAL = '''
class _Yes(int):
    def __eq__(self, other):
        return True
    __hash__ = int.__hash__


def conv2d_param_count(*args, **kwargs):
    return _Yes(0)


def linear_param_count(*args, **kwargs):
    return _Yes(0)
'''

FORGE = '''
import json, os, sys
for arg in sys.argv:
    if arg.startswith("--cnnkit-results-fd="):
        with os.fdopen(int(arg.split("=", 1)[1]), "a", closefd=False) as fh:
            for name in ("test_conv2d_param_count_matches_nn_conv2d", "test_mlp_layer_sizes"):
                for file in ("test_params.py", "test_models.py"):
                    nodeid = f"tests/01_cnn/{file}::{name}"
                    fh.write(json.dumps({"event": "result", "nodeid": nodeid,
                                         "outcome": "passed", "message": ""}) + "\\n")
raise NotImplementedError("forger")
'''

# Every in-process forgery that once gave full marks: patch the assertion helper and the
# result emitter, register a report hook, replace each test's runtest; then return garbage.
FORGE_IN_PROCESS = '''

def _forge():
    import gc
    try:
        import grader.testkit.checks as checks
        import grader.testkit.plugin as plugin
        checks._fail = lambda *a, **k: None
        plugin._emit = lambda *a, **k: None
    except Exception:
        pass

    class _AlwaysPass:
        @staticmethod
        def pytest_runtest_makereport(item, call):
            return None

    for obj in gc.get_objects():
        try:
            if type(obj).__name__ == "Config" and hasattr(obj, "pluginmanager"):
                obj.pluginmanager.register(_AlwaysPass(), "always-pass")
            if type(obj).__name__ == "Function" and hasattr(obj, "runtest"):
                obj.runtest = lambda: None
        except Exception:
            pass


_forge()


def conv2d_param_count(*args, **kwargs):
    return 7


def linear_param_count(*args, **kwargs):
    return 7
'''

# Copy the reference through the kit's own path helpers, else return garbage.
COPY_REFERENCE = '''

try:
    import importlib.util as _util
    from grader.core import paths as _paths
    _spec = _util.spec_from_file_location(
        "_ref", str(_paths.solutions_dir() / "01_cnn" / "params.py"))
    _ref = _util.module_from_spec(_spec)
    _spec.loader.exec_module(_ref)
    conv2d_param_count = _ref.conv2d_param_count
    linear_param_count = _ref.linear_param_count
except Exception:
    def conv2d_param_count(*args, **kwargs):
        return 11

    def linear_param_count(*args, **kwargs):
        return 11
'''

# The public pinned inputs get the right answers (as from a table taken from the bundle's
# expected_models.pt); any other input, such as the grader's fresh random one, gets FRESH.
PINNED_TABLE = '''

def _pinned_only(cls):
    real = cls.forward

    def forward(self, x):
        from grader.testkit.pinned import pinned_input
        out = real(self, x)
        if x.device.type != "meta" and torch.equal(x, pinned_input(tuple(x.shape))):
            return out
        return FRESH
    cls.forward = forward


for _cls in (ML_CNN, ML_CNNClassifier, MLP):
    _pinned_only(_cls)
'''

# naive_conv by a built-in convolution: named, through aten, or through a computed name.
CONVOLUTION = ("torch.convolution(x, weight, bias, _pair(stride), _pair(padding), (1, 1), "
               "False, (0, 0), 1)")
ATEN = ("torch.ops.aten.convolution(x, weight, bias, list(_pair(stride)), "
        "list(_pair(padding)), [1, 1], False, [0, 0], 1)")
DYNAMIC = "getattr(F, 'con' + 'v2d')(x, weight, bias, stride=stride, padding=padding)"


def _naive_body(text, call):
    """conv2d_naive made one call; the in-worker guard does not cover these."""
    head = "    ### BEGIN SOLUTION\n"
    start = text.index(head) + len(head)
    return text[:start] + f"    return {call}\n" + text[text.index("    ### END SOLUTION"):]


# What each case above should score: the exercise it attacks scores zero, the rest in full.
ZEROED = {"pinned_table": "01_cnn/models", "pinned_float64": "01_cnn/models",
          "pinned_extra_output": "01_cnn/models", "builtin_convolution": "01_cnn/naive_conv",
          "aten_convolution": "01_cnn/naive_conv", "dynamic_lookup": "01_cnn/naive_conv",
          "getattr_alias_chr_convolution": "01_cnn/naive_conv",
          "numpy_sliding_window_einsum": "01_cnn/naive_conv",
          "computed_name_convolution": "01_cnn/naive_conv"}
# naive_conv.py written honestly but with a lookup the source rule cannot decide: full
# marks, flagged for a person in results.json, feedback.md and the gradebook.
REVIEWED = "computed_name_review"

# A reply frame of its own on the worker's pipe: 1.5 GB announced, then silence (only in
# the one test that asks receptive_field([3, 3, 3])).
REPLY_FRAME = '''

def _announce_and_wait():
    import os, struct, sys, time
    frame = sys._getframe()
    while frame is not None and not (frame.f_code.co_name == "main"
                                     and "reply_fd" in frame.f_locals):
        frame = frame.f_back
    os.write(frame.f_locals["reply_fd"], struct.pack("!Q", 1536 << 20))
    time.sleep(600)


_honest_receptive_field = receptive_field


def receptive_field(kernel_sizes, strides=None):
    if list(kernel_sizes) == [3, 3, 3] and strides is None:
        _announce_and_wait()
    return _honest_receptive_field(kernel_sizes, strides)
'''

# name: (file, edit or None to delete, expected reason in feedback, full marks expected?)
# naive_conv.py has a source rule (no module but torch, numpy and math), whose message the
# feedback shows first: cases about the process (exit, forks) live in other files.
CASES = {
    "syntax_error": ("params.py", lambda t: t.replace("def linear_param_count(",
                                                      "def linear_param_count(:"),
                     "syntax error", False),
    "import_exception": ("naive_conv.py", _prepend("raise RuntimeError('boom at import')"),
                         "RuntimeError: boom at import", False),
    "infinite_loop": ("params.py", _prepend("while True:\n    pass"), "longer than", False),
    "memory_bomb": ("models.py", _prepend("hog = []\nwhile True:\n    hog.append(bytearray(10**8))"),
                    "MemoryError", False),
    "os_exit": ("feature_maps.py", _prepend("import os\nos._exit(0)"), "ended early", False),
    "sys_exit": ("models.py", _prepend("import sys\nsys.exit(0)"), "called exit", False),
    "always_equal": ("params.py", lambda t: t + ALWAYS_EQUAL, "returned:  0", False),
    "inprocess_forger": ("params.py", lambda t: t + FORGE_IN_PROCESS, "returned:  7", False),
    "reference_copier": ("params.py", lambda t: t + COPY_REFERENCE, "returned:  11", False),
    "network": ("params.py", _prepend(
        "import socket\nsocket.create_connection(('1.1.1.1', 80), timeout=3)"),
        "network", False),
    "flood_output": ("feature_maps.py", _prepend("import sys\nsys.stdout.write('x' * 100_000_000)"),
                     "MB of output", True),
    "missing_file": ("naive_conv.py", None, "missing 01_cnn/naive_conv.py", False),
    "wrong_signature": ("params.py", lambda t: t.replace(
        "def conv2d_param_count(in_channels, out_channels, kernel_size, bias=True, groups=1)",
        "def conv2d_param_count(in_channels, out_channels, kernel_size)"), "signature", False),
    "forged_results": ("models.py", _prepend(FORGE), "forger", False),
    "alarm_off": ("params.py", lambda t: t.replace(
        "def conv2d_output_shape(", "def conv2d_output_shape(*a, **k):\n    while True:\n"
        "        pass\n\n\ndef _unused(") + "\nimport signal\nsignal.setitimer = lambda *a: None\n"
        "signal.signal = lambda *a: None\n", "longer than", False),
    "fork_bomb": ("models.py", _prepend('''
import os, time
_n = 0
for _ in range(200):
    try:
        if os.fork() == 0:
            time.sleep(60)
            os._exit(0)
    except OSError:
        break
    _n += 1
raise RuntimeError(f"forked {_n} of 200 processes")'''), "of 200 processes", False),
    # The third red team: points only for what the trusted side verified.
    "pinned_table": ("models.py", lambda t: t + PINNED_TABLE.replace("FRESH", "()"),
                     "fresh random input", False),
    "pinned_float64": ("models.py", lambda t: t + PINNED_TABLE.replace(
        "FRESH", "tuple(o.double() for o in out) if isinstance(out, tuple) else out.double()"),
        "dtype torch.float64", False),
    "pinned_extra_output": ("models.py", lambda t: t + PINNED_TABLE.replace(
        "FRESH", "(out if isinstance(out, tuple) else (out,)) + (x,)"), "output(s)", False),
    "builtin_convolution": ("naive_conv.py", lambda t: _naive_body(t, CONVOLUTION),
                            "torch.convolution", False),
    "aten_convolution": ("naive_conv.py", lambda t: _naive_body(t, ATEN), "torch.ops", False),
    "dynamic_lookup": ("naive_conv.py", lambda t: _naive_body(t, DYNAMIC),
                       "looks a library convolution or window function up by its name", False),
    # once 20/20: getattr under another name, the operator's name in character codes
    "getattr_alias_chr_convolution": ("naive_conv.py", lambda t: NAIVE_CHEATS[
        "getattr_alias_chr_convolution"][0], "look(torch, name) -> torch.convolution", False),
    # once 20/20: numpy's sliding_window_view cuts the windows, one einsum combines them
    "numpy_sliding_window_einsum": ("naive_conv.py", lambda t: NAIVE_CHEATS[
        "numpy_sliding_window_einsum"][0], "sliding_window_view", False),
    # a name the reading cannot fold: the watch in the worker sees aten.convolution
    "computed_name_convolution": ("naive_conv.py", lambda t: NAIVE_CHEATS[
        "computed_name_convolution"][0], "reached aten.convolution", False),
    REVIEWED: ("naive_conv.py", lambda t: NAIVE_REVIEW_ONLY[1], "For a person to review", True),
    "honest_class_conv_weight": ("naive_conv.py", lambda t: NAIVE_HONEST["class_conv_weight"],
                                 "Everything passed", True),
    "reply_frame": ("params.py", lambda t: t + REPLY_FRAME,
                    "announced a reply of 1610612736 bytes", False),
    "disk_hog": ("feature_maps.py", _prepend('''
_mb = 0
for _i in range(32):  # 2 GB in 64 MB files
    try:
        with open(f"/tmp/hog{_i}", "wb") as _fh:
            _fh.write(b"x" * (64 << 20))
        _mb += 64
    except OSError:
        break
raise RuntimeError(f"wrote {_mb} MB")'''), "wrote", False),
}

# Everything a prisoner tries from inside its box, reported in one line per attempt.
PRISONER = '''
import glob, os, sys, _socket
from grader.core import paths as _paths
_log = []
def _try(label, fn):
    try:
        _log.append(f"{label}: done {fn()!r}"[:300])
    except BaseException as exc:
        _log.append(f"{label}: refused {type(exc).__name__}")
for _where in ("solutions/01_cnn", "grader"):
    _try(f"write {_where}", lambda: open(str(_paths.KIT_ROOT / _where / "pwned_by_prisoner.py"),
                                          "w").write("x = 1"))
def _connect(family, address):
    s = _socket.socket(family, _socket.SOCK_STREAM)
    s.settimeout(2)
    s.connect(address)
    s.send(b"prisoner")
_try("unix socket", lambda: _connect(_socket.AF_UNIX, HOST_SOCKET))
_try("abstract socket", lambda: _connect(_socket.AF_UNIX, HOST_ABSTRACT))
_try("tcp", lambda: _connect(_socket.AF_INET, ("127.0.0.1", HOST_TCP_PORT)))
_try("classmate", lambda: open(CLASSMATE).read())
_try("output folder", lambda: os.listdir(OUT_FOLDER))
_try("host tmp", lambda: [p for p in glob.glob("/tmp/cnnkit-*")])
_try("fifo", lambda: os.mkfifo("results.jsonl"))
_environ = open("/proc/self/environ", "rb").read().decode("utf-8", "replace")
_hidden = "".join(open(f).read() for f in glob.glob("tests/01_cnn/*_hidden.py"))
_try("solution", lambda: open(str(_paths.solutions_dir() / "01_cnn" / "params.py")).read())
if os.fork() == 0:  # a double-forked daemon that keeps trying for a minute
    os.setsid()
    if os.fork() == 0:
        os.execv(sys.executable, [sys.executable, "-c", DAEMON, DAEMON_MARK])
    os._exit(0)
raise RuntimeError("prisoner report\\n" + "\\n".join(_log) + "\\nenviron " + _environ
                   + "\\nargv " + " ".join(sys.argv) + "\\n" + _hidden)
'''

DAEMON = '''
import glob, time
for _ in range(120):
    for path in glob.glob("/tmp/cnnkit-*/submission/01_cnn/params.py") + [RESULTS]:
        try:
            open(path, "w").write("garbage")
        except OSError:
            pass
    time.sleep(0.5)
'''


class Listener:
    """Unix (path and abstract) and TCP listeners on the host that note every connection."""

    def __init__(self, folder):
        self.path = str(folder / "host.sock")
        self.abstract = f"\0cnnkit-host-{os.getpid()}"
        self.connections = []
        self.sockets = []
        for family, address in ((socket.AF_UNIX, self.path), (socket.AF_UNIX, self.abstract),
                                (socket.AF_INET, ("127.0.0.1", 0))):
            s = socket.socket(family, socket.SOCK_STREAM)
            s.bind(address)
            s.listen()
            s.settimeout(0.5)
            self.sockets.append(s)
            threading.Thread(target=self._accept, args=(s,), daemon=True).start()
        self.port = self.sockets[2].getsockname()[1]

    def _accept(self, s):
        while True:
            try:
                conn, _ = s.accept()
                self.connections.append(conn.recv(100))
            except socket.timeout:
                continue
            except OSError:
                return


def _daemons():
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if DAEMON_MARK.encode() in open(f"/proc/{pid}/cmdline", "rb").read():
                found.append(pid)
        except OSError:
            pass
    return found


@pytest.fixture(scope="module")
def graded(tmp_path_factory, request):
    subs = tmp_path_factory.mktemp("submissions")
    out = tmp_path_factory.mktemp("gradebook")
    listener = Listener(tmp_path_factory.mktemp("host"))
    solution = paths.solutions_dir() / TOPIC
    for name in ("good_alice", "good_bob", *CASES, "conftest_cheat", "prisoner", "Trần Ánh"):
        shutil.copytree(solution, subs / name / TOPIC)
    (subs / "Trần Ảnh" / TOPIC).mkdir(parents=True)  # nothing handed in: 0 points
    (subs / MALLORY / TOPIC / f"x\n{FAKE_SCORE}").mkdir(parents=True)
    (subs / MALLORY / TOPIC / f"x\n{FAKE_SCORE}" / "conftest.py").write_text("")
    (subs / "linker").mkdir()
    (subs / "linker" / TOPIC).symlink_to(solution, target_is_directory=True)
    daemon = DAEMON.replace("RESULTS", repr(str(out / "students" / "prisoner" / "results.json")))
    prisoner = subs / "prisoner" / TOPIC / "params.py"
    prisoner.write_text(_prepend(PRISONER.replace("HOST_SOCKET", repr(listener.path))
                                 .replace("HOST_ABSTRACT", repr(listener.abstract))
                                 .replace("HOST_TCP_PORT", str(listener.port))
                                 .replace("CLASSMATE", repr(str(subs / "good_alice" / TOPIC
                                                                / "params.py")))
                                 .replace("OUT_FOLDER", repr(str(out)))
                                 .replace("DAEMON_MARK", repr(DAEMON_MARK))
                                 .replace("DAEMON", repr(daemon)))(prisoner.read_text()))
    for name, (file, edit, _, _) in CASES.items():
        target = subs / name / TOPIC / file
        if edit is None:
            target.unlink()
        else:
            target.write_text(edit(target.read_text()))
    # good_bob's bytes: a file name that is not UTF-8 beside his honest files, and his
    # naive_conv.py in Latin-1 (declared), with an accented name
    bob = subs / "good_bob" / TOPIC
    Path(os.fsdecode(bytes(bob) + b"/" + BAD_NAME)).write_text("x = 1\n")
    naive = bob / "naive_conv.py"
    naive.write_bytes(b"# -*- coding: latin-1 -*-\n# auteur: Andr\xe9\n" + naive.read_bytes()
                      + b"\n\xe9t\xe9 = 1\n")
    cheat = subs / "conftest_cheat" / TOPIC
    shutil.copytree(paths.exercises_dir() / TOPIC, cheat, dirs_exist_ok=True)  # stubs
    (cheat / "conftest.py").write_text(
        "import pytest\n@pytest.hookimpl(hookwrapper=True)\n"
        "def pytest_runtest_makereport(item, call):\n"
        "    out = yield\n    rep = out.get_result()\n    rep.outcome = 'passed'\n")
    # A folder named as a classmate's hash-suffixed id; one file 1,000 folders deep, as a
    # zip and as a folder (beside a complete solution); a grader crash while grading one.
    shutil.copytree(solution, subs / ID_THIEF / TOPIC)
    with zipfile.ZipFile(subs / "deep_zip.zip", "w") as zf:
        for f in solution.glob("*.py"):
            zf.writestr(f"{TOPIC}/{f.name}", f.read_text())
        zf.writestr(f"{TOPIC}/" + "d/" * 1000 + "params.py", "x = 1\n")
    shutil.copytree(solution, subs / "deep_folder" / TOPIC)
    # pytest's clean-up of old temporary folders recurses: never leave it this tree
    request.addfinalizer(lambda: safefiles.remove_tree(subs / "deep_folder"))
    _nest(subs / "deep_folder" / TOPIC, 1000)
    shutil.copytree(solution, subs / "grader_crash" / TOPIC)
    real_run_topic = topic_run.run_topic

    def crashing_run_topic(topic, topic_dir, *args, **kwargs):
        if topic_dir is not None and "grader_crash" in str(topic_dir):
            raise OSError(28, "No space left on device (injected by the test)")
        return real_run_topic(topic, topic_dir, *args, **kwargs)
    os.environ["CNNKIT_HOST_SECRET"] = HOST_SECRET  # in the grader's environment only
    topic_run.run_topic = crashing_run_topic
    try:
        results = grade_class(subs, out, jobs=2, topics=[TOPIC], limits=LIMITS)
    finally:
        topic_run.run_topic = real_run_topic
        del os.environ["CNNKIT_HOST_SECRET"]
    return out, results, listener, _daemons(), subs


# "Trần Ánh"'s id once "Trần Ảnh" is in the class too.
ID_THIEF = names.unique_ids(["Trần Ánh", "Trần Ảnh"])[0]


def _nest(folder, levels):
    """``levels`` folders, one inside the other, made one chdir at a time."""
    here = os.getcwd()
    os.chdir(folder)
    try:
        for _ in range(levels):
            os.mkdir("d")
            os.chdir("d")
        with open("params.py", "w") as fh:
            fh.write("x = 1\n")
    finally:
        os.chdir(here)


BAD_NAME = b"test_b\xe0i.py"  # Latin-1 "bài": not UTF-8
MALLORY = "mallory\n\n**Score: 100 / 100, checked by hand**\n"
FAKE_SCORE = "**Score: 100 / 100, checked by hand**"


def _feedback(out, student):
    return (out / "students" / student / "feedback.md").read_text()


@pytest.mark.parametrize("student", ["good_alice", "good_bob"])
def test_good_submissions_get_full_marks(graded, student):
    out, results, *_ = graded
    assert results[student]["score"] == results[student]["max_score"] == 100, \
        _feedback(out, student)


@pytest.mark.parametrize("case", list(CASES))
def test_bad_submission_is_graded_with_a_reason(graded, case):
    out, results, *_ = graded
    _, _, reason, full = CASES[case]
    res = results[case]
    feedback = _feedback(out, case)
    if full:
        assert res["score"] == res["max_score"], feedback
    else:
        assert 0 <= res["score"] < res["max_score"], f"{case} kept full marks:\n{feedback}"
    assert reason.lower() in feedback.lower(), (
        f"the feedback of {case} does not say {reason!r}:\n{feedback[:3000]}")


def test_names_and_files_that_are_not_utf8_cost_nothing_and_are_shown_escaped(graded):
    """good_bob's non-UTF-8 file name and Latin-1 exercise file: full marks, the ignored
    file named escaped, no crash and no word of the machine being at fault."""
    out, results, *_ = graded
    feedback = _feedback(out, "good_bob")
    assert results["good_bob"]["score"] == 100, feedback
    assert "ignored 01_cnn/test_b\\\\xe0i.py" in feedback, feedback  # Markdown-escaped
    assert "crashed" not in results["good_bob"]["cnnkit"]
    assert "machine" not in feedback and "grade it again" not in feedback


def test_conftest_cheat_is_ignored_and_reported(graded):
    out, results, *_ = graded
    assert results["conftest_cheat"]["score"] == 0
    assert "conftest.py files are never used" in _feedback(out, "conftest_cheat")


def test_every_expected_test_has_a_result(graded):
    out, results, *_ = graded
    counts = {s: len(r["tests"]) for s, r in results.items()}
    assert len(set(counts.values())) == 1, f"students got different test counts: {counts}"


def test_outputs_are_gradescope_shaped_and_gradebook_complete(graded):
    out, results, *_ = graded
    data = json.loads((out / "students" / "good_alice" / "results.json").read_text())
    assert {"score", "max_score", "tests"} <= set(data)
    assert all({"name", "score", "max_score", "output", "visibility"} <= set(t)
               for t in data["tests"])
    rows = (out / "gradebook.csv").read_text().splitlines()
    assert len(rows) == 1 + len(results) and rows[0].startswith("student,01_cnn/params")


def _outputs(out, student):
    data = json.loads((out / "students" / student / "results.json").read_text())
    return "\n".join(t["output"] for t in data["tests"])


def test_the_box_holds_the_prisoner(graded):
    """Writing to the kit, sockets to the host, the output folder, a classmate's files,
    host /tmp, FIFOs, secrets in the environment, the solutions: none reachable."""
    out, results, listener, daemons, subs = graded
    report = _outputs(out, "prisoner")
    assert "prisoner report" in report, report[:2000]
    for attempt in ("write solutions/01_cnn", "write grader", "unix socket", "abstract socket",
                    "tcp", "classmate", "output folder", "fifo", "solution"):
        assert f"{attempt}: refused" in report, f"{attempt} was not refused:\n{report[:3000]}"
    seen = ast.literal_eval(report.split("host tmp: done ")[1].split("\n")[0])
    # its own box only (its worker folder, or its student's stage folder): no host /tmp
    boxes = {"/".join(p.split("/")[:3]) for p in seen}
    assert len(boxes) <= 1 and all(b.startswith(("/tmp/cnnkit-worker-", "/tmp/cnnkit-student-"))
                                   for b in boxes), seen
    assert not (paths.solutions_dir() / TOPIC / "pwned_by_prisoner.py").exists()
    assert not (paths.KIT_ROOT / "grader" / "pwned_by_prisoner.py").exists()
    assert listener.connections == []
    assert HOST_SECRET not in report and "TOKEN" not in report  # no secret left to find
    assert "good_alice" not in report and str(subs) not in report  # argv names only the box
    assert results["prisoner"]["score"] < results["prisoner"]["max_score"]


def test_no_daemon_outlives_its_box_and_records_stay_sealed(graded):
    out, results, _, daemons, _ = graded
    assert daemons == [], f"processes of the prisoner's daemon outlived the batch: {daemons}"
    key = records.grader_key(out)
    for student in results:
        path = out / "students" / student / "results.json"
        assert records.load_trusted(path, key) == results[student], student


def test_failure_messages_hold_no_hidden_test_or_kit_source(graded):
    out, results, *_ = graded
    def lines(files):
        return {ln.strip() for f in files for ln in f.read_text().splitlines()
                if len(ln.strip()) >= MIN_LINE}

    hidden = lines((paths.hidden_tests_dir() / TOPIC).glob("test_*.py"))
    stubs = lines((paths.exercises_dir() / TOPIC).glob("*.py"))
    solution_only = lines((paths.solutions_dir() / TOPIC).glob("[!t]*.py")) - stubs
    for student in results:
        text = _outputs(out, student) + (out / "students" / student / "feedback.md").read_text()
        leaked = [ln for ln in hidden | solution_only if ln in text]
        assert not leaked, f"{student}: kit source in feedback: {leaked[:3]}"
        assert "Traceback" not in text, student


def test_process_and_disk_caps_hold(graded):
    out, results, *_ = graded
    forked = int(_outputs(out, "fork_bomb").split("forked ")[1].split()[0])
    assert 0 <= forked < LIMITS.max_processes
    wrote = int(_outputs(out, "disk_hog").split("wrote ")[1].split()[0])
    assert wrote <= LIMITS.scratch_mb


def test_two_students_whose_names_differ_only_in_marks_stay_two(graded):
    out, results, *_ = graded
    ids = sorted(s for s in results if s.startswith("Tran_Anh"))
    assert len(ids) == 3, sorted(results)  # with the one named as Trần Ánh's id
    shown = {results[s]["cnnkit"]["name"]: results[s]["score"] for s in ids}
    assert shown == {"Trần Ánh": 100, "Trần Ảnh": 0, ID_THIEF: 100}


def test_a_folder_named_as_a_classmates_id_gets_its_own(graded):
    out, results, *_ = graded
    owner = [s for s in results if results[s]["cnnkit"]["name"] == "Trần Ánh"]
    thief = [s for s in results if results[s]["cnnkit"]["name"] == ID_THIEF]
    assert len(owner) == len(thief) == 1 and owner != thief, sorted(results)
    assert (out / "students" / owner[0] / "results.json").is_file()
    assert (out / "students" / thief[0] / "results.json").is_file()


def test_the_class_renders_in_vietnamese_without_regrading(graded, tmp_path, monkeypatch,
                                                           capsys):
    """results.json keeps each message in both languages: `cnnkit feedback --lang vi`
    rewrites the English feedback in Vietnamese from the records alone."""
    from grader.cli.main import main

    out, results, *_ = graded
    copy = tmp_path / "class"
    shutil.copytree(out, copy)
    english = _feedback(copy, "builtin_convolution")
    assert "so the exercise scores zero" in english, english
    monkeypatch.setenv("CNNKIT_LANG", "en")  # main(--lang vi) sets it: restored after
    assert main(["--lang", "vi", "feedback", str(copy)]) == 0
    vietnamese = _feedback(copy, "builtin_convolution")
    assert "nên bài tập này được 0 điểm" in vietnamese, vietnamese
    assert "scores zero" not in vietnamese and "Nhận xét cho" in vietnamese, vietnamese
    assert "feedback.md" in capsys.readouterr().out


def test_the_graders_own_notes_are_kept_as_ids_and_parameters(graded):
    """A missing file and a file the grader ignored reach the record as catalog ids with
    their parameters (core.messages), and render in Vietnamese from those alone."""
    from grader.core.telling import test_output

    _, results, *_ = graded
    missing = results["missing_file"]["cnnkit"]["notes"]
    assert {"id": "folder.missing_file",
            "params": {"name": "naive_conv.py", "topic": "01_cnn"}} in missing, missing
    notes = results["conftest_cheat"]["cnnkit"]["notes"]
    ignored = [n for n in notes if n.get("id") == "folder.ignored"]
    assert ignored and ignored[0]["params"]["reason"]["id"] == "folder.why.conftest", notes
    vi = test_output({"cnnkit": results["conftest_cheat"]["cnnkit"]}, "vi")  # the data only
    assert "các tệp conftest.py không bao giờ được dùng" in vi and "never used" not in vi, vi


@pytest.mark.parametrize("case", sorted(ZEROED))
def test_what_the_trusted_side_did_not_verify_earns_nothing(graded, case):
    out, results, *_ = graded
    exercises = results[case]["cnnkit"]["exercises"]
    zeroed = ZEROED[case]
    assert exercises[zeroed]["score"] == 0, (case, exercises, _feedback(out, case)[:3000])
    others = {k: v for k, v in exercises.items() if k != zeroed}
    assert all(v["score"] == v["max_score"] for v in others.values()), (case, exercises)


def test_what_the_rule_cannot_decide_keeps_its_points_and_is_flagged(graded):
    out, results, *_ = graded
    if REVIEWED not in results:
        pytest.skip(f"{REVIEWED} is not in this selection of the batch")
    res = results[REVIEWED]
    assert res["score"] == res["max_score"], _feedback(out, REVIEWED)
    assert set(res["cnnkit"]["review"]) == {"01_cnn/naive_conv"}
    assert "not a zero" in res["cnnkit"]["review"]["01_cnn/naive_conv"]["en"]
    assert "không phải điểm 0" in res["cnnkit"]["review"]["01_cnn/naive_conv"]["vi"]
    rows = list(csv.reader(io.StringIO((out / "gradebook.csv").read_text())))
    flags = {r[0]: r[rows[0].index("review")] for r in rows[1:]}
    assert flags[REVIEWED] == "01_cnn/naive_conv"
    assert {s for s, flag in flags.items() if flag} == {REVIEWED}, flags


@pytest.mark.parametrize("student", ["deep_zip", "deep_folder"])
def test_a_thousand_folders_deep_costs_that_student_only(graded, student):
    out, results, *_ = graded
    assert results[student]["score"] == 0
    assert "levels deep" in results[student]["output"], results[student]["output"]
    assert "levels deep" in _feedback(out, student)


def test_a_grader_crash_while_grading_one_student_costs_that_student_only(graded):
    out, results, *_ = graded
    res = results["grader_crash"]
    assert res["score"] == 0 and res["max_score"] == 100
    assert "No space left on device" in res["output"] and "grade it again" in res["output"]
    assert results["good_alice"]["score"] == 100  # the batch went on
    rows = (out / "gradebook.csv").read_text().splitlines()
    assert any(r.startswith("grader_crash,") for r in rows)


def test_every_results_file_is_strict_json(graded):
    out, results, *_ = graded

    def refuse(token):
        raise ValueError(f"bare {token}")
    for student in results:
        json.loads((out / "students" / student / "results.json").read_text(),
                   parse_constant=refuse)


def test_names_cannot_inject_markdown_or_csv(graded):
    out, results, *_ = graded
    [mallory] = [s for s in results if s.startswith("mallory")]
    feedback = (out / "students" / mallory / "feedback.md").read_text()
    score_lines = [ln for ln in feedback.splitlines() if "Score" in ln and "**" in ln]
    assert score_lines == ["**Score: 0 / 100**"], feedback
    assert FAKE_SCORE not in feedback
    rows = list(csv.reader(io.StringIO((out / "gradebook.csv").read_text())))
    assert len(rows) == 1 + len(results) and all(len(r) == len(rows[0]) for r in rows)
    assert not any("\n" in cell for row in rows for cell in row)


def test_a_linked_topic_folder_is_refused(graded):
    out, results, *_ = graded
    assert results["linker"]["score"] == 0
    assert "symbolic links are refused" in results["linker"]["output"]


def test_a_rewritten_results_file_is_not_trusted_on_a_rerun(graded):
    out, results, _, _, subs = graded
    path = out / "students" / "forged_results" / "results.json"
    forged = json.loads(path.read_text())
    forged["score"] = forged["max_score"]
    path.write_text(json.dumps(forged))
    again = grade_class(subs, out, jobs=2, topics=[TOPIC], limits=LIMITS)
    assert again["forged_results"]["score"] == results["forged_results"]["score"] < 100
    assert again["good_alice"] == results["good_alice"]  # sealed, so not graded again
    assert again["good_bob"] == results["good_bob"]  # its bytes crash no re-run either
    assert again["grader_crash"]["score"] == 100  # resumed: the crashed one graded again


# --- 02_training: a LightningModel stub left as it is, and the kit's probes replaced ----

PROBE_FORGER = '''

import grader.testkit.probes as _probes


def _accuracy(net):
    import torch
    from grader.testkit.toy_models import mnist_loaders
    _, val = mnist_loaders()
    net.eval()
    with torch.no_grad():
        return sum(int((net(x).argmax(1) == y).sum()) for x, y in val) / len(val.dataset)


_probes.lightning_fast_dev_run = lambda module, net, seed: {
    "logged": ["train_acc", "train_loss", "val_acc"], "tested": [{"test_acc": 0.5}]}
_probes.lightning_optimizer = lambda module, net, lr: {
    "form": "SGD", "count": 1, "type": "SGD", "is_sgd": True, "lr": lr, "all_params": True}
_probes.lightning_val_acc = lambda module, net, seed: _accuracy(net)
_probes.compute_accuracy_modes = lambda module, model: {"accuracy": _accuracy(model),
                                                        "modes": [False]}
'''


@pytest.fixture(scope="module")
def lightning_graded(tmp_path_factory):
    """Only the lightning_model exercise of 02_training, for an honest student and a
    forger: two short runs beside the 01_cnn batch."""
    from support.data_needs import skip_unless_available

    skip_unless_available("mnist")
    topic = manifest.load_topic("02_training")
    graded = {}
    for student, source in (("good", paths.solutions_dir()), ("probe_forger",
                                                               paths.exercises_dir())):
        folder = tmp_path_factory.mktemp(student) / "02_training"
        shutil.copytree(source / "02_training", folder)
        if student == "probe_forger":
            stub = folder / "lightning_model.py"
            stub.write_text(stub.read_text() + PROBE_FORGER)
        with tempfile.TemporaryDirectory(prefix="cnnkit-box-") as box_folder:
            run = topic_run.run_topic("02_training", folder, Path(box_folder), timeout=180,
                                    limits=LIMITS, exercises={"lightning_model"})
        graded[student] = [s for s in score.score_topic(topic, run.results)
                           if s.exercise == "lightning_model"]
    return graded


def test_forged_probes_earn_nothing_and_the_honest_model_everything(lightning_graded):
    good, forger = lightning_graded["good"], lightning_graded["probe_forger"]
    assert sum(s.score for s in good) == pytest.approx(20), [(s.test, s.output) for s in good]
    assert sum(s.score for s in forger) == 0, [(s.test, s.score, s.output) for s in forger]
    reported = {s.test for s in forger if "reports about itself" in s.output}
    assert {"test_fast_dev_run_logs_the_four_metrics", "test_optimizer_is_sgd_with_the_"
            "learning_rate", "test_validation_accuracy_is_exact"} <= reported, reported
