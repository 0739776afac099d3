"""Find new submissions in the exchange, queue them, grade them with warm graders.

:class:`Watcher` looks into each course's exchange ``inbound/`` (local mode: nbgrader's
folder exchange, written by the Assignments tab, the Foundations pages' Hand it in and
``nbgrader submit`` alike) for complete submissions (nbgrader writes
``submission_secret.txt`` last) of labs whose ``[feedback] on_submit`` is true and that
the course released. Who submitted is the folder's owner, which the kernel sets and no
learner can forge; a folder named for someone else is skipped. The folder is copied into
the spool when first seen (:mod:`hub.services.feedback.snapshot`) and only that copy is
graded: what the learner changes, renames or links afterwards is not. Attempts are counted
per learner and lab across courses from what the service itself saw, in the same locked
step that queues, so nothing a learner sends can reset them. One unreadable entry is
logged once and passed over; it never stops the watcher.

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
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from graders.engine import Grader
from graders.lab import Lab, LabError, lab_dirs, load_lab
from graders.outbox import Outbox
from graders.submissions import Submission, SubmissionError, read_files
from hub.services.exchange import archive
from hub.services.exchange.tracks import lab_tracks
from hub.services.feedback.snapshot import Replaced, copy_submission, is_file, open_folder
from hub.services.feedback.spool import Spool, request_id
from hub.services.feedback.view import CATALOG

LOG = logging.getLogger("northlab.feedback")
#: nbgrader writes this file last into a submission folder: the submission is complete.
COMPLETE_MARKER = "submission_secret.txt"
#: Seconds between two reads of the labs folder (a lab's [feedback] may change).
LABS_REFRESH_SECONDS = 30.0
#: nbgrader's inbound folder name: learner+assignment+timestamp[+random] (ASCII only)
SUBMISSION_NAME = re.compile(r"(?P<learner>[A-Za-z0-9_.@-]{1,128})\+"
                             r"(?P<assignment>[A-Za-z0-9_.-]{1,128})\+"
                             r"[A-Za-z0-9 :._-]{1,64}(\+[A-Za-z0-9_=-]{1,64})?", re.ASCII)


def labs_on_submit(labs_root: Path,
                   skip: Callable[[Path, str], None] | None = None) -> dict[str, list[Lab]]:
    """Labs graded on submit, by nbgrader assignment name; a lab that does not load is
    left out and passed to ``skip`` (default: logged), never the others."""
    found: dict[str, list[Lab]] = {}
    try:
        folders = lab_dirs(labs_root)
    except (LabError, OSError) as exc:
        LOG.error("cannot read the labs under %s: %s", labs_root, exc)
        return found
    for folder in folders:
        try:
            lab = load_lab(folder)
        except (LabError, OSError) as exc:
            (skip or _log_skipped)(folder, str(exc))
            continue
        if lab.feedback.on_submit:
            found.setdefault(lab.assignment, []).append(lab)
    return found


def _log_skipped(path: Path, why: str) -> None:
    LOG.warning("skipped %s: %s", path, why)


def _uid(name: str) -> int | None:
    try:
        return pwd.getpwnam(name).pw_uid
    except KeyError:
        return None


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _copy_inbound(folder: int, uid: int) -> Callable[[Path], dict[str, Any]]:
    """The spool's copy step for the learner's open inbound ``folder``."""
    def copy(dest: Path) -> dict[str, Any]:
        try:
            copy_submission(folder, dest, uid)
        except SubmissionError as exc:  # graded as refused, as read_files refuses it
            return {"copy_error": [exc.code, str(exc), exc.reason, exc.values]}
        return {}
    return copy


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
    _noted: set[bytes] = field(default_factory=set)

    def labs(self) -> dict[str, list[Lab]]:
        if time.monotonic() - self._labs_read >= LABS_REFRESH_SECONDS:
            self._labs = labs_on_submit(self.labs_root, self.note)
            self._labs_read = time.monotonic()
        return self._labs

    def lab_for(self, course_dir: Path, assignment: str, released: bool) -> Lab | None:
        """The on-submit lab released as ``assignment`` in this course (its track chosen
        by the course's ``tracks.json`` when labs of several tracks share the name); None
        when the course did not release it (``released``: the exchange says it did)."""
        candidates = self.labs().get(assignment, [])
        track = lab_tracks(str(course_dir)).get(assignment)
        if track is None and not released:
            return None
        chosen = [lab for lab in candidates if lab.track == track] or candidates
        return chosen[0] if chosen else None

    def note(self, path: Path, why: str) -> None:
        """Log once that ``path`` is passed over."""
        key = os.fsencode(path)
        if key not in self._noted:
            self._noted.add(key)
            LOG.warning("skipped %r: %s", key, why)

    def scan(self) -> int:
        """One pass over every course's inbound, and the exchange service's store when
        there is one; returns how many requests it added. An entry that cannot be read
        is logged and passed over, never stops the pass."""
        if not self.labs():
            return 0
        added = self.scan_service_store(self.service_store) if self.service_store else 0
        try:
            courses = sorted(p for p in self.exchange_root.iterdir() if p.is_dir())
        except OSError:
            return added
        for course_dir in courses:
            try:
                inbound = os.open(course_dir / "inbound", os.O_RDONLY | os.O_DIRECTORY)
            except OSError:
                continue
            try:
                for name in sorted(os.listdir(inbound)):
                    added += self._guarded(course_dir / "inbound" / name, self.consider,
                                           course_dir, inbound, name)
            finally:
                os.close(inbound)
        return added

    def _guarded(self, path: Path, step: Callable[..., int], *args: Any) -> int:
        try:
            return step(*args)
        except Exception as exc:  # one bad entry never stops the watcher
            self.note(path, f"{type(exc).__name__}: {exc}")
            return 0

    def consider(self, course_dir: Path, inbound: int, name: str) -> int:
        """Queue the folder exchange submission ``name`` in open folder ``inbound`` if it is
        new, complete and its owner's, copying it as it is now; returns 1 when queued."""
        path = course_dir / "inbound" / name
        match = SUBMISSION_NAME.fullmatch(name)
        if match is None:
            self.note(path, "not a submission folder name")
            return 0
        learner, assignment = match["learner"], match["assignment"]
        if assignment not in self.labs():  # most labs: nothing to look at
            return 0
        rid = request_id(path)
        if self.spool.known(rid):
            return 0
        lab = self.lab_for(course_dir, assignment,
                           released=(course_dir / "outbound" / assignment).is_dir())
        uid = _uid(learner)
        if lab is None or uid is None:
            return 0
        try:
            folder = open_folder(inbound, name, uid)
        except Replaced:
            self.note(path, f"not a folder owned by {learner}")
            return 0
        try:
            if not is_file(folder, COMPLETE_MARKER):
                return 0
            return self.queue(rid, course_dir.name, learner, lab, _copy_inbound(folder, uid))
        finally:
            os.close(folder)

    def scan_service_store(self, store: Path) -> int:
        """One pass over the exchange service's store (the container modes: submissions
        arrive over HTTP, stamped with the learner the hub named); returns how many it
        added. Each new submission is unpacked into the spool, with the ``timestamp.txt``
        and ``submission_id.txt`` that the exchange's collect adds, so the instructor's
        collected copy is the same submission."""
        return sum(self._guarded(meta_path.parent, self.consider_stored, store, meta_path)
                   for meta_path in sorted(store.glob("*/submissions/*/u-*/*/meta.json")))

    def consider_stored(self, store: Path, meta_path: Path) -> int:
        """Queue the exchange service's submission ``meta_path`` if it is new."""
        rid = request_id(meta_path.parent)
        if self.spool.known(rid):
            return 0
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        course, assignment = meta["course_id"], meta["assignment_id"]
        released = (store / course / "assignments" / assignment / "meta.json").is_file()
        lab = self.lab_for(store / course, assignment, released)
        if lab is None:
            return 0

        def copy(folder: Path) -> dict[str, Any]:
            archive.unpack((meta_path.parent / "submission.tar.gz").read_bytes(), folder)
            (folder / "timestamp.txt").write_text(meta["timestamp"])
            (folder / "submission_id.txt").write_text(meta["submission_id"])
            return {}
        return self.queue(rid, course, meta["student_id"], lab, copy)

    def queue(self, rid: str, course: str, learner: str, lab: Lab,
              copy: Callable[[Path], dict[str, Any]]) -> int:
        """Copy and queue request ``rid`` if its learner has an attempt left at this lab
        (in any course), else settle it at once; returns 1 when queued."""
        request = {
            "id": rid, "course": course, "lab": lab.id, "track": lab.track,
            "learner": learner, "seen_ns": time.time_ns(), "submitted_at": _now_iso(),
            "attempts": lab.feedback.attempts,
        }
        outcome = self.spool.admit(request, copy)
        if outcome == "limit":
            LOG.info("%s has no attempt left for %s", learner, lab.id)
        elif outcome == "queued":
            LOG.info("queued %s of %s", lab.id, learner)
        return int(outcome == "queued")


def read_submission(spool: Spool, request: dict[str, Any]) -> dict[str, bytes]:
    """The files of the request's copy in the spool (only root can enter it), read through
    one handle on that folder opened without following a link."""
    folder = spool.files(request["id"])
    if request.get("copy_error"):  # a spool of before reasons holds [code, detail]
        code, detail, reason, values = [*request["copy_error"], "", {}][:4]
        raise SubmissionError(code, detail, reason, **values)
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError:
        raise SubmissionError("unreadable", "the submission's copy is gone") from None
    try:
        return read_files(Path(f"/proc/self/fd/{fd}"))
    finally:
        os.close(fd)


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


def lab_stamp(folder: Path) -> tuple[tuple[str, int, int], ...]:
    """Each file of a lab folder with its size and modification time: changes when the
    instructor changes the lab."""
    stamp = []
    for parent, folders, files in os.walk(folder):
        folders.sort()
        for name in sorted(files):
            try:
                info = os.stat(os.path.join(parent, name))
            except OSError:
                continue
            stamp.append((os.path.join(parent, name), info.st_size, info.st_mtime_ns))
    return tuple(stamp)


@dataclass
class _Started:
    """A lab's started grader, the lab's files it started from and the grades it runs."""

    grader: Grader
    stamp: tuple[tuple[str, int, int], ...]
    grading: int = 0
    retired: bool = False

    def stop_if_idle(self) -> None:
        """Stop a grader replaced by a newer one once its last grade is done."""
        if self.retired and not self.grading:
            self.grader.__exit__(None, None, None)


class Graders:
    """``concurrency`` threads grading the spool's requests with one warm grader per lab
    (started again when the lab changes); records go to the outbox (unless the lab's record
    is the instructor's collect)."""

    def __init__(self, spool: Spool, labs_root: Path, outbox: Outbox, *,
                 concurrency: int = 2) -> None:
        self.spool, self.labs_root, self.outbox = spool, labs_root, outbox
        self.concurrency = concurrency
        self.stopping = threading.Event()
        self.wake = threading.Event()
        self._graders: dict[str, _Started] = {}
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
        """The started grader of a lab: started on first use, then kept until the lab's
        files change (an instructor's fix counts at the next submission)."""
        with self._lock:
            return self._current(track, lab_id).grader

    def _current(self, track: str, lab_id: str) -> _Started:
        """The lab's grader, started again when its files changed (the caller holds the
        lock); the old one stops once the grades it runs are done."""
        stamp = lab_stamp(self.labs_root / track / lab_id)
        started = self._graders.get(lab_id)
        if started is not None and started.stamp != stamp:
            LOG.info("lab %s changed: its grader starts again", lab_id)
            del self._graders[lab_id]
            started.retired = True
            started.stop_if_idle()
            started = None
        if started is None:
            grader = Grader(load_lab(self.labs_root / track / lab_id), workers=self.concurrency)
            grader.__enter__()
            started = self._graders[lab_id] = _Started(grader, stamp)
            LOG.info("grader of %s started (%d slots)", lab_id, self.concurrency)
        return started

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
            for started in self._graders.values():
                started.grader.__exit__(None, None, None)
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
            try:
                outcome = self.grade(request)
            except Exception:  # one request never stops grading; its learner is told
                LOG.exception("cannot grade %s of %s", request.get("lab"), request.get("learner"))
                outcome = {"state": "error", "graded_ns": time.time_ns(), "error": {
                    "code": "grading_failed", "message": CATALOG.all_languages("feedback.failed")}}
            if self.stopping.is_set():
                return  # the sandboxes were stopped under it: graded again after restart
            self.spool.finish({**request, **outcome})

    def grade(self, request: dict[str, Any]) -> dict[str, Any]:
        """Grade one request; its record goes to the outbox; returns the learner's view."""
        with self._lock:
            started = self._current(request["track"], request["lab"])
            started.grading += 1
        try:
            return self._grade(started.grader, request)
        finally:
            with self._lock:
                started.grading -= 1
                started.stop_if_idle()

    def _grade(self, grader: Grader, request: dict[str, Any]) -> dict[str, Any]:
        submission = Submission(learner=request["learner"],
                                path=self.spool.files(request["id"]),
                                submitted_at=request["submitted_at"])
        try:
            submission.files = read_submission(self.spool, request)
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
