"""The untrusted worker: imports one topic folder of a student and does what it is asked.

Run as ``python -I -m grader.grading.worker.worker TOPIC_DIR REQUEST_FD REPLY_FD`` inside the
box. It answers each request with data only (see ``wire``); whatever it answers, the
trusted side checks behaviour on inputs it chose, so a worker that lies gains nothing.
"""

from __future__ import annotations

import collections
import contextlib
import os
import sys
import traceback
from pathlib import Path

import torch
import torch.nn as nn

from grader.grading.worker import data_memo, module_state, objects, wire
from grader.testkit import guards
from grader.testkit import harness, targets
from grader.testkit import probes

HOOK_DICTS = ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks",
              "_backward_pre_hooks", "_state_dict_hooks", "_state_dict_pre_hooks",
              "_load_state_dict_pre_hooks", "_load_state_dict_post_hooks",
              "_forward_hooks_with_kwargs", "_forward_pre_hooks_with_kwargs",
              "_forward_hooks_always_called")
MAX_LISTING = 100_000


class Worker:
    def __init__(self, topic_dir: Path):
        self.topic_dir = topic_dir
        self.objects: dict[int, object] = {}
        self.import_failures: dict[str, tuple[str, str]] = {}  # -> (message, kind)
        self.builtin_modules = wire.library_modules()
        self.transforms = wire.library_transforms()

    # --- objects the trusted side refers to ----------------------------------------
    def register(self, obj) -> int:
        key = id(obj)
        self.objects[key] = obj
        return key

    def resolve(self, pid):
        kind, key = pid
        if kind != "ref" or key not in self.objects:
            raise KeyError(f"unknown object {pid!r}")
        return self.objects[key]

    def module(self, name: str):
        if name in self.import_failures:
            raise ImportFailed(*self.import_failures[name])
        try:
            return targets.import_exercise(self.topic_dir, name)
        except KeyboardInterrupt:
            raise
        except BaseException as exc:
            self.import_failures[name] = (harness.describe_import_failure(
                self.topic_dir / f"{name}.py", exc), harness.import_failure_kind(exc))
            raise ImportFailed(*self.import_failures[name]) from None

    # --- encoding a value for the trusted side --------------------------------------
    def encode(self, value, memo=None):
        memo = {} if memo is None else memo
        if value is None or type(value) in (bool, int, float, str):
            return value
        if isinstance(value, (bytes, bytearray)):
            return {"__bytes__": torch.tensor(list(value[:1 << 24]), dtype=torch.uint8)}
        from torchvision.transforms import InterpolationMode

        if type(value) is InterpolationMode:
            return value
        for plain in (bool, int, float, str):  # subclasses lose their own __eq__ and __str__
            if isinstance(value, plain):
                return plain(value)
        try:
            import numpy as np

            if isinstance(value, np.generic):
                return value.item()
            if isinstance(value, np.ndarray) and value.dtype != object:
                return {"__ndarray__": torch.from_numpy(np.ascontiguousarray(value)).clone()}
        except ImportError:  # pragma: no cover
            pass
        if isinstance(value, torch.Tensor):
            return self._tensor(value)
        if isinstance(value, os.PathLike):
            return os.fspath(value)
        if isinstance(value, (torch.dtype, torch.device)):
            return value
        if isinstance(value, torch.Size):
            return tuple(int(v) for v in value)
        if isinstance(value, (tuple, list)):
            out = [self.encode(v, memo) for v in value]
            return out if isinstance(value, list) else tuple(out)
        if isinstance(value, (set, frozenset)) and all(
                type(v) in (int, str, float, bool) for v in value):
            return set(value)
        if isinstance(value, dict) and all(type(k) in (str, int, float, bool) for k in value):
            return {k: self.encode(v, memo) for k, v in value.items()}
        if isinstance(value, nn.Module):
            return self.mirror(value, memo)
        if type(value) in self.transforms:
            return self._copy_object(value, memo)
        return self.handle(value)

    def _tensor(self, t: torch.Tensor) -> torch.Tensor:
        out = t.detach()
        if out.device.type not in ("cpu", "meta"):
            out = out.cpu()
        if isinstance(t, nn.Parameter):
            return nn.Parameter(out, requires_grad=t.requires_grad)
        if t.requires_grad and out.is_floating_point():
            out = out.clone().requires_grad_(True)
        return out

    def handle(self, value) -> objects.Handle:
        try:
            text = repr(value)[:300]
        except Exception:
            text = ""
        return objects.Handle(self.register(value), type(value).__qualname__, text)

    def _copy_object(self, value, memo):
        if id(value) in memo:
            return memo[id(value)]
        copy = type(value).__new__(type(value))
        memo[id(value)] = copy
        copy.__dict__.update(self._state(value, memo, tolerant=False))
        return copy

    def _state(self, value, memo, tolerant: bool) -> dict:
        """An object's attributes as sent: hooks dropped, child modules mirrored, tensors
        copied. ``tolerant``: attributes that cannot be sent (and dunder ones) are left out."""
        state = {}
        for key, item in vars(value).items():
            if key in HOOK_DICTS:
                state[key] = collections.OrderedDict()
            elif key == "_modules":
                state[key] = collections.OrderedDict(
                    (n, None if c is None else self.mirror(c, memo)) for n, c in item.items())
            elif key in ("_parameters", "_buffers"):
                state[key] = collections.OrderedDict(
                    (n, None if t is None else self._tensor(t)) for n, t in item.items())
            elif key.startswith("_remote") or (tolerant and key.startswith("__")):
                continue
            elif not tolerant:
                state[key] = self.encode(item, memo)
            else:
                try:
                    state[key] = self.encode(item, memo)
                except Exception:
                    continue
        return state

    def mirror(self, module: nn.Module, memo):
        if id(module) in memo:
            return memo[id(module)]
        if type(module) in self.builtin_modules or type(module) in self.transforms:
            return self._copy_object(module, memo)
        copy = objects.RemoteModule.__new__(objects.RemoteModule)
        memo[id(module)] = copy
        state = self._state(module, memo, tolerant=True)
        state["_non_persistent_buffers_set"] = set(
            getattr(module, "_non_persistent_buffers_set", set()))
        state["_remote_id"] = self.register(module)
        state["_remote_type"] = type(module).__name__
        state["_remote_mro"] = tuple(c.__name__ for c in type(module).__mro__)
        copy.__dict__.update(state)
        return copy

    # --- applying the trusted side's state to the worker's objects -------------------
    def sync(self, target: nn.Module, state: dict) -> None:
        module_state.apply(target, state, self.builtin_modules)

    # --- requests ------------------------------------------------------------------
    def target(self, spec):
        kind, value = spec
        if kind == "module":
            return self.module(value)
        if kind == "obj":  # already resolved from its persistent id
            return value
        raise ValueError(f"unknown target {kind!r}")

    def run(self, request: dict):
        self.synced, self.before = [], {}
        for ref, state in request.get("sync", ()):
            target = self.resolve(ref)
            self.sync(target, state)
            self.synced.append(ref[1])
        for key in self.synced:  # what the trusted side holds now: only changes go back
            self.before[key] = {n: t.detach().clone() if isinstance(t, torch.Tensor) else t
                                for n, t in self.objects[key].state_dict().items()}
        op = request["op"]
        if op == "ping":
            return None
        if op == "import":
            self.module(request["module"])
            return None
        if op == "probe":
            func = getattr(probes, request["name"])
            args = [self._student(a) for a in request["args"]]
            return func(*args, **request["kwargs"])
        obj = self.target(request["target"])
        for name in request.get("path", ()):
            obj = getattr(obj, name)
        if op == "get":
            return obj
        if op == "call":
            return obj(*request["args"], **request["kwargs"])
        if op == "list":
            out = []
            for i, item in enumerate(obj):
                if i >= MAX_LISTING:
                    raise ValueError(f"more than {MAX_LISTING} items")
                out.append(item)
            return out
        if op == "len":
            return len(obj)
        if op == "item":
            return obj[request["key"]]
        raise ValueError(f"unknown request {op!r}")

    def _student(self, arg):
        if isinstance(arg, tuple) and len(arg) == 2 and arg[0] == "module":
            return self.module(arg[1])
        return arg

    def answer(self, request: dict) -> dict:
        options = request.get("options", {})
        rng = options.get("rng")
        if isinstance(rng, torch.Tensor):
            torch.set_rng_state(rng)
        with _default_device(options.get("device", "cpu")), \
                torch.set_grad_enabled(options.get("grad", True)), \
                guards.applied([g for g in options.get("guards", ()) if g in guards.GUARDS]):
            value = self.run(request)
        # the call may have changed the modules it used (BatchNorm statistics, training):
        # each tensor that differs, bit for bit, from what the trusted side holds goes back
        after = {key: self.changed_state(key) for key in self.synced}
        return {"ok": self.encode(value), "states": after}

    def changed_state(self, key: int) -> dict:
        before = self.before.get(key, {})
        return {n: self._tensor(t) for n, t in self.objects[key].state_dict().items()
                if n not in before or not module_state.bit_equal(before[n], t)}


