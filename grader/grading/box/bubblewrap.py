"""The box a student's run lives in: bubblewrap, an unprivileged uid, no way out.

* a grader running as root drops to an unprivileged uid on the host (65534,
  "nobody", and a neighbour uid for each extra parallel job) before it starts
  ``bwrap``: the kernel ignores RLIMIT_NPROC for real root, so only then is the
  process-count limit enforced, and counted per box. Bind sources that uid
  cannot reach (a Python under ``/root``) are first bound, as root, into a
  staging folder inside a private mount namespace;
* new user, pid, network, ipc, uts and cgroup namespaces; uid 65534 inside;
  ``--die-with-parent``; new user namespaces disabled inside;
* read-only binds of only the Python environment, the kit's ``grader`` package, each
  topic's ``topic.toml`` (a file each: never the ``exercises/`` folder, which in an
  instructor's checkout can hold solved files), the data folders and the box folder (the
  kit's tests and the student's whitelisted files): no ``solutions/``, no other
  submission, no output folder, no ``/run``, no host ``/tmp``; scratch space is a
  private, size-capped tmpfs;
* when the run ends (or is killed) bwrap's init dies, and the kernel kills
  everything left in the pid namespace: no daemon outlives its run.

Where bwrap cannot run, ``require()`` raises ``BoxUnavailable``: grading stops; it
never falls back to running student code unboxed."""

from __future__ import annotations

import atexit
import ctypes
import os
import resource
import shutil
import signal
import stat
import subprocess
import sys
import sysconfig
import tempfile
from functools import lru_cache
from pathlib import Path

import grader
from grader.core import manifest, paths
from grader.core.i18n import pick
from grader.core.limits import Limits
from grader.grading.box.uids import BoxUnavailable, leased_uid


INSIDE_UID = 65534

BOX_DIR = "/box"  # where the box folder appears inside

PASSWD = "nobody:x:65534:65534:nobody:/tmp:/usr/sbin/nologin\n"

GROUP = "nogroup:x:65534:\n"

def _system_binds() -> list[str]:
    """/usr read-only, and the merged-/usr links (or binds where they are folders)."""
    args = ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        top = Path("/") / name
        if top.is_symlink():
            args += ["--symlink", os.readlink(top), str(top)]
        elif top.is_dir():
            args += ["--ro-bind", str(top), str(top)]
    for name in ("ld.so.cache", "localtime", "alternatives"):
        args += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    return args

def bind_sources() -> list[Path]:
    """Everything the worker reads: the interpreter's prefixes and every folder on its
    import path (a course environment may add site folders through ``.pth`` files or
    ``PYTHONPATH``), the kit's ``grader`` package, its data manifest, each topic's
    ``topic.toml`` (a graded run's settings; the file alone, see ``topic_manifests``),
    the data folders, the torch hub cache and, for a GPU, the CUDA driver's library
    folders. Folders first, then files."""
    wanted = {Path(sys.prefix), Path(sys.base_prefix), Path(grader.__file__).parent,
              paths.data_root(), paths.shared_mirror(), paths.KIT_ROOT / "datasets"}
    for key in ("purelib", "platlib"):
        wanted.add(Path(sysconfig.get_paths()[key]))
    wanted.update(_site_folders())
    torch_home = os.environ.get("TORCH_HOME")
    if torch_home:
        wanted.add(Path(torch_home))
    wanted.update(cuda_library_dirs())
    found = sorted({p.resolve() for p in wanted if p.is_dir()})
    # a folder inside another one is bound with it (site-packages inside the venv)
    folders = [p for p in found if not p.is_relative_to("/usr")
               and not any(p != q and p.is_relative_to(q) for q in found)]
    return folders + [f for f in topic_manifests()
                      if not any(f.is_relative_to(q) for q in folders)]

def topic_manifests() -> list[Path]:
    """Each topic's ``exercises/NN_topic/topic.toml``: what the worker reads of the kit's
    topic folders (``manifest.load_topic`` finds it there, as ``solutions/`` is not bound).
    Files, never their folder: in an instructor's checkout ``exercises/`` can hold solved
    files, and a box must not see them."""
    found = []
    for topic in paths.topics():
        path = (paths.exercises_dir() / topic / manifest.MANIFEST_NAME).resolve()
        if path.is_file():
            found.append(path)
    return found

