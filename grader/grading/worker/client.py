"""The trusted side of a worker: start it in its box, call it, restart it after a death.

One worker serves one topic folder of one submission for a whole test session. A call
that dies, overruns the test's time or answers nonsense kills the worker; the next call
starts a fresh one, so one broken test never decides another.
"""

from __future__ import annotations

import os
import subprocess

import torch

from grader.core.i18n import pick
from grader.grading.box import bubblewrap as boxes
from grader.grading.worker import objects, replies, wire
from grader.grading.worker.spec import WorkerSpec, worker_env
from grader.testkit.harness import ExerciseImportError

REPLY_CAP = 2 << 30


class WorkerDied(AssertionError):
    """The student's process ended (or was stopped) during a call."""


class WorkerClient:
    """One worker, built whole from its ``WorkerSpec``. ``guards``: the session's list of
    guards in force, read at each call; ``call_timeout``: seconds per call (a timer)."""

    def __init__(self, spec: WorkerSpec, guards: list[str] | None = None):
        self.spec = spec
        self.limits = spec.limits
        self.guards = guards if guards is not None else []
        self.log = open(spec.log, "ab") if spec.log else None  # noqa: SIM115 - see close
        self.template = spec.template  # dropped for good once a fork there fails
        self.proc: subprocess.Popen | None = None
        self.imported: set[str] = set()  # modules the running worker has imported
        self.call_timeout: float | None = None
        self.expired = False
        self.broken: dict[str, str] = {}  # modules whose import killed or hung the worker
        self.request_fd = self.reply_fd = None

    # --- the process -----------------------------------------------------------------
    def start(self) -> None:
        spec = self.spec
        if spec.forkable and self.template is not None and self._fork_from_template():
            return
        req_r, req_w = os.pipe()
        rep_r, rep_w = os.pipe()
        argv = [boxes.python(), "-I", "-m", "grader.grading.worker.worker", spec.topic_dir_inside,
                str(req_r), str(rep_w)]
        env = {**worker_env(), **dict(spec.env)}
        if spec.boxed:
            cmd, staged = boxes.command(spec.box, argv, spec.limits, inside=str(spec.box),
                                        gpu=spec.gpu, cover=list(spec.cover))
            preexec = boxes.preexec(spec.limits, spec.host_uid, staged, gpu=spec.gpu)
        else:  # the kit's own tests of the protocol, without a box
            cmd, preexec = argv, os.setsid
        for fd in (req_r, rep_w):
            os.set_inheritable(fd, True)
        try:
            self.proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL,
                                         stdout=self.log, stderr=self.log,
                                         pass_fds=(req_r, rep_w), preexec_fn=preexec)
        finally:
            os.close(req_r)
            os.close(rep_w)
        self.request_fd, self.reply_fd = req_w, rep_r

    def _fork_from_template(self) -> bool:
        """A worker forked in the student's warm box; False (and the box is not asked
        again) when it cannot be."""
        req_r, req_w = os.pipe()
        rep_r, rep_w = os.pipe()
        try:
            self.proc = self.template.fork(self.spec.topic_dir_inside, req_r, rep_w,
                                           self.log.fileno() if self.log else 1)
        finally:
            os.close(req_r)
            os.close(rep_w)
        if self.proc is None:
            os.close(req_w)
            os.close(rep_r)
            self.template = None
            return False
        self.request_fd, self.reply_fd = req_w, rep_r
        return True

    def _kill(self) -> None:
        if isinstance(self.proc, subprocess.Popen):
            boxes.kill(self.proc)
        else:  # forked in the warm box: its pid is the box's
            self.proc.kill()

    def _expire(self) -> None:
        self.expired = True
        if self.proc is not None:
            self._kill()

    def close(self) -> None:
        """The worker stopped and its log closed: this client is done."""
        self.stop()
        if self.log is not None:
            self.log.close()
            self.log = None

    def stop(self) -> None:
        if self.proc is not None:
            self._kill()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:  # pragma: no cover
                pass
        for fd in (self.request_fd, self.reply_fd):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self.proc = None
        self.request_fd = self.reply_fd = None
        self.imported = set()

    def _death(self) -> str:
        code = self.proc.poll() if self.proc else None
        if code is None:
            return pick({"en": "it sent something that is not an answer",
                         "vi": "nó gửi về dữ liệu không phải câu trả lời"})
        if code < 0 or code > 128:
            import signal

            number = -code if code < 0 else code - 128
            try:
                name = signal.Signals(number).name
            except ValueError:
                name = str(number)
            return pick({
                "en": f"it was killed by {name} (a crash, or the memory cap of "
                      f"{self.limits.memory_mb} MB)",
                "vi": f"nó bị dừng bởi {name} (chương trình lỗi, hoặc vượt giới hạn bộ nhớ "
                      f"{self.limits.memory_mb} MB)"})
        return pick({"en": f"it ended early with exit code {code} (os._exit, or a crash)",
                     "vi": f"nó kết thúc sớm với mã thoát {code} (os._exit, hoặc chương trình "
                           "lỗi)"})

    # --- one request -------------------------------------------------------------------
    def ensure_started(self) -> None:
        """Start the worker and wait until it answers. The test's time limit is paused
        meanwhile: starting Python and importing torch in a box is the grader's cost."""
        if self.proc is not None:
            return
        import signal

        remaining = signal.setitimer(signal.ITIMER_REAL, 0)[0] if hasattr(
            signal, "setitimer") else 0
        try:
            self.start()
            self._exchange({"op": "ping"})
        finally:
            if remaining:
                signal.setitimer(signal.ITIMER_REAL, remaining)

    def request(self, request: dict):
        self.ensure_started()
        return self._exchange(request)

    def _with_state(self, request: dict, mirrors: dict, ref) -> dict:
        """The request with every mirror it involves (and their submodules) to push to the
        worker first, and the caller's device, grad mode, RNG state and guards."""
        wire.find_remote(request, ref)  # first pass: find the mirrors involved
        done: set[int] = set()
        while len(done) < len(mirrors):
            for key, mirror in list(mirrors.items()):
                if key in done:
                    continue
                done.add(key)
                for sub in mirror.modules():
                    if isinstance(sub, objects.RemoteModule):
                        mirrors.setdefault(sub._remote_id, sub)
        sync = [(("ref", key), {
            "_parameters": dict(mirror._parameters), "_buffers": dict(mirror._buffers),
            "_modules": dict(mirror._modules), "training": mirror.training})
            for key, mirror in mirrors.items()]
        return {**request, "sync": sync, "options": {
            "device": str(torch.get_default_device()), "grad": torch.is_grad_enabled(),
            "rng": torch.get_rng_state(), "guards": list(self.guards)}}

    def _exchange(self, request: dict):
        mirrors: dict[int, objects.RemoteModule] = {}

        def ref(obj):
            if isinstance(obj, objects.RemoteModule):
                mirrors.setdefault(obj._remote_id, obj)
                return ("ref", obj._remote_id)
            if isinstance(obj, objects.Handle):
                return ("ref", obj._remote_id)
            return None

        request = self._with_state(request, mirrors, ref)
        payload = wire.dump_request(request, ref)
        timer = None
        if self.call_timeout:  # where no alarm can be used (a grader thread): kill the box
            import threading

            timer = threading.Timer(self.call_timeout, self._expire)
            timer.daemon = True
            timer.start()
        frame = wire.Frame()  # what the reply's header announced, and what came of it
        try:
            wire.send(self.request_fd, payload)
            reply = wire.load_reply(wire.receive(self.reply_fd, REPLY_CAP, wire.STALL_S, frame))
        except BaseException as exc:  # a timeout, a death, a broken reply: start afresh
            why = None
            if type(exc).__name__ == "TestTimeout" and replies.begun(frame):
                self.stop()  # the test's time ran out inside a reply: name the reply
                named = type(exc)(pick(replies.reply_timeout(frame)))
                named.in_reply = True
                raise named from None
            if self.expired:
                why = pick({"en": f"it ran past its time limit of {self.call_timeout:.0f} s "
                                  "and was stopped",
                            "vi": f"nó chạy quá giới hạn {self.call_timeout:.0f} giây nên đã "
                                  "bị dừng"})
            elif isinstance(exc, (EOFError, BrokenPipeError, wire.WireError)):
                if self.proc is not None:
                    try:
                        self.proc.wait(timeout=2)
                    except subprocess.TimeoutExpired:
                        pass
                why = str(exc) if isinstance(exc, wire.WireError) else self._death()
                if isinstance(exc, EOFError) and replies.begun(frame):
                    told = frame.describe()
                    why += pick({"en": f", in the middle of its reply ({told['en']})",
                                 "vi": f", giữa chừng câu trả lời ({told['vi']})"})
            self.stop()
            if why is None:
                raise
            raise WorkerDied(pick({
                "en": f"the student's code stopped answering during this call: {why}",
                "vi": f"mã của sinh viên ngừng trả lời trong lần gọi này: {why}"})) from None
        finally:
            if timer is not None:
                timer.cancel()
            self.expired = False
        value = self._unpack(reply)
        self._pull_states(reply, mirrors)
        return value

    @staticmethod
    def _pull_states(reply, mirrors) -> None:
        """Copy back what the call changed in the modules it used (values only: a tensor
        whose name or shape is not the mirror's is ignored)."""
        states = reply.get("states") if isinstance(reply, dict) else None
        if not isinstance(states, dict):
            return
        for key, state in states.items():
            mirror = mirrors.get(key)
            if mirror is None or not isinstance(state, dict):
                continue
            mine = mirror.state_dict(keep_vars=True)
            with torch.no_grad():
                for name, new in state.items():
                    old = mine.get(name)
                    if isinstance(new, torch.Tensor) and isinstance(old, torch.Tensor) and \
                            old.shape == new.shape and old.dtype == new.dtype and \
                            old.device == new.device:
                        old.copy_(new)

    def _unpack(self, reply):
        if not isinstance(reply, dict) or ("ok" not in reply and "error" not in reply):
            self.stop()
            raise WorkerDied(pick({"en": "the student's process sent a malformed answer",
                                   "vi": "tiến trình của sinh viên gửi câu trả lời sai dạng"}))
        if "error" in reply:
            self._pull_states(reply, {})
            err = reply["error"] if isinstance(reply["error"], dict) else {}
            replies.raise_remote(err)
        return replies.restore(reply["ok"])

    # --- the operations the harness uses ---------------------------------------------
    def import_module(self, module: str) -> None:
        """Import ``module`` in the worker first: an import that kills or hangs the worker
        fails every later test of that file at once, with the same reason."""
        if module in self.broken:
            raise ExerciseImportError(self.broken[module])
        if module in self.imported and self.proc is not None:
            return
        try:
            self.request({"op": "import", "module": module})
        except WorkerDied as exc:
            self.broken[module] = pick({"en": f"importing {module}.py: ",
                                        "vi": f"khi import {module}.py: "}) + str(exc)
            raise ExerciseImportError(self.broken[module]) from None
        except BaseException as exc:
            if getattr(exc, "in_reply", False):
                self.broken[module] = pick({"en": f"importing {module}.py: ",
                                            "vi": f"khi import {module}.py: "}) + str(exc)
            elif type(exc).__name__ == "TestTimeout":
                self.broken[module] = pick({
                    "en": f"importing {module}.py ran longer than a test's time limit: code "
                          "at module level runs on import, and something there (a loop, or "
                          "very slow work) never let it finish",
                    "vi": f"việc import {module}.py không xong trong giới hạn thời gian của "
                          "một bài kiểm tra: code ở cấp module chạy ngay khi import, và có "
                          "thứ gì đó ở đó (một vòng lặp, hoặc việc rất chậm) khiến nó không "
                          "xong"})
            raise
        self.imported.add(module)

    def module_attr(self, module: str, name: str):
        self.import_module(module)
        return self.request({"op": "get", "target": ("module", module), "path": [name]})

    def getattr(self, obj, name: str):
        return self.request({"op": "get", "target": ("obj", obj), "path": [name]})

    def call(self, obj, args, kwargs):
        return self.request({"op": "call", "target": ("obj", obj), "path": [],
                             "args": tuple(args), "kwargs": dict(kwargs)})

    def listing(self, obj):
        return self.request({"op": "list", "target": ("obj", obj)})

    def length(self, obj):
        return self.request({"op": "len", "target": ("obj", obj)})

    def item(self, obj, key):
        return self.request({"op": "item", "target": ("obj", obj), "key": key})

    def probe(self, name: str, args, kwargs):
        return self.request({"op": "probe", "name": name, "args": tuple(args),
                             "kwargs": dict(kwargs)})
