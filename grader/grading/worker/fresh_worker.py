"""A forked worker that starts in a state the grader sets, never one a classmate left.

The warm template (``template.py``) forks each worker. Forking alone would hand the child
the template's namespaces and whatever its execution context had become, and a worker
could reach the template (same uid, same pid namespace): ``prlimit`` its parent, say, and
lower the limits of every later worker. So each fork goes through three processes:

* the **holder**, in the template's pid namespace: it unshares new pid, network, IPC, UTS
  and mount namespaces and waits, handing the worker's exit status to the template;
* the **init**, pid 1 of the new pid namespace: it mounts a fresh ``/proc``, a fresh
  ``/dev/shm`` and a fresh ``/tmp`` (the read-only binds under ``/tmp`` laid again), forks
  the worker, reaps, and ends the namespace when the worker ends;
* the **worker**, pid 2: it sets its whole execution context from ``Context`` (resource
  limits, nice value, scheduler, CPU affinity, umask, signal dispositions and mask,
  environment, working folder), drops every capability, sets no-new-privileges, checks
  all of that, and only then runs student code.

From the worker, the template's pid does not exist (signals, ``prlimit``, ``ptrace`` name
pids in the caller's namespace), no socket, TIME_WAIT entry or abstract name of an earlier
worker is visible (a new network namespace), and no SysV or POSIX IPC object survives.
The template needs CAP_SYS_ADMIN (and CAP_SETPCAP, to empty the bounding set) inside the box's user namespace for this (bwrap
``--cap-add``); the worker never holds it.
"""

from __future__ import annotations

import ctypes
import os
import re
import resource
import signal
from dataclasses import dataclass, field

_libc = ctypes.CDLL(None, use_errno=True)

_CLONE_NEWNS, _CLONE_NEWUTS, _CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
_CLONE_NEWPID, _CLONE_NEWNET = 0x20000000, 0x40000000
FRESH_NAMESPACES = _CLONE_NEWNS | _CLONE_NEWUTS | _CLONE_NEWIPC | _CLONE_NEWPID | _CLONE_NEWNET
_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_NOEXEC = 0x1, 0x2, 0x4, 0x8
_MS_REMOUNT, _MS_BIND, _MS_REC, _MS_PRIVATE = 0x20, 0x1000, 0x4000, 0x40000
_MNT_DETACH = 2
_PR_SET_PDEATHSIG, _PR_SET_DUMPABLE, _PR_CAPBSET_DROP = 1, 4, 24
_PR_SET_NO_NEW_PRIVS, _PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL = 38, 47, 4
_CAP_VERSION_3 = 0x20080522
_RLIMITS = [getattr(resource, name) for name in dir(resource) if name.startswith("RLIMIT_")]
_UMASK = 0o022
SCRATCH_MOUNTS = ("/tmp", "/dev/shm")


class NotIsolated(OSError):
    """A fresh worker could not be set up: the machine's fault, never the student's."""


@dataclass(frozen=True)
class Context:
    """The execution context every worker starts from, read once when the template starts
    (before any request, so before any student code exists in the box)."""

    rlimits: dict[int, tuple[int, int]]
    nice: int
    affinity: frozenset[int]
    environ: dict[str, str]
    cwd: str
    signals: dict[int, object]
    scratch_bytes: dict[str, int] = field(default_factory=dict)

    @classmethod
    def now(cls) -> "Context":
        return cls(rlimits={r: resource.getrlimit(r) for r in _RLIMITS},
                   nice=os.getpriority(os.PRIO_PROCESS, 0),
                   affinity=frozenset(os.sched_getaffinity(0)),
                   environ=dict(os.environ), cwd=os.getcwd(), signals=_dispositions(),
                   scratch_bytes={m: _size(m) for m in SCRATCH_MOUNTS})

    def drift(self) -> list[str]:
        """What of the template's own context differs from when it started (a fork from a
        changed template is refused: its workers start cold, in new boxes)."""
        found = [f"rlimit {r}" for r, v in self.rlimits.items() if resource.getrlimit(r) != v]
        if os.getpriority(os.PRIO_PROCESS, 0) != self.nice:
            found.append("nice")
        if os.sched_getscheduler(0) != os.SCHED_OTHER:
            found.append("scheduler")
        if frozenset(os.sched_getaffinity(0)) != self.affinity:
            found.append("affinity")
        return found


