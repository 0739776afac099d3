"""Hand-ins from a kit: check the kit, land each lab like an exchange submission, grade it.

The kit is hostile input. Its manifest must carry this hub's signature; the learner must be
the one it was issued to; a lab whose released tests or data were edited is refused (the
others still land). Files are read with :func:`graders.submissions.read_files` (no links,
size caps). A lab lands in ``<course>/submitted/<learner>/<lab>/`` with nbgrader's
``timestamp.txt`` written by the collector: the hub's clock by default, since the learner
owns the kit's clock; the kit's claimed time (newest file) is kept beside it in
``.northlab-kit.json``, and ``clock="kit"`` lets a course count that instead. The same work
handed in twice changes nothing; an earlier hand-in that is replaced moves to
``<data_root>/kits/replaced/`` (the newest :data:`KEEP_REPLACED` per learner and lab are
kept). A learner's hand-ins of a cohort may take :data:`LEARNER_QUOTA` bytes in all: past
that a lab is refused and nothing already landed changes. Lateness comes from the lab's due
date in the course's nbgrader gradebook (the learner's extension included). Grading never
trusts the kit: it re-runs every test in the sandbox (:class:`graders.engine.Grader`) and
queues the records in the outbox, from which the hub's grader delivers them to the
credential service.
"""

from __future__ import annotations

import grp
import hashlib
import json
import logging
import os
import secrets
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from graders.notebooks import cells_of
from graders.submissions import Submission, SubmissionError, find_submissions, read_files
from hub.config.settings import Settings
from hub.courses.folders import COURSE_CONFIG, GRADEBOOK_DB
from hub.kit import manifest
from hub.people.accounts import course_instructors_unix_group

log = logging.getLogger("northlab.kit")
SIDECAR = ".northlab-kit.json"
TIMESTAMP = "timestamp.txt"
CLOCKS = ("hub", "kit")
#: Replaced hand-ins kept per learner and lab; older ones are deleted.
KEEP_REPLACED = 2
#: Bytes one learner's hand-ins of a cohort may take, landed and replaced copies together.
LEARNER_QUOTA = 512 * 1024 * 1024


@dataclass
class LabHandIn:
    """What happened to one lab of a kit; ``message_id``/``values`` for the catalogue."""

    lab: str
    status: str  # collected, duplicate, untouched, tampered, unreadable, full, no_attempts
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def message_id(self) -> str:
        return f"kit.lab.{self.status}"


@dataclass
class HandIn:
    """A checked kit and what became of each of its labs."""

    manifest: dict[str, Any]
    learner: str
    labs: list[LabHandIn]

    @property
    def landed(self) -> list[str]:
        return [lab.lab for lab in self.labs if lab.status == "collected"]


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def nbgrader_timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f UTC")


def check_kit(settings: Settings, kit: Path, learner: str | None) -> tuple[dict, str]:
    """``(manifest body, learner)`` of a kit this hub issued, or :class:`ManifestError`."""
    body = manifest.verify(manifest.read(kit), manifest.signing_key(settings.hub_dir))
    if not (settings.courses_root / body["cohort"] / COURSE_CONFIG).is_file():
        raise manifest.ManifestError("kit.error.wrong_cohort", cohort=body["cohort"])
    owner = body["learner"]
    if owner and learner and owner != learner:
        raise manifest.ManifestError("kit.error.wrong_learner", owner=owner, learner=learner)
    if not owner and not learner:
        raise manifest.ManifestError("kit.error.need_learner")
    if learner is not None and not manifest.LEARNER.match(learner):
        raise manifest.ManifestError("kit.error.wrong_learner", owner=owner or "?",
                                     learner=learner[:40])
    if not body["labs"]:
        raise manifest.ManifestError("kit.error.no_labs")
    return body, owner or learner


def edited_release(settings: Settings, cohort: str, lab: dict, files: dict[str, bytes]
                   ) -> str | None:
    """The released file (or test cell) the learner changed, if any."""
    editable = set(lab.get("editable", []))
    for name, digest in lab["files"].items():
        if name not in editable and name in files and \
                hashlib.sha256(files[name]).hexdigest() != digest:
            return name
    notebook = f"{lab['id']}.ipynb"
    released = settings.exchange_root / cohort / "outbound" / lab["id"] / notebook
    if notebook not in files or not released.is_file():
        return None
    tests = {c["nbgrader"].get("grade_id"): c["source"] for c in cells_of(released.read_bytes())
             if c["nbgrader"].get("grade") and not c["nbgrader"].get("solution")}
    try:
        learner_cells = cells_of(files[notebook])
    except ValueError:
        return None  # not a notebook at all: the grader reports it
    for cell in learner_cells:
        grade_id = cell["nbgrader"].get("grade_id")
        if grade_id in tests and cell["source"] != tests[grade_id]:
            return f"{notebook} ({grade_id})"
    return None


