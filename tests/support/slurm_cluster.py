"""A single-node Slurm cluster in a temporary folder, for the kit's tests.

Needs Debian's `slurm-wlm` and `munge` and root (as CI has). Starts munged if it is not
running, then slurmctld and slurmd with a `slurm.conf` written here (linuxproc process
tracking, no task plugin, no accounting: the driver reads `scontrol` then). Commands find
the cluster through `SLURM_CONF`.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

CONF = """\
ClusterName=cnnkit-test
SlurmctldHost={host}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/slurmctld.pid
SlurmdPidFile={root}/slurmd.pid
SlurmctldLogFile={root}/slurmctld.log
SlurmdLogFile={root}/slurmd.log
SlurmctldPort={port}
SlurmdPort={port_d}
ReturnToService=2
MinJobAge=3600
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
MpiDefault=none
NodeName={host} CPUs={cpus} RealMemory={memory} State=UNKNOWN
PartitionName=grading Nodes={host} Default=YES MaxTime=INFINITE State=UP
"""


class Unavailable(Exception):
    pass


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_munge() -> None:
    if subprocess.run(["pgrep", "-x", "munged"], capture_output=True).returncode == 0:
        return
    Path("/run/munge").mkdir(parents=True, exist_ok=True)
    shutil.chown("/run/munge", "munge", "munge")
    proc = subprocess.run(["runuser", "-u", "munge", "--", "/usr/sbin/munged"],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise Unavailable(f"munged did not start: {proc.stderr.strip()}")


def start(root: Path) -> dict[str, str]:
    """Start the cluster; returns the environment its commands need."""
    for tool in ("slurmctld", "slurmd", "sbatch", "munged"):
        if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists():
            raise Unavailable(f"{tool} is not installed (apt-get install -y slurm-wlm munge)")
    if os.geteuid() != 0:
        raise Unavailable("starting slurmctld and slurmd needs root")
    start_munge()
    for sub in ("state", "spool"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    host = socket.gethostname().split(".")[0]
    memory = int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**20 * 0.8)
    conf = root / "slurm.conf"
    conf.write_text(CONF.format(host=host, root=root, port=_free_port(), port_d=_free_port(),
                                cpus=os.cpu_count() or 1, memory=memory))
    env = {**os.environ, "SLURM_CONF": str(conf)}
    for daemon in ("/usr/sbin/slurmctld", "/usr/sbin/slurmd"):
        proc = subprocess.run([daemon, "-c"], env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            raise Unavailable(f"{daemon} did not start: {proc.stderr.strip()}")
    deadline = time.monotonic() + 300  # a loop that ends at once when ready: generous is free
    while time.monotonic() < deadline:
        out = subprocess.run(["sinfo", "-h", "-o", "%T"], env=env, capture_output=True,
                             text=True).stdout
        if "idle" in out:
            return {"SLURM_CONF": str(conf)}
        time.sleep(1)
    stop(root)
    raise Unavailable(f"the node never became idle:\n{(root / 'slurmctld.log').read_text()[-2000:]}")


def stop(root: Path) -> None:
    for pid_file in ("slurmd.pid", "slurmctld.pid"):
        try:
            os.kill(int((root / pid_file).read_text()), 15)
        except (OSError, ValueError):
            pass
