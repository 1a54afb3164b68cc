"""Short reports keep what teaches: the most telling failure, and a table's marked row."""

from grader.core import paths
from grader.core.failure_lines import key_lines, rank

TABLE = "\n".join(
    ["E   ML_CNN(): the architecture differs from the lecture's, first at layer conv2.",
     "E   conv2 (Conv2d) should output (1, 8, 64, 64); yours outputs (1, 8, 62, 62)."]
    + [f"E   note {i}" for i in range(8)]
    + ["E      your model          | expected", "E   ---------------------",
       "E      conv1   Conv2d  4x64x64 | conv1   Conv2d  4x64x64",
       "E   >> conv2   Conv2d  8x62x62 | conv2   Conv2d  8x64x64",
       "E      conv3   Conv2d 16x60x60 | conv3   Conv2d 16x64x64"])


def test_the_marked_row_survives_a_short_report():
    short = key_lines(TABLE, limit=8)
    assert ">> conv2   Conv2d  8x62x62 | conv2   Conv2d  8x64x64" in short
    assert "your model" in short and short.count("\n") < 14


def test_pytest_noise_is_dropped_and_columns_kept():
    text = "E   AssertionError: shapes differ\nE   assert 3 == 4\nE    +  where 3 = f()"
    assert key_lines(text) == "AssertionError: shapes differ"


def test_pytests_own_diff_lines_are_dropped():
    text = ("E   AssertionError: các ảnh validation không trùng\nE   assert [1, 2] == [3, 2]\n"
            "E     At index 0 diff: 1 != 3\nE     Use -v to get more diff")
    assert key_lines(text) == "AssertionError: các ảnh validation không trùng"
    text = "E   AssertionError: ô 0 dùng cmap 'viridis'\nE     - gray\nE     + viridis"
    assert key_lines(text) == "AssertionError: ô 0 dùng cmap 'viridis'"


def test_the_explanation_of_a_raw_error_is_kept():
    text = ("E   TypeError: f() got an unexpected keyword argument 'x'\n\n"
            "Ý nghĩa: f() được gọi theo đúng định nghĩa của bài tập")
    assert key_lines(text).splitlines() == [
        "TypeError: f() got an unexpected keyword argument 'x'",
        "Ý nghĩa: f() được gọi theo đúng định nghĩa của bài tập"]
    assert rank(text) > rank("E   TypeError: f() got an unexpected keyword argument 'x'")


def test_a_precise_diagnosis_outranks_a_generic_one():
    generic = "E   AssertionError: parameters/buffers of other shapes"
    concept = "E   f(1)\nE     returned: 2\nE     expected: 3\nE     concept:  bias"
    import_error = "E   params.py has a syntax error at line 3: invalid syntax\nE   Python could not even read the file"
    stub = "E   NotImplementedError: TODO: write this"
    ordered = sorted([stub, generic, TABLE, concept, import_error], key=rank, reverse=True)
    assert ordered == [import_error, TABLE, concept, generic, stub]


# --- the operator's errors speak both languages ------------------------------------------
OPERATOR_ERRORS = {"CnnkitError", "BadInput", "NotFound", "WouldOverwrite", "UnknownName",
                   "BoxUnavailable"}
BILINGUAL_CALLS = {"msg", "pick", "_refuse", "_refused", "_unavailable", "explain_start_failure", "t"}
# Errors of the kit's own functions called with wrong arguments by the kit's own code (a
# bug, never an operator's input): English, as a traceback is.
INTERNAL_ARGUMENT_ERRORS = {
    "grader/lab/heldout_images.py": "the held-out set's own arguments (secret, fill, shifts, n)",
    "grader/lab/feature_cache.py": "the feature cache's own format and keys",
    "grader/grading/training/devices.py": "the device queue's own arguments (indices, slots, kind)",
    "grader/grading/intake/archives.py": "reasons built bilingual by safefiles and unsupported_reason",
}


def _english_only_raises() -> list[str]:
    import ast

    found = []
    for path in sorted((paths.KIT_ROOT / "grader").rglob("*.py")):
        rel = path.relative_to(paths.KIT_ROOT).as_posix()
        if rel in INTERNAL_ARGUMENT_ERRORS:
            continue
        source = path.read_text(encoding="utf-8")
        for node in ast.walk(ast.parse(source)):
            if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
                continue
            called = getattr(node.exc.func, "id", getattr(node.exc.func, "attr", ""))
            if called not in OPERATOR_ERRORS or not node.exc.args:
                continue
            first = node.exc.args[0]
            if isinstance(first, ast.Name):
                continue  # a message built above (bilingual there, or the exception's own)
            if isinstance(first, ast.Call) and getattr(
                    first.func, "id", getattr(first.func, "attr", "")) in BILINGUAL_CALLS:
                continue
            if isinstance(first, ast.BinOp) and isinstance(first.left, ast.Call) and getattr(
                    first.left.func, "id", "") in BILINGUAL_CALLS:
                continue
            found.append(f"{rel}:{node.lineno}")
    return found


def test_every_error_the_operator_reads_comes_in_both_languages():
    assert _english_only_raises() == [], (
        "these raise an operator's error with an English-only message: use msg(en, vi) or "
        "pick({...}), or list the file with its reason in INTERNAL_ARGUMENT_ERRORS")