def _claimed_time(folder: Path) -> datetime:
    newest = max((p.lstat().st_mtime for p in folder.rglob("*") if p.is_file()), default=0)
    return datetime.fromtimestamp(newest, UTC)


def _share_with_instructors(folder: Path, cohort: str) -> None:
    try:
        gid = grp.getgrnam(course_instructors_unix_group(cohort)).gr_gid
    except KeyError:
        gid = -1
    for root, _dirs, files in os.walk(folder):
        os.chown(root, 0, gid)
        os.chmod(root, 0o2770)
        for name in files:
            os.chown(os.path.join(root, name), 0, gid)
            os.chmod(os.path.join(root, name), 0o660)


def _land(settings: Settings, body: dict, learner: str, lab_id: str, files: dict[str, bytes],
          submission_id: str, claimed: datetime, received: datetime, clock: str, via: str
          ) -> None:
    submitted = settings.courses_root / body["cohort"] / "submitted" / learner
    submitted.mkdir(parents=True, exist_ok=True)
    dest = submitted / lab_id
    tmp = submitted / f".{lab_id}.{secrets.token_hex(4)}.tmp"
    for name, data in files.items():
        (tmp / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp / name).write_bytes(data)
    counted = claimed if clock == "kit" else received
    (tmp / TIMESTAMP).write_text(nbgrader_timestamp(counted), encoding="utf-8")
    (tmp / SIDECAR).write_text(json.dumps({
        "kit_id": body["kit_id"], "submission_id": submission_id, "via": via,
        "received_at": _stamp(received), "claimed_at": _stamp(claimed), "counted": clock,
    }, indent=1) + "\n", encoding="utf-8")
    _share_with_instructors(tmp, body["cohort"])
    if dest.exists():
        replaced = (_replaced_root(settings, body["cohort"], learner) / lab_id
                    / f"{received:%Y%m%dT%H%M%S}-{secrets.token_hex(3)}")
        replaced.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(settings.data_root / "kits", 0o700)
        shutil.move(dest, replaced)
        moved_at = {old: old.stat().st_ctime_ns for old in replaced.parent.iterdir()}
        for old in sorted(moved_at, key=lambda old: (moved_at[old], old.name))[:-KEEP_REPLACED]:
            shutil.rmtree(old, ignore_errors=True)
    os.replace(tmp, dest)


def _replaced_root(settings: Settings, cohort: str, learner: str) -> Path:
    return settings.data_root / "kits" / "replaced" / cohort / learner


def _bytes_under(folder: Path) -> int:
    return sum(p.lstat().st_size for p in folder.rglob("*") if p.is_file()) \
        if folder.is_dir() else 0


def stored_bytes(settings: Settings, cohort: str, learner: str) -> int:
    """Bytes ``learner``'s hand-ins to ``cohort`` take: landed and replaced copies."""
    return _bytes_under(settings.courses_root / cohort / "submitted" / learner) + \
        _bytes_under(_replaced_root(settings, cohort, learner))


def take_attempt(settings: Settings, cohort: str, learner: str, lab_id: str, limit: int
                 ) -> bool:
    """Count one graded attempt of ``learner`` at ``lab_id``, unless ``limit`` (0: no limit)
    are used already: then False. Callers serialize calls (one process, one lock)."""
    path = settings.data_root / "kits" / "attempts" / cohort / f"{learner}.json"
    try:
        used = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        used = {}
    if not isinstance(used, dict):
        used = {}
    count = used.get(lab_id) if isinstance(used.get(lab_id), int) else 0
    if limit and count >= limit:
        return False
    used[lab_id] = count + 1
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(settings.data_root / "kits", 0o700)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    tmp.write_text(json.dumps(used), encoding="utf-8")
    os.replace(tmp, path)
    return True