def _dispositions() -> dict[int, object]:
    found = {}
    for sig in signal.valid_signals():
        if sig in (signal.SIGKILL, signal.SIGSTOP):
            continue
        try:
            found[sig] = signal.getsignal(sig)
        except (OSError, ValueError):
            continue
    return found


def _size(mount: str) -> int:
    try:
        st = os.statvfs(mount)
    except OSError:
        return 0
    return st.f_blocks * st.f_frsize


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise NotIsolated(err, f"{what}: {os.strerror(err)}")


def _mount(source: str | None, target: str, fstype: str | None, flags: int,
           data: str | None = None) -> None:
    enc = (lambda s: s.encode() if s is not None else None)
    _check(_libc.mount(enc(source), enc(target), enc(fstype), flags, enc(data)),
           f"mount {target}")


# --- the holder: new namespaces, then the init -------------------------------------
def fork_fresh(context: Context, worker_fds: tuple[int, ...] = ()) -> None:
    """In the template's forked child: enter new namespaces and start the namespace's init.
    Returns only in the worker (pid 2 of the new namespace), its context set; the holder
    and the init close ``worker_fds`` (so the worker's pipes end with the worker) and exit
    with the worker's status."""
    _check(_libc.unshare(FRESH_NAMESPACES), "unshare")
    status_r, status_w = os.pipe()
    init = os.fork()
    if init == 0:
        os.close(status_r)
        _init(context, status_w, worker_fds)
        return
    os.close(status_w)
    _close(worker_fds)
    _hold(init, status_r)


def _close(fds) -> None:
    for fd in fds:
        try:
            os.close(fd)
        except OSError:
            pass


def _hold(init: int, status_r: int) -> None:
    """Wait for the init; end as the worker ended (its exit code, or its signal)."""
    _libc.prctl(_PR_SET_DUMPABLE, 0)
    data = b""
    while chunk := _read(status_r):
        data += chunk
    try:
        os.waitpid(init, 0)
    except ChildProcessError:
        pass
    status = int(data) if data.strip().isdigit() else None
    if status is None:
        os._exit(71)  # the init died before its worker: the grader sees a machine fault
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        signal.signal(sig, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, set())
        os.kill(os.getpid(), sig)
    os._exit(os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 70)


def _read(fd: int) -> bytes:
    try:
        return os.read(fd, 64)
    except InterruptedError:
        return b" "


# --- the init: pid 1 of the new namespace ------------------------------------------
def _init(context: Context, status_w: int, worker_fds) -> None:
    _libc.prctl(_PR_SET_DUMPABLE, 0)
    _fresh_mounts(context)
    worker = os.fork()
    if worker == 0:
        os.close(status_w)
        _become_worker(context)
        return
    _close(worker_fds)
    drop_capabilities()
    while True:  # reap everything; the worker's end is the namespace's end
        try:
            pid, status = os.waitpid(-1, 0)
        except ChildProcessError:
            status = 0
            break
        except InterruptedError:
            continue
        if pid == worker:
            break
    os.write(status_w, str(status).encode())
    os._exit(0)


def _fresh_mounts(context: Context) -> None:
    """A private mount tree with a new /proc, /dev/shm and /tmp; the read-only binds that
    lay under /tmp (the stage folder, a kit or a venv there) are laid again."""
    _mount("none", "/", None, _MS_REC | _MS_PRIVATE)
    _mount("proc", "/proc", "proc", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC)
    shm = context.scratch_bytes.get("/dev/shm") or 64 << 20
    _mount("tmpfs", "/dev/shm", "tmpfs", _MS_NOSUID | _MS_NODEV, f"size={shm},mode=1777")
    keep = "/dev/shm/.binds"
    tops = [(point, os.path.isdir(point)) for point in _binds_under("/tmp")]
    os.mkdir(keep, 0o700)
    for i, (point, folder) in enumerate(tops):
        _mount_point(f"{keep}/{i}", folder)
        _mount(point, f"{keep}/{i}", None, _MS_BIND | _MS_REC)
    tmp = context.scratch_bytes.get("/tmp") or 256 << 20
    _mount("tmpfs", "/tmp", "tmpfs", _MS_NOSUID | _MS_NODEV, f"size={tmp},mode=1777")
    for i, (point, folder) in enumerate(tops):
        os.makedirs(os.path.dirname(point), exist_ok=True)
        _mount_point(point, folder)
        _mount(f"{keep}/{i}", point, None, _MS_BIND | _MS_REC)
        _mount(None, point, None, _MS_REMOUNT | _MS_BIND | _MS_RDONLY | _MS_NOSUID | _MS_NODEV)
        _check(_libc.umount2(f"{keep}/{i}".encode(), _MNT_DETACH), "umount")
        (os.rmdir if folder else os.unlink)(f"{keep}/{i}")
    os.rmdir(keep)


