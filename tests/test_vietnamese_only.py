"""`./kit check TOPIC --lang vi` (and `grade --lang vi`) on wrong submissions shows no
English sentence.

The submissions are built from the mutants of ``test_mutants_0*.py`` (plausible wrong
answers), one per exercise file, so that one `check` shows each exercise's most telling
failure; plus breakages the mutants lack (a changed signature, a missing class, a typo in
an import, a syntax error). Code, identifiers, paths, numbers and quoted text may stay as
they are: the detector below removes them before it counts English function words. The
raw exceptions of Python and the libraries stay English too (the kit explains the common
ones in Vietnamese on the next line).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from grader.core import paths
from test_mutants_01_cnn import MUTANTS as CNN
from test_mutants_02_training import MUTANTS as TRAINING
from test_mutants_03_transfer import MUTANTS as TRANSFER

# --- the detector -------------------------------------------------------------------------

# Words that carry no topic but make an English sentence. Left out: words that are also
# Vietnamese written without diacritics ("to", "an", "do", "in", "so", "no", "can", "be").
FUNCTION_WORDS = frozenset("""
the is are was were been being of and or but not nor with without this that these those
your yours you we it its has have had does did should must could would will shall
expected returned got from by for on at as than then when which what where while into
onto after before each every only also instead there here them they their whose
""".split())

_VIETNAMESE = re.compile(r"[àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ]",
                         re.IGNORECASE)
# A raw exception of Python, PyTorch or torchvision (not the kit's AssertionError): their
# words, quoted as they are so that they can be looked up; the kit explains the common ones
# in the student's language on the next line ("Ý nghĩa: ...").
_RAW_ERROR = re.compile(r"^\s*(?!AssertionError)[A-Z]\w*(Error|Exception|Warning): ")
_CODE_LINE = re.compile(r"^\s*(File \"|>>>|(def|class|return|if|elif|else|for|while|import|"
                        r"from|raise|with|assert|try|except|lambda|yield|print)\b)")
_SPANS = [
    re.compile(r"`[^`\n]*`"),                              # `code`
    re.compile(r"(?<![\w])'[^'\n]*'(?![\w])"),           # 'quoted' (not an apostrophe)
    re.compile(r"(?<![\w])\"[^\"\n]*\"(?![\w])"),          # "quoted"
]
_CALL = re.compile(r"[A-Za-z_][\w.]*\([^()]*\)")            # f(x, y), torch.no_grad()
_BRACKETS = re.compile(r"\[[^\[\]]*\]|\{[^{}]*\}")          # [1, 2], {'a': 1}
_IDENTIFIER = re.compile(r"[_.()\[\]{}=/\\<>*+#@0-9]")
_PUNCTUATION = ".,;:!?()[]{}\"'|>-–…"


def words(line: str) -> list[str]:
    """The plain words of a line, once code, identifiers, numbers and quotes are removed."""
    for span in _SPANS:
        line = span.sub(" ", line)
    for pattern in (_CALL, _BRACKETS):
        previous = None
        while previous != line:  # innermost first, for nested calls and lists
            previous, line = line, pattern.sub(" ", line)
    out = []
    for token in line.split():
        token = token.strip(_PUNCTUATION)
        if token and not _IDENTIFIER.search(token):
            out.append(token.lower())
    return out


def english_lines(text: str) -> list[str]:
    """Lines that read as English: three function words, or one in a line without any
    Vietnamese letter (a label such as ``returned:``). A traceback's code line (the one
    after ``File "..."``), lines of code and raw exceptions of the libraries are skipped."""
    found = []
    after_file = False
    for line in text.splitlines():
        if after_file or _CODE_LINE.match(line) or _RAW_ERROR.match(line):
            after_file = line.lstrip().startswith('File "')
            continue
        hits = sum(word in FUNCTION_WORDS for word in words(line))
        if hits >= 3 or (hits and not _VIETNAMESE.search(line)):
            found.append(line)
    return found


ENGLISH = [
    "pixel values span [5.0, 255.0]; expected [0, 1]: divide by 255",
    "the feature maps carry gradients: compute them inside torch.no_grad(), we only look",
    "ML_CNN(): the architecture differs from the lecture's, first at layer conv2.",
    "   your model                  | expected (the lecture's)",
    "  returned: 1",
    "  concept:  weights = k_h*k_w*(C_in/groups)*C_out, plus C_out biases when bias=True",
    "missing 01_cnn/naive_conv.py: its tests count as failed",
    "      >> yours:    conv2: Conv2d(4, 8, kernel_size=3, padding=0), 296 parameters, not reached",
    "giữa conv1 và conv2 mạng của bạn áp dụng: nothing; the lecture's applies: ReLU, as expected",
    "      AssertionError: the feature maps carry gradients",
]
VIETNAMESE = [
    "giá trị pixel nằm trong [5.000, 255.000]; cần [0, 1]: hãy chia cho 255",
    "ML_CNN(): kiến trúc khác với bài giảng.",
    "   mô hình của bạn             | mong đợi (theo bài giảng)",
    "  trả về:    1",
    "kết nối thưa (sparse connectivity) - một neuron chỉ nhìn một cửa sổ nhỏ",
    "conv2d_param_count(in_channels=1, out_channels=1, kernel_size=1, bias=True, groups=1)",
    "feature_maps(model, image) trả về list; cần một tuple",
    "ô 0 dùng cmap 'the one that is not gray'; cần cmap='gray'",
    "AssertionError: prepare_data() gán ['full'] vào module",
    '  File "models.py", line 3, in forward',
    "    if x is not None and y is not None:",
    "      >> conv2          Conv2d 4->8 k3 s1 p0   4x12x12 -> 8x10x10",
    "      TypeError: train_mnist() got an unexpected keyword argument 'max_epochs'",
]


@pytest.mark.parametrize("line", ENGLISH)
def test_the_detector_flags_english(line):
    assert english_lines(line) == [line]


@pytest.mark.parametrize("line", VIETNAMESE)
def test_the_detector_lets_vietnamese_and_code_pass(line):
    assert english_lines(line) == [], words(line)


# --- wrong submissions, checked in Vietnamese ----------------------------------------------

# Breakages the mutant lists lack: (file, old, new).
SIGNATURE_CHANGED = ("train.py", "out_dir=\"runs/mnist\", **overrides):", "out_dir=\"runs/mnist\"):")
CLASS_RENAMED = ("models.py", "class MLP(nn.Module):", "class Mlp(nn.Module):")
NOT_SCALED = ("feature_maps.py", "array = np.asarray(gray, dtype=np.float64) / 255.0",
              "array = np.asarray(gray, dtype=np.float64)")
# A typo in an import: every test of the file fails at once (and fast), with one message.
# (Not in a file with hypothesis tests: hypothesis reports a failing import as flaky.)
TYPO_IN_IMPORT = {
    "02_training": ("lightning_model.py", "import lightning as L", "import lightening as L"),
    "03_transfer": ("transfer.py", "import torchvision.models as tvm",
                    "import torchvison.models as tvm"),
}
SYNTAX_ERROR = ("feature_maps.py", "def load_image(path, size=64):",
                "def load_image(path, size=64)")

# Each submission breaks each of its files in one way: `check` shows one failure per exercise.
SUBMISSIONS = {
    "cnn_counts_and_table": ("01_cnn", ["conv_bias_forgotten", "naive_conv_padding_ignored",
                                        "cnn_padding_off_by_one", "feature_maps_keep_gradients"],
                             []),
    "cnn_shapes_and_steps": ("01_cnn", ["padding_ignored", "naive_conv_stride_ignored",
                                        "relu_missing_in_function", "plot_color_not_gray"], []),
    "cnn_classifier_and_syntax": ("01_cnn", ["gigabytes_as_1e9", "classifier_uses_x2"],
                                  [SYNTAX_ERROR]),
    "cnn_mlp": ("01_cnn", ["receptive_field_ignores_strides", "mlp_slide_typo_kept",
                           "naive_conv_bias_forgotten"], [NOT_SCALED]),
    "cnn_missing_class": ("01_cnn", ["trainable_only_ignored"], [CLASS_RENAMED]),
    "cnn_groups_and_kernel": ("01_cnn", ["conv_groups_ignored", "conv1_kernel_5"], []),
    "training_blocks": ("02_training", ["maxpool_dropped", "test_set_augmented",
                                        "split_unseeded", "optimizer_adam", "rotation_missing"],
                        [SIGNATURE_CHANGED]),
    "training_order": ("02_training", ["fc_batchnorm_and_output_swapped",
                                       "imagenet_normalisation", "train_loader_keeps_last",
                                       "val_accuracy_averaged_over_batches"],
                       [TYPO_IN_IMPORT["02_training"]]),
    "transfer_freezing": ("03_transfer", ["head_replaced_before_freezing",
                                          "head_stacked_on_old_head", "valid_augmented",
                                          "preprocessing_on_train_only"], []),
    "transfer_import": ("03_transfer", ["split_unseeded"], [TYPO_IN_IMPORT["03_transfer"]]),
}
# Nothing started: each topic's stubs as the kit ships them (their TODOs in both languages).
NOT_STARTED = {f"{topic}_not_started": topic for topic in ("01_cnn", "02_training", "03_transfer")}


def _mutant(topic: str, key: str):
    pool = {"01_cnn": CNN, "02_training": TRAINING, "03_transfer": TRANSFER}[topic]
    return next(m for m in pool if m.id == key)


def _build(root: Path, topic: str, mutants: list[str], edits: list[tuple],
           stubs: bool = False) -> None:
    """The reference solution of ``topic`` in ``root/topic``, without its tests, broken;
    with ``stubs``, the kit's stubs instead, untouched."""
    dest = root / topic
    shutil.copytree((paths.exercises_dir() if stubs else paths.solutions_dir()) / topic, dest,
                    ignore=shutil.ignore_patterns("__pycache__", "test_*"))
    changes = [(m.file, m.old, m.new) for m in (_mutant(topic, k) for k in mutants)] + edits
    for file, old, new in changes:
        text = (dest / file).read_text(encoding="utf-8")
        assert text.count(old) == 1, f"{file}: {old!r} must occur once"
        (dest / file).write_text(text.replace(old, new), encoding="utf-8")


