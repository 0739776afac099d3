"""Find new submissions in the exchange, queue them, grade them with warm graders.

:class:`Watcher` looks into each course's exchange ``inbound/`` (local mode: nbgrader's
folder exchange, written by the Assignments tab, the Foundations pages' Hand it in and
``nbgrader submit`` alike) for complete submissions (nbgrader writes
``submission_secret.txt`` last) of labs whose ``[feedback] on_submit`` is true. Who
submitted is the folder's owner, which the kernel sets and no learner can forge; a folder
named for someone else is skipped. Attempts are counted here from what the service itself
saw, so nothing a learner sends can reset them.

:class:`Graders` keeps one :class:`graders.engine.Grader` per lab started (its sandbox
zygotes warm) and a fixed number of threads grading queued requests, so a class
submitting together waits in order ("queued, position N") and a hostile submission holds
one thread for at most its lab's limits.
"""

from __future__ import annotations

import json
import logging
import os
import pwd
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from graders.engine import Grader
from graders.lab import Lab, LabError, discover_labs, load_lab
from graders.outbox import Outbox
from graders.submissions import Submission, SubmissionError, read_files
from hub.exchange import lab_tracks
from hub.services.exchange import archive
from hub.services.feedback.spool import Spool, request_id

LOG = logging.getLogger("northlab.feedback")
#: nbgrader writes this file last into a submission folder: the submission is complete.
COMPLETE_MARKER = "submission_secret.txt"
#: Seconds between two reads of the labs folder (a lab's [feedback] may change).
LABS_REFRESH_SECONDS = 30.0


def labs_on_submit(labs_root: Path) -> dict[str, list[Lab]]:
    """Labs graded on submit, by nbgrader assignment name (a lab that does not load is
    left out: ``northlab check`` reports it)."""
    found: dict[str, list[Lab]] = {}
    try:
        labs = discover_labs(labs_root)
    except (LabError, OSError) as exc:
        LOG.error("cannot read the labs under %s: %s", labs_root, exc)
        return found
    for lab in labs:
        if lab.feedback.on_submit:
            found.setdefault(lab.assignment, []).append(lab)
    return found