def _mount_point(path: str, folder: bool) -> None:
    """An empty folder, or an empty file for a file's bind (a topic.toml alone)."""
    if folder:
        os.makedirs(path, exist_ok=True)
    elif not os.path.exists(path):
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o644))


def _binds_under(folder: str) -> list[str]:
    """The outermost mount points below ``folder`` (not ``folder`` itself)."""
    points = []
    with open("/proc/self/mountinfo", encoding="utf-8") as table:
        for line in table:
            raw = line.split()[4]
            points.append(re.sub(r"\\([0-7]{3})", lambda m: chr(int(m[1], 8)), raw))
    below = sorted({p for p in points if p.startswith(folder.rstrip("/") + "/")})
    return [p for p in below if not any(p != q and p.startswith(q + "/") for q in below)]


# --- the worker: pid 2 ------------------------------------------------------------
def _become_worker(context: Context) -> None:
    """The whole execution context from ``context``, no capability, then checked."""
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    os.setsid()
    for r, (soft, hard) in context.rlimits.items():
        resource.setrlimit(r, (soft, hard))
    now = os.getpriority(os.PRIO_PROCESS, 0)
    if now != context.nice:
        os.setpriority(os.PRIO_PROCESS, 0, context.nice)
    os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))
    os.sched_setaffinity(0, context.affinity)
    os.umask(_UMASK)
    for sig, handler in context.signals.items():
        try:
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
        except (OSError, ValueError, TypeError):
            continue
    signal.pthread_sigmask(signal.SIG_SETMASK, set())
    os.environ.clear()
    os.environ.update(context.environ)
    os.chdir(context.cwd)
    drop_capabilities()
    _libc.prctl(_PR_SET_DUMPABLE, 1)  # an ordinary process: its own code may read /proc/self
    problems = verify(context)
    if problems:
        raise NotIsolated(0, "; ".join(problems))


def drop_capabilities() -> None:
    """No capability left in any set, none to regain: no-new-privileges, ambient set
    cleared, bounding set emptied where allowed, then capset to zero."""
    _check(_libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    _libc.prctl(_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    for cap in range(64):
        if _libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 and ctypes.get_errno() == 22:
            break  # past the last capability this kernel knows
    header = (ctypes.c_uint32 * 2)(_CAP_VERSION_3, 0)
    data = (ctypes.c_uint32 * 6)()
    _check(_libc.capset(header, data), "capset")


def _status_fields() -> dict[str, str]:
    with open("/proc/self/status", encoding="ascii") as status:
        return dict(line.rstrip("\n").split(":\t", 1) for line in status if ":\t" in line)


def verify(context: Context) -> list[str]:
    """What does not hold of a fresh worker (empty when everything does)."""
    fields, problems = _status_fields(), []
    for name in ("CapInh", "CapPrm", "CapEff", "CapAmb"):
        if int(fields.get(name, "1"), 16) != 0:
            problems.append(f"{name} {fields.get(name)}")
    if fields.get("NoNewPrivs", "0").strip() != "1":
        problems.append("no_new_privs is off")
    if os.getpid() != 2 or os.getppid() != 1:
        problems.append(f"pid {os.getpid()} (parent {os.getppid()}): not a fresh pid namespace")
    for r, value in context.rlimits.items():
        if resource.getrlimit(r) != value:
            problems.append(f"rlimit {r}")
    if os.getpriority(os.PRIO_PROCESS, 0) != context.nice:
        problems.append("nice")
    return problems
