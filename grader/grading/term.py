"""A class's records over a term: one sealed record per student and topic, every earlier
record kept in the student's history, and results.json as the sum of the topic records.

    DIR/students/<id>/topics/<topic>.json          the topic's current record (sealed)
    DIR/students/<id>/history/<topic>/<run>.json   each record it replaced (sealed)
    DIR/students/<id>/results.json                 every topic's record summed (sealed)

Grading a topic writes that topic's record only; every other topic's record stays. A
record is replaced only by a run that grades the topic again (``--regrade``, ``--force``,
or a record that was no grade: the grader crashed, or data was missing), and the record it
replaces moves to the history first. Each topic record names the run that made it.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import time
from pathlib import Path

from grader.core.files import atomic_write
from grader.grading import records, report
from grader.grading.box import safefiles

TOPICS_DIR = "topics"
HISTORY_DIR = "history"
LEGACY_RUN = "legacy"
# What a planned topic record is: kept as it is, or graded in this run.
KEPT, STALE, ADDED, REPLACED = "kept", "stale", "added", "replaced"
NO_GRADE = ("crashed:", "slurm-")  # fingerprints of a record that holds no grade


INTAKE_FIELDS = ("entry", "lms", "participant", "late", "not_graded_entries")  # intake.py


def new_run() -> dict[str, str]:
    """This grading run's id (UTC time and a random tail) and date."""
    now = time.gmtime()
    return {"id": time.strftime("%Y%m%d-%H%M%S", now) + "-" + secrets.token_hex(2),
            "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", now)}


def student_dir(out: Path, student: str) -> Path:
    return Path(out) / "students" / student


def topic_path(out: Path, student: str, topic: str) -> Path:
    return student_dir(out, student) / TOPICS_DIR / f"{topic}.json"


def load_topic(out: Path, student: str, topic: str, key: bytes) -> dict | None:
    """The topic's current record, if the grader sealed it with ``key``."""
    saved = records.load_trusted(topic_path(out, student, topic), key)
    if saved is None or saved["cnnkit"].get("topic") != topic:
        return None
    return saved


def state_of(saved: dict | None, fingerprint: str, not_graded_now: set[str]) -> str:
    """``ADDED`` (no record), ``REPLACED`` (a record that holds no grade, or exercises the
    data now at hand can grade), ``KEPT`` (graded from these very files, tests and
    settings) or ``STALE`` (graded from other ones: kept unless re-grading is asked for)."""
    if saved is None:
        return ADDED
    kept_fp = str(saved["cnnkit"].get("fingerprint", ""))
    if kept_fp.startswith(NO_GRADE):
        return REPLACED
    if kept_fp == fingerprint:
        return KEPT
    if set(saved["cnnkit"].get("not_graded") or {}) - not_graded_now:
        return REPLACED
    return STALE


def topic_record(result: dict, topic: str, run: dict[str, str]) -> dict:
    """``result`` (one topic's ``report.results_json``) marked with its topic and run."""
    result["cnnkit"]["topic"] = topic
    result["cnnkit"]["run"] = dict(run)
    return result


def store_topic(out: Path, student: str, record: dict, key: bytes) -> dict:
    """Seal and write one topic record; the record it replaces goes to the history."""
    topic = record["cnnkit"]["topic"]
    sealed = records.seal(record, key) if key else record
    path = topic_path(out, student, topic)
    _to_history(out, student, topic, path)
    atomic_write(path, records.dumps(sealed, indent=2))
    return sealed


def _to_history(out: Path, student: str, topic: str, path: Path) -> None:
    """Move the file at ``path`` (whatever it holds) into the topic's history, unrenamed
    over nothing: each earlier record keeps its own file."""
    if not os.path.lexists(path):
        return
    try:
        run = json.loads(safefiles.read_bytes(path, 8 * 1024 * 1024))["cnnkit"]["run"]["id"]
        run = "".join(c for c in str(run) if c.isalnum() or c in "-_") or "unknown"
    except (safefiles.UnsafeFile, OSError, ValueError, KeyError, TypeError):
        run = "unreadable"
    folder = student_dir(out, student) / HISTORY_DIR / topic
    folder.mkdir(parents=True, exist_ok=True)
    target, n = folder / f"{run}.json", 1
    while os.path.lexists(target):
        n += 1
        target = folder / f"{run}.{n}.json"
    os.replace(path, target)


def history(out: Path, student: str, topic: str, key: bytes) -> list[dict]:
    """The topic's earlier records that the grader sealed, oldest run first."""
    folder = student_dir(out, student) / HISTORY_DIR / topic
    found = [records.load_trusted(p, key) for p in sorted(folder.glob("*.json"))]
    return [r for r in found if r is not None]


def topics_of(out: Path, student: str) -> list[str]:
    folder = student_dir(out, student) / TOPICS_DIR
    return sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []


def merged(out: Path, student: str, key: bytes) -> dict | None:
    """Every topic record of the student summed into one results.json (Gradescope's
    shape, as before), with ``cnnkit.topics``: which run graded each topic, and when."""
    parts = [r for t in topics_of(out, student) if (r := load_topic(out, student, t, key))]
    if not parts:
        return None
    kit: dict = {"student": student, "name": parts[-1]["cnnkit"].get("name") or student,
                 "fingerprint": hashlib.sha256("".join(
                     f"{p['cnnkit']['topic']}={p['cnnkit']['fingerprint']};"
                     for p in parts).encode()).hexdigest()[:16],
                 "exercises": {}, "not_graded": {}, "topics": {}}
    result = {"score": round(sum(p["score"] for p in parts), 2),
              "max_score": round(sum(p["max_score"] for p in parts), 2),
              "execution_time": round(sum(p.get("execution_time") or 0 for p in parts), 1),
              "output": _lines(p.get("output") for p in parts),
              "stdout_visibility": "visible",
              "tests": [t for p in parts for t in p["tests"]], "cnnkit": kit}
    if any(p.get("output_i18n") for p in parts):
        result["output_i18n"] = {lang: _lines((p.get("output_i18n") or {}).get(lang)
                                              or p.get("output") for p in parts)
                                 for lang in ("en", "vi")}
    notes = _notes(parts)
    if notes:  # as data (core.messages): feedback renders them in either language
        kit["notes"] = notes
    for p in parts:
        mine = p["cnnkit"]
        kit["exercises"].update(mine.get("exercises") or {})
        kit["not_graded"].update(mine.get("not_graded") or {})
        if "training" in mine:
            kit.setdefault("training", {}).update(mine["training"] or {})
        if mine.get("review"):  # exercises flagged for a person (score.reviews)
            kit.setdefault("review", {}).update(mine["review"])
        for extra in ("crashed", "slurm", *INTAKE_FIELDS):
            if extra in mine:
                kit[extra] = mine[extra]
        run = mine.get("run") or {}
        kit["topics"][mine["topic"]] = {"run": run.get("id", ""), "date": run.get("date", ""),
                                        "fingerprint": mine["fingerprint"],
                                        "score": p["score"], "max_score": p["max_score"]}
    return records.seal(result, key) if key else result


def _notes(parts: list[dict]) -> list:
    """The topics' notes as data, once each in order (a student's intake note is in every
    topic's record); a record of an older kit, which kept its notes as text only, gives
    that text in each language."""
    found: dict[str, object] = {}
    for p in parts:
        kept = p["cnnkit"].get("notes")
        if not kept and p.get("output"):
            both = p.get("output_i18n") if isinstance(p.get("output_i18n"), dict) else {}
            lines = {lang: str(both.get(lang) or p["output"]).splitlines() for lang in ("en", "vi")}
            kept = [{"text": {"en": en, "vi": vi}} for en, vi in zip(lines["en"], lines["vi"])] \
                if len(lines["en"]) == len(lines["vi"]) else \
                [{"text": {lang: " ".join(lines[lang]) for lang in lines}}]
        for note in kept or []:
            found.setdefault(json.dumps(note, sort_keys=True), note)
    return list(found.values())


def _lines(texts) -> str:
    """The notes of every topic, each line once, in order."""
    seen: list[str] = []
    for text in texts:
        for line in str(text or "").splitlines():
            if line and line not in seen:
                seen.append(line)
    return "\n".join(seen)


def refresh(out: Path, student: str, key: bytes, lang: str) -> dict | None:
    """results.json and feedback.md from the topic records, rewritten only when they
    changed (a sealed, unchanged results.json is left as it is)."""
    result = merged(out, student, key)
    if result is None:
        return None
    path = student_dir(out, student) / "results.json"
    if not key or records.load_trusted(path, key) != result:
        report.write_student(out, student, result, lang)
    return result


def migrate_legacy(out: Path, student: str, key: bytes) -> bool:
    """A results.json written before topic records existed: split it into one record per
    topic (run ``legacy``; its fingerprint matches nothing, so it is kept until re-graded
    with ``--regrade``), and keep the whole file in the history. True if it did."""
    path = student_dir(out, student) / "results.json"
    if topics_of(out, student):
        return False
    old = records.load_trusted(path, key)
    if old is None or "topics" in old["cnnkit"]:
        return False
    mine = old["cnnkit"]
    topics = sorted({k.split("/", 1)[0] for k in (mine.get("exercises") or {})}
                    | {k.split("/", 1)[0] for k in (mine.get("not_graded") or {})})
    run = {"id": LEGACY_RUN, "date": ""}
    old_fp = str(mine.get("fingerprint", ""))
    fingerprint = old_fp if old_fp.startswith(NO_GRADE) else f"{LEGACY_RUN}:{old_fp}"
    for topic in topics:
        def own(d):
            return {k: v for k, v in (d or {}).items() if k.startswith(topic + "/")}
        tests = [t for t in old["tests"] if str(t.get("name", "")).startswith(topic + "/")]
        part = {**{k: v for k, v in old.items() if k not in ("tests", "cnnkit")},
                "score": round(sum(t.get("score") or 0 for t in tests), 2),
                "max_score": round(sum(t.get("max_score") or 0 for t in tests), 2),
                "execution_time": 0.0, "tests": tests,
                "cnnkit": {"student": student, "name": mine.get("name") or student,
                           "fingerprint": fingerprint,
                           "exercises": own(mine.get("exercises")),
                           "not_graded": own(mine.get("not_graded"))}}
        part["cnnkit"].pop(records.MAC_FIELD, None)
        if "training" in mine:
            part["cnnkit"]["training"] = own(mine["training"])
        store_topic(out, student, topic_record(part, topic, run), key)
    folder = student_dir(out, student) / HISTORY_DIR
    folder.mkdir(parents=True, exist_ok=True)
    os.replace(path, folder / "legacy-results.json")
    return True
