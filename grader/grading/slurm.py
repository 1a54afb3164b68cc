"""Grading a class through Slurm: one array job, one task per student.

The driver plans the run as the local backend does (same discovery, same resume), writes
the plan next to the results (``DIR/.slurm/``, on storage the nodes share), submits one
``sbatch --array`` whose tasks each run ``cnnkit grade-one PLAN INDEX`` - the very same
per-student grading - and follows the job with ``squeue`` and ``sacct`` (or ``scontrol``
where accounting is off). A task Slurm kills leaves that student graded zero with Slurm's
reason and a fingerprint that never matches, so the next run submits that student alone.
At the end it writes the gradebook exactly as the local backend does.
"""

from __future__ import annotations

import json
import math
import shlex
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from grader.core import manifest, messages
from grader.core.messages import said
from grader.core.errors import CnnkitError
from grader.core.files import atomic_write
from grader.core.i18n import pick
from grader.core.limits import DEFAULTS, Limits
from grader.grading import discover, readiness, records, report, term
from grader.grading import pipeline
from grader.grading.run import student_run
from grader.grading.box import uids as box_uids
from grader.grading.training import graded_run

FINAL_OK = {"COMPLETED"}
FINAL_BAD = {"FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL", "PREEMPTED",
             "BOOT_FAIL", "DEADLINE"}
# Slurm's end states with a message of their own (core.messages: slurm.state.<STATE>).
STATES_SAID = ("TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL", "CANCELLED")


class SlurmUnavailable(CnnkitError):
    pass


@dataclass
class TaskState:
    index: int
    state: str  # PENDING, RUNNING, COMPLETED, TIMEOUT ...
    reason: str = ""
    exit_code: str = ""


def _run(cmd: list[str]) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    except FileNotFoundError:
        raise SlurmUnavailable(pick({
            "en": f"{cmd[0]} is not installed here: run on a Slurm login node, or use "
                  "--backend local", "vi": f"máy này không có {cmd[0]}: hãy chạy trên login "
                  "node của cụm Slurm, hoặc dùng --backend local"})) from None


# --- the plan: what each array task grades ----------------------------------------

def write_plan(plan: pipeline.ClassPlan, limits: Limits, lang: str, train: str = "off") -> Path:
    """The plan every array task reads. ``train`` is the choice as given (``auto`` is
    resolved on the node, which may have GPUs where the driver has none)."""
    folder = plan.out / ".slurm"
    path = folder / f"plan-{time.strftime('%Y%m%d-%H%M%S')}-{len(plan.todo)}.json"
    atomic_write(path, json.dumps({
        "out": str(plan.out.resolve()), "topics": plan.topic_names, "lang": lang,
        "run": plan.run,
        "limits": limits.__dict__, "skip_missing_data": bool(plan.ready.missing),
        "train": train,
        "students": [{"student": s.student, "source": str(s.source),
                      "root": str(s.root) if s.root else None,
                      "problem": messages.note_data(s.problem) if s.problem else "",
                      "name": s.name, "notes": [messages.note_data(n) for n in s.notes],
                      "record": s.record,
                      "fingerprints": fps} for s, fps in plan.todo]}, indent=1))
    return path


def grade_one(plan_file: Path, index: int) -> dict:
    """What one array task runs: grade student ``index`` of the plan, as the local backend."""
    plan = json.loads(Path(plan_file).read_text())
    entry = plan["students"][index]
    sub = discover.Submission(entry["student"], Path(entry["source"]),
                              Path(entry["root"]) if entry["root"] else None,
                              messages.note_from_data(entry["problem"]) or "",
                              entry.get("name", ""),
                              [n for n in map(messages.note_from_data, entry.get("notes", []))
                               if n],
                              entry.get("record", {}))
    infos = [manifest.load_topic(t) for t in entry["fingerprints"]]  # this student's topics
    ready = readiness.plan(infos)  # the nodes read the same shared data as the driver
    if ready.missing and not plan["skip_missing_data"]:
        raise readiness.DataNotReady(ready, plan["lang"])
    out = Path(plan["out"])
    limits = Limits(**plan["limits"])
    # Tasks may share a node: each gets its own host uid, so process caps stay per box.
    uids = box_uids.host_uids(limits, 1)  # a uid no other box on the node holds
    # graded training on the task's own devices (its --gpus-per-task), its own secret
    training = graded_run.plan(plan.get("train", "off"), cpu_slots=1,
                                   cache_root=out / ".cache" / "features",
                                   key=records.grader_key(out))
    return student_run.grade_student(sub, infos, out, limits, entry["fingerprints"], plan["lang"],
                                  records.grader_key(out), uids, ready, training,
                                  run=plan.get("run"))