def _check(tmp: Path, name: str) -> tuple[str, int, str]:
    topic, mutants, edits = SUBMISSIONS.get(name) or (NOT_STARTED[name], [], [])
    root = tmp / name
    _build(root, topic, mutants, edits, stubs=name in NOT_STARTED)
    env = {**os.environ, "CNNKIT_STATE": str(root / "state.json"), "MPLBACKEND": "Agg"}
    env.pop("CNNKIT_LANG", None)
    proc = subprocess.run([sys.executable, "-m", "grader", "check", topic, "--target", str(root),
                           "--lang", "vi"], env=env, capture_output=True, text=True,
                          timeout=600, cwd=paths.KIT_ROOT)
    return name, proc.returncode, proc.stdout + proc.stderr


def _grade(tmp: Path) -> tuple[str, int, str]:
    """One student graded in a box, in Vietnamese: the console and the feedback."""
    topic, mutants, edits = GRADED
    _build(tmp / "submissions" / "an", topic, mutants, edits)
    folder = tmp / "submissions" / "an" / topic
    (folder / "naive_conv.py").unlink()
    (folder / "conftest.py").write_text("collect_ignore = ['test_params.py']\n")
    out = tmp / "graded"
    env = {**os.environ, "MPLBACKEND": "Agg"}
    env.pop("CNNKIT_LANG", None)
    proc = subprocess.run([sys.executable, "-m", "grader", "grade", str(tmp / "submissions"),
                           "--out", str(out), "--topics", topic, "--lang", "vi"], env=env,
                          capture_output=True, text=True, timeout=600, cwd=paths.KIT_ROOT)
    feedback = out / "students" / "an" / "feedback.md"
    text = feedback.read_text(encoding="utf-8") if feedback.exists() else ""
    return GRADE, proc.returncode, proc.stdout + proc.stderr + "\n" + text