def owner_name(path: Path) -> str | None:
    """The Unix user owning ``path`` (not following a symlink), or None."""
    try:
        return _user(path.lstat().st_uid)
    except OSError:
        return None


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass
class Watcher:
    """Queues each new complete submission of an on-submit lab found under
    ``exchange_root``, or settles it at once when the learner has no attempt left."""

    exchange_root: Path
    labs_root: Path
    spool: Spool
    #: the exchange service's store (hub/services/exchange), when submissions come by HTTP
    service_store: Path | None = None
    _labs: dict[str, list[Lab]] = field(default_factory=dict)
    _labs_read: float = -LABS_REFRESH_SECONDS

    def labs(self) -> dict[str, list[Lab]]:
        if time.monotonic() - self._labs_read >= LABS_REFRESH_SECONDS:
            self._labs, self._labs_read = labs_on_submit(self.labs_root), time.monotonic()
        return self._labs

    def lab_for(self, course_dir: Path, assignment: str) -> Lab | None:
        """The on-submit lab released as ``assignment`` in this course (its track chosen
        by the course's ``tracks.json`` when labs of several tracks share the name)."""
        candidates = self.labs().get(assignment, [])
        track = lab_tracks(str(course_dir)).get(assignment)
        chosen = [lab for lab in candidates if lab.track == track] or candidates
        return chosen[0] if chosen else None

    def scan(self) -> int:
        """One pass over every course's inbound, and the exchange service's store when
        there is one; returns how many requests it added."""
        if not self.labs():
            return 0
        added = self.scan_service_store(self.service_store) if self.service_store else 0
        try:
            courses = sorted(p for p in self.exchange_root.iterdir() if p.is_dir())
        except OSError:
            return added
        for course_dir in courses:
            try:
                entries = sorted(os.scandir(course_dir / "inbound"), key=lambda e: e.name)
            except OSError:
                continue
            for entry in entries:
                added += self.consider(course_dir, Path(entry.path))
        return added

    def consider(self, course_dir: Path, folder: Path) -> int:
        """Queue folder exchange submission ``folder`` if it is new, complete and its
        owner's; returns 1 when queued."""
        parts = folder.name.split("+")
        if len(parts) < 3 or folder.is_symlink() or not folder.is_dir():
            return 0
        learner, assignment = parts[0], parts[1]
        if assignment not in self.labs():  # most labs: nothing to look at
            return 0
        rid = request_id(folder)
        if self.spool.known(rid) or not (folder / COMPLETE_MARKER).is_file():
            return 0
        lab = self.lab_for(course_dir, assignment)
        if lab is None:
            return 0
        if owner_name(folder) != learner:
            LOG.warning("skipped %s: not owned by %s", folder, learner)
            return 0
        return self.queue(rid, course_dir.name, learner, lab, folder, owner=learner)

    def scan_service_store(self, store: Path) -> int:
        """One pass over the exchange service's store (the container modes: submissions
        arrive over HTTP, stamped with the learner the hub named); returns how many it
        added. Each new submission is unpacked into the spool, with the ``timestamp.txt``
        and ``submission_id.txt`` that the exchange's collect adds, so the instructor's
        collected copy is the same submission."""
        added = 0
        for meta_path in sorted(store.glob("*/submissions/*/u-*/*/meta.json")):
            rid = request_id(meta_path.parent)
            if self.spool.known(rid):
                continue
            try:
                meta = json.loads(meta_path.read_text(encoding="utf-8"))
                lab = self.lab_for(store / meta["course_id"], meta["assignment_id"])
                if lab is None:
                    continue
                folder = self.spool.root / "files" / rid
                archive.unpack((meta_path.parent / "submission.tar.gz").read_bytes(), folder)
                (folder / "timestamp.txt").write_text(meta["timestamp"])
                (folder / "submission_id.txt").write_text(meta["submission_id"])
            except (OSError, ValueError, KeyError, archive.ArchiveError) as exc:
                LOG.warning("skipped %s: %s", meta_path.parent, exc)
                continue
            added += self.queue(rid, meta["course_id"], meta["student_id"], lab, folder)
        return added

    def queue(self, rid: str, course: str, learner: str, lab: Lab, folder: Path, *,
              owner: str | None = None) -> int:
        """Queue request ``rid`` (``folder`` must still belong to ``owner`` when graded), or
        settle it at once when no attempt is left."""
        limit = lab.feedback.attempts
        used = self.spool.counted(course, learner, lab.id)
        request = {
            "id": rid, "course": course, "lab": lab.id, "track": lab.track,
            "learner": learner, "folder": str(folder), "owner": owner, "seen_ns": time.time_ns(),
            "submitted_at": _now_iso(), "attempt": used + 1, "attempts": limit,
        }
        if limit and used >= limit:
            self.spool.settle({**request, "state": "limit", "attempt": None})
            LOG.info("%s has no attempt left for %s (%d used)", learner, lab.id, used)
            return 0
        if not self.spool.add(request):
            return 0
        LOG.info("queued %s of %s (attempt %d)", lab.id, learner, used + 1)
        return 1


def read_submission(folder: Path, owner: str | None) -> dict[str, bytes]:
    """The files of submission ``folder``, read through one open handle on the folder
    itself (never a link put in its place), which must belong to ``owner`` when given:
    learners can rename entries of the exchange's inbound."""
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError:
        raise SubmissionError("unreadable", "the submission is gone or was replaced") from None
    try:
        if owner is not None and _user(os.fstat(fd).st_uid) != owner:
            raise SubmissionError("unreadable", "the submission was replaced")
        return read_files(Path(f"/proc/self/fd/{fd}"))
    finally:
        os.close(fd)