# --- submitting and following the array job ---------------------------------------

def time_limit_minutes(infos: list[manifest.Topic], limits: Limits,
                       train_profile: str | None = None) -> int:
    """Every topic's time and training budget, with room for restarts and Python's start."""
    seconds = sum(limits.topic_timeout_s or t.timeout_s for t in infos)
    if train_profile:
        seconds += sum(spec.budget_s.get(train_profile, 0) for t in infos
                       for spec in t.graded_trainings)
    return max(5, math.ceil(seconds * 1.5 / 60) + 5)


def submit(plan_file: Path, count: int, minutes: int, partition: str | None = None,
           gpus_per_task: int = 0, parallelism: int | None = None) -> str:
    logs = plan_file.parent / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    command = (f"{shlex.quote(sys.executable)} -m grader grade-one "
               f"{shlex.quote(str(plan_file))} $SLURM_ARRAY_TASK_ID")
    array = f"0-{count - 1}" + (f"%{parallelism}" if parallelism else "")
    cmd = ["sbatch", "--parsable", f"--array={array}", "--job-name=cnnkit-grade",
           f"--time={minutes}", f"--output={logs}/%A_%a.out", "--wrap", command]
    if partition:
        cmd.append(f"--partition={partition}")
    if gpus_per_task:
        cmd.append(f"--gpus-per-task={gpus_per_task}")
    proc = _run(cmd)
    if proc.returncode != 0:
        raise SlurmUnavailable(f"sbatch refused the job: {proc.stderr.strip() or proc.stdout}")
    return proc.stdout.strip().split(";")[0]


def task_states(job: str) -> dict[int, TaskState]:
    """Every array task's state: squeue for live ones, sacct (or scontrol) for the others."""
    states: dict[int, TaskState] = {}
    proc = _run(["sacct", "-j", job, "-n", "-P", "-X", "-o", "JobID,State,ExitCode,Reason"])
    if proc.returncode == 0 and proc.stdout.strip():
        for line in proc.stdout.splitlines():
            job_id, state, code, reason = (line.split("|") + ["", "", "", ""])[:4]
            if "_" in job_id and job_id.split("_")[1].isdigit():
                i = int(job_id.split("_")[1])
                states[i] = TaskState(i, state.split()[0], reason, code)
        return states
    proc = _run(["scontrol", "-o", "show", "job", job])
    for line in proc.stdout.splitlines():
        fields = dict(f.split("=", 1) for f in line.split() if "=" in f)
        if fields.get("ArrayTaskId", "").isdigit():
            i = int(fields["ArrayTaskId"])
            states[i] = TaskState(i, fields.get("JobState", "UNKNOWN"), fields.get("Reason", ""),
                                  fields.get("ExitCode", ""))
    return states


def live_states(job: str) -> dict[int, TaskState]:
    """Tasks still queued or running (``-r`` lists a pending range task by task)."""
    states = {}
    proc = _run(["squeue", "-h", "-r", "-j", job, "-o", "%K|%T|%r"])
    for line in proc.stdout.splitlines():
        task, state, reason = (line.split("|") + ["", ""])[:3]
        if task.isdigit():
            states[int(task)] = TaskState(int(task), state, reason)
    return states


def follow(job: str, count: int, poll_s: float = 3.0, stream=None) -> dict[int, TaskState]:
    """Wait for every task to end, printing queued / running / done / failed and an ETA."""
    stream = stream or sys.stderr  # the stderr of the call, not of the import
    start, last = time.monotonic(), ""
    while True:
        live = live_states(job)
        states = {**task_states(job), **live}
        final = {i: s for i, s in states.items() if s.state in FINAL_OK | FINAL_BAD}
        if not live:  # a pending task cancelled by hand leaves no record at all
            final.update({i: TaskState(i, "CANCELLED", "removed from the queue")
                          for i in range(count) if i not in final})
        done = sum(s.state in FINAL_OK for s in final.values())
        failed = len(final) - done
        running = sum(s.state == "RUNNING" for s in states.values())
        queued = count - len(final) - running
        elapsed = time.monotonic() - start
        left = elapsed / len(final) * (count - len(final)) if final else None
        line = pick({"en": f"slurm job {job}: {queued} queued, {running} running, {done} done, "
                           f"{failed} failed",
                     "vi": f"slurm job {job}: {queued} đang chờ, {running} đang chạy, {done} "
                           f"xong, {failed} lỗi"})
        if line != last:
            timing = pick({"en": f"elapsed {elapsed:.0f} s" + (
                               f", about {left:.0f} s left" if left is not None else ""),
                           "vi": f"đã chạy {elapsed:.0f} giây" + (
                               f", còn khoảng {left:.0f} giây" if left is not None else "")})
            print(f"{line}   ({timing})", file=stream, flush=True)
            last = line
        if len(final) >= count:
            return final
        time.sleep(poll_s)