def _site_folders() -> list[Path]:
    """Folders of installed packages on the import path, however they got there (``.pth``
    files, ``PYTHONPATH``). Only site folders: a script's folder or the kit's root on
    ``sys.path`` would show the box what it must not see."""
    kit = paths.KIT_ROOT.resolve()
    found = []
    for entry in sys.path:
        path = Path(entry) if entry else None
        if path is None or not path.is_absolute() or not path.is_dir():
            continue
        if path.name in ("site-packages", "dist-packages") and \
                not kit.is_relative_to(path.resolve()):
            found.append(path)
    return found

def cuda_library_dirs() -> list[Path]:
    """Where this node keeps the CUDA driver's libraries, outside ``/usr`` (for example
    ``/usr/local/nvidia`` on a GPU node, or a folder named in ``LD_LIBRARY_PATH``)."""
    found = [Path(p) for p in os.environ.get("LD_LIBRARY_PATH", "").split(":")
             if p and Path(p).is_absolute()]
    found += [Path("/usr/local/nvidia"), Path("/usr/local/cuda")]
    return [p for p in found if p.is_dir()]

def _reachable_by_others(path: Path) -> bool:
    """Whether a uid that owns nothing here can open ``path`` (a folder: read and enter
    it; a file: read it) and enter every folder above it."""
    for folder in [path, *path.parents]:
        mode = os.stat(folder).st_mode
        if folder == path and not mode & stat.S_IROTH:
            return False
        if (folder != path or stat.S_ISDIR(mode)) and not mode & stat.S_IXOTH:
            return False
    return True

@lru_cache(maxsize=None)
def _stage_dir() -> Path:
    """Where the staged binds are mounted (as root, each in a private mount namespace, so
    on the host they stay empty folders). One root-owned folder for the node, made once
    and shared by every grader process: a process that ends by ``os._exit`` (every forked
    run does) would leave a folder of its own behind. A private temporary folder where
    that one cannot be had or is not root's."""
    shared = Path("/run/lock/cnnkit-stage")
    try:
        shared.mkdir(mode=0o755, exist_ok=True)
        st = os.lstat(shared)
        if stat.S_ISDIR(st.st_mode) and st.st_uid == 0 and not st.st_mode & 0o022:
            return shared
    except OSError:
        pass
    folder = Path(tempfile.mkdtemp(prefix="cnnkit-stage-"))
    folder.chmod(0o755)
    atexit.register(shutil.rmtree, folder, True)
    return folder

def _binds(dropping: bool) -> tuple[list[str], list[tuple[str, str]]]:
    """bwrap's binds of the Python environment, the kit and the data; and, when the uid
    is dropped, the (source, staging folder) pairs to bind as root beforehand."""
    args, staged = [], []
    for i, path in enumerate(bind_sources()):
        source = str(path)
        if dropping and not _reachable_by_others(path):
            if path.is_dir():
                stage = _stage_dir() / str(i)
                stage.mkdir(mode=0o755, exist_ok=True)
            else:  # a file is bound onto a file
                stage = _stage_dir() / f"{i}.file"
                stage.touch(mode=0o644, exist_ok=True)
            staged.append((source, str(stage)))
            source = str(stage)
        args += ["--ro-bind", source, str(path)]
    return args, staged

def dropping_uid() -> bool:
    return os.getuid() == 0

def python() -> str:
    """This interpreter by a path the box can follow: ``..`` removed (a relative start
    such as ``../.venv/bin/python`` names folders the box does not hold), links kept (a
    venv's python is a link, and resolving it would lose the venv)."""
    return os.path.abspath(sys.executable)

def gpu_device_binds() -> list[str]:
    """The NVIDIA device nodes, for a box that trains on a GPU (the lease's
    ``CUDA_VISIBLE_DEVICES`` then says which GPU the run may use)."""
    args = []
    for node in sorted(Path("/dev").glob("nvidia*")):
        if not node.is_dir():
            args += ["--dev-bind-try", str(node), str(node)]
    return args