def _user(uid: int) -> str | None:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return None


def summary(record: dict[str, Any]) -> dict[str, Any]:
    """What the learner is shown of a record: score, error, and each visible test's
    verdict and feedback (hidden tests count in the score only)."""
    tests = record.get("tests") or []
    hidden = [t for t in tests if t.get("hidden")]
    return {
        "score": record["score"], "max_score": record["max_score"],
        "pending_points": record.get("pending_points", 0),
        "error": record.get("error"),
        "tests": [{k: t.get(k) for k in ("name", "passed", "points", "max_points", "feedback",
                                         "pending")} for t in tests if not t.get("hidden")],
        "hidden_points": sum(t["points"] for t in hidden),
        "hidden_max_points": sum(t["max_points"] for t in hidden),
        "submission_id": record["submission_id"],
    }


class Graders:
    """``concurrency`` threads grading the spool's requests with one warm grader per lab;
    records go to the outbox (unless the lab's record is the instructor's collect)."""

    def __init__(self, spool: Spool, labs_root: Path, outbox: Outbox, *,
                 concurrency: int = 2) -> None:
        self.spool, self.labs_root, self.outbox = spool, labs_root, outbox
        self.concurrency = concurrency
        self.stopping = threading.Event()
        self.wake = threading.Event()
        self._graders: dict[str, Grader] = {}
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def warm(self, labs: list[Lab]) -> None:
        """Start the graders of ``labs`` now, so the first submission finds them warm."""
        for lab in labs:
            try:
                self.grader(lab.track, lab.id)
            except Exception:  # that lab's requests get an error record when they come
                LOG.exception("cannot start the grader of %s", lab.id)

    def grader(self, track: str, lab_id: str) -> Grader:
        """The started grader of a lab (started on first use, then kept)."""
        with self._lock:
            if lab_id not in self._graders:
                lab = load_lab(self.labs_root / track / lab_id)
                grader = Grader(lab, workers=self.concurrency)
                grader.__enter__()
                self._graders[lab_id] = grader
                LOG.info("grader of %s started (%d slots)", lab_id, self.concurrency)
            return self._graders[lab_id]

    def start(self) -> None:
        self._threads = [threading.Thread(target=self._work, name=f"feedback-{i}", daemon=True)
                         for i in range(self.concurrency)]
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        """Stop grading; a request being graded stays in ``running/`` (graded again after
        the next start), the graders' sandboxes are stopped."""
        self.stopping.set()
        self.wake.set()
        with self._lock:
            for grader in self._graders.values():
                grader.__exit__(None, None, None)
            self._graders.clear()
        for thread in self._threads:
            thread.join(timeout=30)

    def _work(self) -> None:
        while not self.stopping.is_set():
            request = self.spool.claim()
            if request is None:
                self.wake.wait(1.0)
                self.wake.clear()
                continue
            outcome = self.grade(request)
            if self.stopping.is_set():
                return  # the sandboxes were stopped under it: graded again after restart
            self.spool.finish({**request, **outcome})

    def grade(self, request: dict[str, Any]) -> dict[str, Any]:
        """Grade one request; its record goes to the outbox; returns the learner's view."""
        grader = self.grader(request["track"], request["lab"])
        submission = Submission(learner=request["learner"], path=Path(request["folder"]),
                                submitted_at=request["submitted_at"])
        try:
            submission.files = read_submission(submission.path, request.get("owner"))
        except SubmissionError as exc:
            submission.error = exc
        record = {**grader.grade(submission), "course": request["course"]}
        sent = grader.lab.feedback.record == "submit"
        if sent and not self.stopping.is_set():
            self.outbox.put(record)
        return {"state": "graded", "record_sent": sent, "graded_ns": time.time_ns(),
                # the learner's own time as the sandbox measured it (benchmarks only)
                "learner_seconds": grader.learner_seconds.pop(submission.learner, None),
                **summary(record)}