# --- results of tasks that did not finish -----------------------------------------

def failed_result(plan: pipeline.ClassPlan, sub: discover.Submission, fps: dict[str, str],
                  state: TaskState, lang: str) -> dict:
    """Zero points with Slurm's reason for each topic the task did not write; a fingerprint
    that makes the next run grade that topic again. Every other topic's record stays."""
    why = said(f"slurm.state.{state.state}") if state.state in STATES_SAID else \
        said("slurm.ended_as", state=state.state, code=state.exit_code or "?")
    reason = said("slurm.not_finished", why=why)
    infos = {t.name: t for t in plan.infos}
    for topic, fp in fps.items():
        if _written_by(plan, sub.student, topic):
            continue
        result = report.results_json(sub.student,
                                     student_run.unrun_scores([infos[topic]], plan.ready, reason),
                                     [reason], 0.0,
                                     f"slurm-{state.state.lower()}:{fp}",
                                     not_graded=student_run.own_not_graded(plan.ready, topic),
                                     name=sub.name)
        result["cnnkit"]["slurm"] = {"state": state.state, "reason": state.reason,
                                     "exit_code": state.exit_code}
        term.store_topic(plan.out, sub.student, term.topic_record(result, topic, plan.run),
                         plan.key)
    return term.refresh(plan.out, sub.student, plan.key, lang)


def _written_by(plan: pipeline.ClassPlan, student: str, topic: str) -> bool:
    """The topic's record was written, to the end, by this run's task."""
    saved = term.load_topic(plan.out, student, topic, plan.key)
    return saved is not None and (saved["cnnkit"].get("run") or {}).get("id") == plan.run["id"]


def grade_class(submissions: Path, out: Path, topics: list[str] | None = None,
                force: bool = False, limits: Limits = DEFAULTS, lang: str = "en",
                partition: str | None = None, gpus_per_task: int = 0,
                array_parallelism: int | None = None, poll_s: float = 3.0,
                skip_missing_data: bool = False, train: str = "off",
                regrade: bool = False) -> dict[str, dict]:
    """The Slurm backend: the same plan, results and gradebook as the local one. With
    ``train``, each task trains on the devices Slurm gives it (``gpus_per_task``)."""
    if shutil.which("sbatch") is None:
        _run(["sbatch"])  # raises SlurmUnavailable with the explanation
    plan = pipeline.plan_class(submissions, out, topics, force, skip_missing_data, lang, limits,
                               train, regrade)
    print(pipeline.describe_plan(plan, lang, pick({"en": "(slurm)", "vi": "(slurm)"}, lang)),
          file=sys.stderr)
    if plan.todo:
        plan_file = write_plan(plan, limits, lang, train)
        job = submit(plan_file, len(plan.todo), time_limit_minutes(
            plan.infos, limits, plan.training.profile if plan.training else None),
                     partition, gpus_per_task, array_parallelism)
        print(pick({"en": f"submitted array job {job} ({len(plan.todo)} tasks); logs in "
                          f"{plan_file.parent / 'logs'}",
                    "vi": f"đã gửi array job {job} ({len(plan.todo)} tác vụ); log nằm trong "
                          f"{plan_file.parent / 'logs'}"}, lang), file=sys.stderr)
        final = follow(job, len(plan.todo), poll_s)
        for i, (sub, fps) in enumerate(plan.todo):
            state = final.get(i, TaskState(i, "UNKNOWN"))
            # each topic record is written atomically when that topic is done (a crash
            # record included, with its reason)
            if all(_written_by(plan, sub.student, t) for t in fps):
                plan.results[sub.student] = term.refresh(plan.out, sub.student, plan.key, lang)
                continue
            if state.state in FINAL_OK:  # ended well but wrote nothing
                state = TaskState(i, "FAILED", "no results written", state.exit_code)
            plan.results[sub.student] = failed_result(plan, sub, fps, state, lang)
    return pipeline.finish_class(plan)