def course_due(settings: Settings, cohort: str, assignment: str, learner: str
               ) -> datetime | None:
    """The assignment's due date in the course's nbgrader gradebook, the learner's extension
    included (read only); None without a gradebook, a course entry or a due date."""
    from nbgrader.api import Gradebook, InvalidEntry, MissingEntry
    from sqlalchemy.engine import URL
    from sqlalchemy.exc import SQLAlchemyError

    database = settings.courses_root / cohort / GRADEBOOK_DB
    if not database.is_file():
        return None
    read_only = URL.create("sqlite", database=f"file:{quote(str(database))}",
                           query={"mode": "ro", "uri": "true"}).render_as_string()
    try:  # nbgrader writes a missing course entry (or tables) on open: read only, that fails
        with Gradebook(read_only, course_id=cohort) as gradebook:
            try:
                due = gradebook.find_submission(assignment, learner).duedate
            except MissingEntry:
                try:
                    due = gradebook.find_assignment(assignment).duedate
                except MissingEntry:
                    return None
    except (InvalidEntry, SQLAlchemyError):
        log.warning("the gradebook of %s cannot be read for due dates", cohort, exc_info=True)
        return None
    return due.replace(tzinfo=UTC) if due else None


def _previous_submission(dest: Path) -> str | None:
    try:
        return json.loads((dest / SIDECAR).read_text(encoding="utf-8")).get("submission_id")
    except (OSError, ValueError, AttributeError):
        return None


def hand_in(settings: Settings, kit: Path, *, learner: str | None = None, clock: str = "hub",
            via: str = "usb", now: Callable[[], datetime] = lambda: datetime.now(UTC)
            ) -> HandIn:
    """Check the kit folder ``kit`` and land every started lab (see the module doc)."""
    kit = Path(kit)
    body, who = check_kit(settings, kit, learner)
    outcomes = []
    for lab in body["labs"]:
        lab_id = lab["id"]
        work = kit / "work" / lab_id
        if not work.is_dir() or work.is_symlink():
            outcomes.append(LabHandIn(lab_id, "untouched", {"lab": lab_id}))
            continue
        try:
            files = read_files(work)
        except SubmissionError as exc:
            outcomes.append(LabHandIn(lab_id, "unreadable", {"lab": lab_id, "detail": exc}))
            continue
        files.pop(TIMESTAMP, None)  # only the collector stamps a hand-in
        if {n: hashlib.sha256(d).hexdigest() for n, d in files.items()} == lab["files"]:
            outcomes.append(LabHandIn(lab_id, "untouched", {"lab": lab_id}))
            continue
        edited = edited_release(settings, body["cohort"], lab, files)
        if edited:
            outcomes.append(LabHandIn(lab_id, "tampered", {"lab": lab_id, "file": edited}))
            continue
        submission_id = Submission(learner=who, path=work, files=files).submission_id
        dest = settings.courses_root / body["cohort"] / "submitted" / who / lab_id
        if _previous_submission(dest) == submission_id:
            outcomes.append(LabHandIn(lab_id, "duplicate", {"lab": lab_id}))
            continue
        if stored_bytes(settings, body["cohort"], who) + sum(map(len, files.values())) \
                > LEARNER_QUOTA:
            outcomes.append(LabHandIn(lab_id, "full",
                                      {"lab": lab_id, "limit": LEARNER_QUOTA >> 20}))
            continue
        received = now()
        _land(settings, body, who, lab_id, files, submission_id, _claimed_time(work),
              received, clock, via)
        outcomes.append(LabHandIn(lab_id, "collected",
                                  {"lab": lab_id, "received": _stamp(received)}))
    return HandIn(body, who, outcomes)


def grade_hand_in(settings: Settings, hand_in: HandIn, *, workers: int = 1,
                  due: datetime | None = None,
                  on_done: Callable[[dict[str, Any]], None] | None = None) -> list[dict]:
    """Grade the landed labs of ``hand_in`` in the sandbox (stamped after ``due``, by default
    the lab's due date in the course's gradebook: late); records go to the outbox."""
    from graders.engine import Grader
    from graders.lab import load_lab
    from graders.outbox import Outbox

    cohort, track = hand_in.manifest["cohort"], hand_in.manifest["track"]
    outbox = Outbox(settings.data_root / "outbox")
    records = []
    for lab_id in hand_in.landed:
        lab = load_lab(settings.labs_root / track / lab_id)
        lab_due = due if due is not None else \
            course_due(settings, cohort, lab.assignment or lab_id, hand_in.learner)
        submissions = [s for s in find_submissions(
            settings.courses_root / cohort / "submitted", lab_id, due=lab_due)
            if s.learner == hand_in.learner]
        with Grader(lab, workers=workers, course=cohort) as grader:
            for submission in submissions:
                record = grader.grade(submission)
                outbox.put(record)
                records.append(record)
                if on_done is not None:
                    on_done(record)
    return records