def _default_device(device):
    """The test's default device for one call. Entered only where it differs from the
    process's: a ``torch.device`` context routes every torch call through Python (about
    5 us each, a tenth of a small training loop)."""
    wanted = torch.device(device)
    return contextlib.nullcontext() if wanted == torch.get_default_device() else wanted


class ImportFailed(Exception):
    """The exercise file could not be imported (the message says why, for the student;
    ``kind``, one of ``failure_kinds.IMPORT_KINDS``, in no language)."""

    def __init__(self, message: str, kind: str = "import_error"):
        super().__init__(message)
        self.kind = kind


def describe_error(exc: BaseException) -> dict:
    frames = traceback.extract_tb(exc.__traceback__)
    kit = Path(__file__).resolve().parents[2]  # grader/
    mine = [f for f in frames if not Path(f.filename).resolve().is_relative_to(kit)
            and "site-packages" not in f.filename]
    where = [f"{Path(f.filename).name}:{f.lineno} in {f.name}" for f in mine[-3:]]
    return {"type": "ExerciseImportError" if isinstance(exc, ImportFailed)
            else type(exc).__name__, "message": str(exc)[:8000], "where": where,
            **({"kind": exc.kind} if isinstance(exc, ImportFailed) else {})}


def insulate() -> None:
    """Keep the host's accidents out of the box. Lightning asks mpi4py for the world size
    when mpi4py is installed, and Open MPI then tries to start a daemon, which a box with
    no network cannot: the import fails, and Lightning takes it as "no MPI here"."""
    sys.modules["mpi4py"] = None  # type: ignore[assignment]


def main(argv: list[str]) -> int:
    topic_dir, request_fd, reply_fd = Path(argv[0]), int(argv[1]), int(argv[2])
    insulate()
    data_memo.install()
    worker = Worker(topic_dir)
    while True:
        try:
            data = wire.receive(request_fd, 1 << 34)
        except EOFError:
            return 0
        try:
            request = wire.load_request(data, worker.resolve)
            reply = worker.answer(request)
            payload = wire.dump_reply(reply)
        except SystemExit as exc:  # sys.exit in student code: an error, not the end
            payload = wire.dump_reply({"error": {
                "type": "SystemExit", "message": f"the code called exit({exc.code!r})",
                "where": []}})
        except BaseException as exc:  # noqa: BLE001 - every failure goes back as data
            try:
                payload = wire.dump_reply({"error": describe_error(exc)})
            except Exception:
                payload = wire.dump_reply({"error": {"type": type(exc).__name__,
                                                     "message": "", "where": []}})
        wire.send(reply_fd, payload)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