def command(box: Path, argv: list[str], limits: Limits, inside: str = BOX_DIR,
            gpu: bool = False, cover: list[tuple[str, str]] = (),
            caps: tuple[str, ...] = ()) -> tuple[list[str], list]:
    """The bwrap command line that runs ``argv`` inside ``box`` (seen as ``inside``), and
    the binds to stage before it starts (give both to ``preexec``). ``gpu``: the GPU
    device nodes are bound in too. ``cover``: ``(source, target)`` read-only binds laid
    over what is already bound (a training box's view of the test set). ``caps``:
    capabilities ``argv`` keeps inside the box's user namespace (a warm template's
    CAP_SYS_ADMIN, to give each worker fresh namespaces; it never reaches student code)."""
    for name, text in (("passwd", PASSWD), ("group", GROUP)):
        (box / f".{name}").write_text(text)
    binds, staged = _binds(dropping_uid())
    shm = limits.scratch_mb * 1024 * 1024 // 8  # /tmp and /dev/shm share one scratch cap
    scratch = str(limits.scratch_mb * 1024 * 1024 - shm)
    # The scratch tmpfs comes first and the binds are laid over it, so a bind under
    # /tmp (a venv, a kit or a data folder there) stays visible. The box's root is made
    # read-only at the end: /tmp and /dev/shm are its only writable places, both capped.
    return [
        bwrap(), "--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent",
        "--new-session", "--uid", str(INSIDE_UID), "--gid", str(INSIDE_UID),
        *[arg for cap in caps for arg in ("--cap-add", cap)],
        "--hostname", "cnnkit-box", "--size", scratch, "--tmpfs", "/tmp",
        *_system_binds(), *binds,
        *[arg for source, target in cover for arg in ("--ro-bind", source, target)],
        "--ro-bind", str(box / ".passwd"), "/etc/passwd",
        "--ro-bind", str(box / ".group"), "/etc/group",
        "--proc", "/proc", "--dev", "/dev", *(gpu_device_binds() if gpu else []),
        "--size", str(shm), "--tmpfs", "/dev/shm",
        "--remount-ro", "/dev", "--ro-bind", str(box), inside, "--remount-ro", "/", "--chdir", inside,
        "--", *argv,
    ], staged

_libc = ctypes.CDLL(None, use_errno=True)

_CLONE_NEWNS, _MS_BIND, _MS_REC, _MS_PRIVATE = 0x20000, 0x1000, 0x4000, 0x40000

def _stage(staged: list[tuple[str, str]]) -> None:
    """In a private mount namespace, bind each source onto its staging folder (as root)."""
    if _libc.unshare(_CLONE_NEWNS) != 0 or \
            _libc.mount(b"none", b"/", None, _MS_REC | _MS_PRIVATE, None) != 0:
        raise OSError(ctypes.get_errno(), "cannot make a private mount namespace")
    for source, stage in staged:
        if _libc.mount(source.encode(), stage.encode(), None, _MS_BIND | _MS_REC, None) != 0:
            raise OSError(ctypes.get_errno(), f"cannot stage {source}")

def preexec(limits: Limits, host_uid: int, staged: list[tuple[str, str]], gpu: bool = False):
    """In the child, before exec: a new session, resource limits, the staged binds, then
    (for root) the unprivileged uid, under which RLIMIT_NPROC holds. A GPU run keeps no
    address-space cap: CUDA reserves far more virtual memory than it uses."""
    def apply():
        os.setsid()
        memory = limits.memory_mb * 1024 * 1024
        fsize = limits.file_size_mb * 1024 * 1024
        if not gpu:
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        # No POSIX message queue can be made: unlike SysV IPC, a box cannot list its
        # queues, so a sweep could not prove that none was left for the next run.
        resource.setrlimit(resource.RLIMIT_MSGQUEUE, (0, 0))
        if dropping_uid():
            if staged:
                _stage(staged)
            resource.setrlimit(resource.RLIMIT_NPROC, (limits.max_processes,) * 2)
            os.setgroups([])
            os.setgid(host_uid)
            os.setuid(host_uid)
    return apply

