"""One graded run's conversation with its boxed worker, held in a capped child process.

Whatever a worker answers is read by the process that asked, and a reply (crafted bytes,
not what the kit's worker would send) could make that reader allocate gigabytes. So the
grader never reads a training run's answer itself: it starts this module as a child
process (``python -m grader.grading.training.exchange REQUEST OUT``), which starts the
worker, caps its own address space once the worker is running, asks for the run and keeps
only plain data: the trained weights (checked by ``grader.lab.weights_io``), a few
numbers and short words the run reports about itself (shown, never scored), and its PNG.
It writes them into ``OUT`` (``facts.json``, ``weights.pt``, ``curves.png``); the grader
reads those with its own caps. A reply over the cap kills only this child, and the
student gets 0 with the reason.

The import of ``train.py`` and the graded call share one time budget (``budget_s``).
"""

from __future__ import annotations

import json
import os
import pickle
import resource
import shutil
import sys
import time
from pathlib import Path

from grader.core import i18n

REPORTED = ("test_acc", "val_acc", "profile", "device", "feature_key", "seconds")
FACTS, WEIGHTS, PNG = "facts.json", "weights.pt", "curves.png"
PNG_MOST = 4 << 20


def _problem(exc: BaseException) -> dict[str, str]:
    """The failure in each language: the grader's own reasons (a reply that never arrived,
    a worker that died) come kept in both, as this process runs with ``CNNKIT_LANG=both``."""
    def first(lang: str) -> str:
        lines = i18n.render(str(exc), lang).strip().splitlines()
        return (lines[0] if lines else type(exc).__name__)[:300]
    return {"en": f"the training run failed: {type(exc).__name__}: {first('en')}",
            "vi": f"lần huấn luyện bị lỗi: {type(exc).__name__}: {first('vi')}"}


def _out_of_time(budget: float) -> dict[str, str]:
    return {"en": f"the training run used up its time budget of {budget:.0f} s (importing "
                  "train.py and training count together)",
            "vi": f"lần huấn luyện dùng hết thời gian cho phép {budget:.0f} giây (thời gian "
                  "import train.py và huấn luyện được tính chung)"}


def cap_memory(extra_mb: int) -> None:
    """Cap this process's address space at what it uses now plus ``extra_mb``."""
    with open("/proc/self/status") as fh:
        used = next((int(line.split()[1]) * 1024 for line in fh if line.startswith("VmSize:")),
                    0)
    limit = used + extra_mb * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _offer_features(client, box: Path, shared, kwargs: dict, record: dict,
                    module: str) -> None:
    """Variant 1: when the student's run would extract the same features as the class
    cache holds, copy them into the box and pass ``features=``."""
    record["features"] = "own extraction"
    if not shared:
        return
    key, folder = shared
    settings = {k: v for k, v in kwargs.items() if k != "variant"}
    try:
        theirs = client.probe("feature_key", [("module", module), settings], {})
    except Exception:  # noqa: BLE001 - no key: the run extracts its own features
        return
    if not isinstance(theirs, str) or theirs != key:
        return
    inside = box / "exchange" / "features"
    shutil.copytree(folder, inside)
    for path in (inside.parent, inside, *inside.rglob("*")):
        path.chmod(0o755 if path.is_dir() else 0o644)
    kwargs["features"] = str(inside)
    record["features"] = "class cache"


def _shown(result: dict) -> dict:
    """What the run says of itself, kept for the feedback only: numbers and short words."""
    out = {}
    for key in REPORTED:
        value = result.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            out[key] = float(value)
        elif isinstance(value, str):
            out[key] = value[:80]
    return out


def _run(client, request: dict) -> tuple[object, dict]:
    """The run in its worker, within its budget: the answer and the facts so far."""
    budget = float(request["budget_s"])
    kwargs = dict(request["kwargs"])
    facts: dict = {"problem": None, "reported": {}, "train_seconds": None}
    deadline = None
    try:
        client.ensure_started()  # start-up (python, import torch) is the grader's cost
        cap_memory(request["memory_mb"])
        deadline = time.monotonic() + budget
        client.call_timeout = budget
        client.import_module(request["module"])
        if request["shared"]:
            client.call_timeout = max(1.0, deadline - time.monotonic())
            _offer_features(client, Path(request["box"]), request["shared"], kwargs, facts,
                            request["module"])
        left = deadline - time.monotonic()
        if left < 1:
            raise TimeoutError(_out_of_time(budget)["en"])
        client.call_timeout = left
        start = time.monotonic()
        answer = client.probe("training_run", [("module", request["module"]),
                                               request["function"], kwargs], {})
        facts["train_seconds"] = round(time.monotonic() - start, 1)
    except MemoryError:
        answer = None
        facts["problem"] = {
            "en": "the training run's answer did not fit the grader's memory cap for it",
            "vi": "câu trả lời của lần huấn luyện vượt giới hạn bộ nhớ trình chấm dành cho nó"}
    except Exception as exc:  # noqa: BLE001 - any failure of student code: 0 points
        answer = None
        late = deadline is not None and time.monotonic() >= deadline - 1
        facts["problem"] = _out_of_time(budget) if late or isinstance(exc, TimeoutError) \
            else _problem(exc)
    return answer, facts


def converse(request: dict, out: Path) -> dict:
    """Run the request (see ``training_grade.run_one``); write weights and PNG into
    ``out``; return the facts."""
    from grader.lab import weights_io  # lazy: keeps numpy, torch out of start-up
    # lazy: keeps numpy, torch out of start-up
    from grader.grading.worker.session import WorkerSession

    box = Path(request["box"])
    session = WorkerSession(request["limits"], request["host_uid"])
    client = session.training_client(box, request["topic"], request["env"], request["gpu"],
                                     request["cover"], request["log"])
    try:
        answer, facts = _run(client, request)
    finally:
        session.shutdown()
    if facts["problem"] is not None:
        return facts
    result = answer.get("result") if isinstance(answer, dict) else None
    if not isinstance(result, dict):
        facts["problem"] = {
            "en": f"{request['function']} returned {type(result).__name__}, not its result dict",
            "vi": f"{request['function']} trả về {type(result).__name__}, không phải dict kết quả"}
        return facts
    facts["reported"] = _shown(result)
    png = result.get("curves_png_bytes")
    if isinstance(png, bytes) and png.startswith(b"\x89PNG") and len(png) <= PNG_MOST:
        (out / PNG).write_bytes(png)
    try:
        state = weights_io.checked_state_dict(result.get("weights"))
    except weights_io.BadWeights as exc:
        facts["problem"] = {
            "en": f"result['weights'] cannot be evaluated: {exc.why['en']}",
            "vi": f"không đánh giá được result['weights']: {exc.why['vi']}"}
        return facts
    (out / WEIGHTS).write_bytes(weights_io.to_bytes(state))
    return facts


def main(argv: list[str]) -> int:
    request_path, out = Path(argv[0]), Path(argv[1])
    with open(request_path, "rb") as fh:
        request = pickle.load(fh)  # written by the grader for this child
    try:
        facts = converse(request, out)
    except MemoryError:
        facts = {"problem": {
            "en": "the training run's answer did not fit the grader's memory cap for it",
            "vi": "câu trả lời của lần huấn luyện vượt giới hạn bộ nhớ trình chấm dành cho nó"}}
    tmp = out / f".{FACTS}.tmp"
    tmp.write_text(json.dumps(facts), encoding="utf-8")
    os.replace(tmp, out / FACTS)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