# A graded student: a file missing, a conftest.py the grader ignores, two wrong answers.
GRADED = ("01_cnn", ["conv_bias_forgotten", "cnn_padding_off_by_one"], [NOT_SCALED])
GRADE = "grade"


def _box_missing() -> str | None:
    from grader.core.limits import DEFAULTS
    from grader.grading.box import bubblewrap as box

    return box.available(DEFAULTS)


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    """Every submission checked once, and one graded, two at a time. Missing data only
    makes some tests wait (a Vietnamese line says so): the language is checked all the
    same."""
    tmp = tmp_path_factory.mktemp("vi")
    jobs = [] if _box_missing() else [lambda: _grade(tmp)]
    jobs += [lambda n=n: _check(tmp, n) for n in [*SUBMISSIONS, *NOT_STARTED]]
    with ThreadPoolExecutor(max_workers=2) as pool:
        done = list(pool.map(lambda job: job(), jobs))
    return {name: (code, out) for name, code, out in done}


@pytest.mark.parametrize("name", [*SUBMISSIONS, *NOT_STARTED])
def test_check_in_vietnamese_has_no_english_sentence(name, outputs):
    code, out = outputs[name]
    assert code == 1 and "đang kiểm tra" in out and "chưa đạt" in out, out
    assert "✗" in out and "Traceback" not in out, out
    if name in NOT_STARTED:  # the stubs' own TODOs, in Vietnamese (a raw error's line
        # is exempt from the detector: the TODO's text is not)
        todos = [line.split("TODO: ", 1)[1] for line in out.splitlines() if "TODO: " in line]
        assert todos and " | vi: " not in out, out
        english = [todo for todo in todos if english_lines(todo)]
        assert not english, "TODOs in English:\n" + "\n".join(english)
    elif SIGNATURE_CHANGED in SUBMISSIONS[name][2]:  # a raw TypeError, explained
        assert "Ý nghĩa: train_mnist() được gọi theo đúng định nghĩa" in out, out
    english = english_lines(out)
    assert not english, "English in `check --lang vi`:\n" + "\n".join(english) + "\n\n" + out


def test_grading_in_vietnamese_has_no_english_sentence(outputs):
    if GRADE not in outputs:  # never on CI: there the grader's own tests fail instead
        pytest.skip(f"no bubblewrap box here, so nothing is graded: {_box_missing()}")
    code, out = outputs[GRADE]
    assert code == 0 and "Những gì chưa đạt và lý do" in out, out
    assert "thiếu 01_cnn/naive_conv.py" in out and "bỏ qua 01_cnn/conftest.py" in out, out
    english = english_lines(out)
    assert not english, "English in `grade --lang vi`:\n" + "\n".join(english) + "\n\n" + out