def prepare_folder(box: Path) -> None:
    """The unprivileged uid must read the box folder; everything in it stays read-only."""
    box.chmod(0o755)

def kill(proc: subprocess.Popen) -> None:
    """Kill bwrap; its init has --die-with-parent, and the pid namespace dies with it."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass

def bwrap() -> str:
    exe = shutil.which("bwrap")
    if not exe:
        raise BoxUnavailable(_unavailable("bubblewrap (bwrap) is not installed"))
    return exe

def _unavailable(why: str) -> str:
    return pick({
        "en": f"cannot grade: {why}. Student code runs only inside a bubblewrap box; install "
              "it (apt-get install bubblewrap) on a machine that allows user namespaces.",
        "vi": f"không thể chấm: {why}. Mã của sinh viên chỉ chạy trong hộp bubblewrap; hãy cài "
              "(apt-get install bubblewrap) trên máy cho phép user namespace.",
    })

@lru_cache(maxsize=None)
def _probe(limits: Limits) -> str:
    """'' when a box starts here, else bwrap's own one-line complaint."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="cnnkit-probe-") as tmp:
        box = Path(tmp)
        prepare_folder(box)
        cmd, staged = command(box, [python(), "-I", "-c", "pass"], limits)
        try:  # on a uid of its own: a busy box's process cap must not fail the probe
            with leased_uid(limits) as uid:
                proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60,
                                      preexec_fn=preexec(limits, uid, staged))
        except (OSError, subprocess.SubprocessError, BoxUnavailable) as exc:
            return str(exc)
    if proc.returncode == 0:
        return ""
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    return lines[-1] if lines else f"exit code {proc.returncode}"

def explain_start_failure(problem: str) -> str:
    """bwrap's complaint in words that name the real cause: a path the box cannot see or
    reach, or (only then) bubblewrap and user namespaces themselves."""
    import re

    missing = re.search(r"execvp (\S+): No such file", problem)
    if missing:
        return pick({
            "en": f"cannot grade: {missing.group(1)} is not visible inside the box (the box "
                  f"binds {', '.join(map(str, bind_sources()))} and /usr; this path is outside "
                  "them, or a link out of them). Run the grader with an interpreter inside a "
                  f"bound folder. bwrap said: {problem}",
            "vi": f"không thể chấm: {missing.group(1)} không nhìn thấy được trong hộp (hộp gắn "
                  f"{', '.join(map(str, bind_sources()))} và /usr; đường dẫn này nằm ngoài "
                  "chúng, hoặc là liên kết ra ngoài). Hãy chạy trình chấm bằng trình thông dịch "
                  f"nằm trong một thư mục được gắn. bwrap báo: {problem}"})
    unreachable = re.search(r"Can't find source path (\S+?):? (Permission denied|No such file)",
                            problem)
    if unreachable:
        return pick({
            "en": f"cannot grade: the box cannot reach {unreachable.group(1)} "
                  f"({unreachable.group(2)}): the grading user must be able to enter every "
                  f"folder above it. bwrap said: {problem}",
            "vi": f"không thể chấm: hộp không truy cập được {unreachable.group(1)} "
                  f"({unreachable.group(2)}): người dùng chấm phải vào được mọi thư mục phía "
                  f"trên nó. bwrap báo: {problem}"})
    return _unavailable(f"bubblewrap cannot start a box here ({problem})")

def require(limits: Limits) -> None:
    """Raise ``BoxUnavailable`` (one line, in the user's language) unless a box starts."""
    bwrap()
    problem = _probe(limits)
    if problem:
        raise BoxUnavailable(explain_start_failure(problem))

def available(limits: Limits | None = None) -> str:
    """'' when boxes work here, else the one-line reason (for test suites)."""
    try:
        require(limits or Limits())
    except BoxUnavailable as exc:
        return str(exc)
    return ""
