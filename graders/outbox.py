"""Durable grading-side outbox: results wait on disk until the credential service has them.

Layout of the outbox folder (``<data_root>/outbox/`` by default):

    pending/<key>.json        results not yet acknowledged (written atomically, fsynced)
    pending/<key>.state.json  delivery attempts, next attempt time and last error
    sent/<key>.json           acknowledged by the service (201 stored / 200 already stored)
    rejected/<key>.json       refused as invalid (400) or as a conflicting update of a
                              stored result (409) + ``<key>.reason.txt``; never retried

Only ``pending/`` is shared with a group that queues results (instructors' autograde):
``sent/`` and ``rejected/`` are written by the deliverer alone (group may look, never
write), and each delivered copy in ``sent/`` is a new file the deliverer writes with the
bytes it sent, never the queued file moved (which its writer could still change). The
manual sync re-reads ``sent/`` as root, so it must be as trusted as what was delivered.

``<key>`` is a hash of (learner, lab, submission_id), so putting the same result twice keeps
one file, and the service is idempotent on the same triple: a retried report (e.g. after a
lost acknowledgement) never double-counts. Delivery retries connection errors, timeouts,
5xx and 401/403 (a token being fixed) with exponential backoff (2 s doubling up to 5 min),
driven by an injectable clock so tests can simulate an hour-long outage without sleeping.
Grading never waits for or fails because of delivery.

Verbs: ``northlab outbox deliver`` (once, or ``--watch``; ``--sync-manual`` also carries
formgrader's manual grades in, see graders/manual_grades.py) and ``northlab outbox status``.
"""

from __future__ import annotations

import argparse
import fcntl
import grp
import hashlib
import http.client
import json
import os
import pwd
import stat
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from northlab.settings import HubSettings, OutboxSettings, load
from northlab.tokens import grader_token_file

#: Service endpoint through the hub proxy on the hub's port; the results_url setting
#: (NORTHLAB_RESULTS_URL) overrides it.
DEFAULT_URL = "http://127.0.0.1:{port}/services/credentials/api/results"
BACKOFF_FIRST = 2.0  # seconds before the first retry
BACKOFF_MAX = 300.0  # retries are never more than 5 minutes apart
#: Seconds between the passes of ``deliver --watch`` (the hub's grader service): a queued
#: result goes at the next pass, a grade saved in formgrader at the next pass after its
#: record went (when the service answers; else retries back off).
POLL = 5.0

#: send(record) -> HTTP status; raises OSError (or http.client.HTTPException) when the
#: service cannot be reached or answers garbage.
Sender = Callable[[dict[str, Any]], int]


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a fsynced temporary file and rename (crash-safe)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def backoff(attempts: int) -> float:
    """Seconds to wait after ``attempts`` failed attempts."""
    return min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** max(0, attempts - 1))


@dataclass
class DeliveryReport:
    """What one :meth:`Outbox.deliver` pass did."""

    sent: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # will be retried
    waiting: int = 0  # pending, not yet due


def http_sender(url: str, token: str, timeout: float = 10.0) -> Sender:
    """A :data:`Sender` that POSTs JSON with ``Authorization: token <token>``."""

    def send(record: dict[str, Any]) -> int:
        request = urllib.request.Request(
            url,
            data=json.dumps(record).encode(),
            method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"token {token}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            exc.read()
            return exc.code

    return send


#: Checks who wrote a pending result: ``(owner uid, record) -> None`` if trusted, else why not.
Vouch = Callable[[int, dict[str, Any]], "str | None"]


def course_writers(group_prefix: str) -> Vouch:
    """For an outbox several instructors write into (local mode): a result must be written
    by root (``northlab grade``) or by a member of Unix group ``<group_prefix><course>`` of
    the record's course, so no instructor can queue results for another course's learners."""

    def vouch(uid: int, record: dict[str, Any]) -> str | None:
        if uid == 0:
            return None
        course = record.get("course")
        try:
            writer = pwd.getpwuid(uid).pw_name
        except KeyError:
            writer = f"uid {uid}"
        try:
            members = grp.getgrnam(f"{group_prefix}{course}").gr_mem if course else []
        except KeyError:
            members = []
        if writer in members:
            return None
        return f"written by {writer}, who does not teach course {course!r}"

    return vouch


class Outbox:
    """One outbox folder. ``clock`` returns seconds (time.time by default)."""

    def __init__(self, folder: Path, *, clock: Callable[[], float] = time.time) -> None:
        self.folder = Path(folder)
        self.clock = clock
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        # pending/ gets the outbox's own access, e.g. 2770 for a group of instructors whose
        # autograde queues results while the hub's grader service (root) delivers them;
        # sent/ and rejected/ are the deliverer's alone (the group may only look).
        mode = stat.S_IMODE(self.folder.stat().st_mode) & 0o2770
        if mode & 0o020:  # shared by a group: sticky, so nobody removes another's results
            mode |= stat.S_ISVTX
        for sub, sub_mode in (("pending", mode), ("sent", mode & 0o2750),
                              ("rejected", mode & 0o2750)):
            path = self.folder / sub
            path.mkdir(exist_ok=True)
            if path.stat().st_uid == os.geteuid():  # also brings older folders up to date
                os.chmod(path, sub_mode)

    @staticmethod
    def key(record: dict[str, Any]) -> str:
        triple = "\0".join(str(record.get(k, "")) for k in ("learner", "lab", "submission_id"))
        return hashlib.sha256(triple.encode()).hexdigest()[:32]

    def put(self, record: dict[str, Any], *, replace: bool = False) -> Path:
        """Queue ``record`` durably; returns its file. Queuing a result again is a no-op;
        with ``replace`` (a person's grades for a delivered submission) a record that
        differs from the latest copy is queued again, due at once, in place of the old."""
        key = self.key(record)
        data = json.dumps(record, ensure_ascii=False).encode()
        for sub in ("pending", "sent", "rejected"):
            existing = self.folder / sub / f"{key}.json"
            if existing.exists() and (not replace or existing.read_bytes() == data):
                return existing
            if existing.exists():
                break
        path = self.folder / "pending" / f"{key}.json"
        with self._lock():
            write_atomic(path, data)
            (self.folder / "pending" / f"{key}.state.json").unlink(missing_ok=True)
        return path

    def _state(self, key: str) -> dict[str, Any]:
        path = self.folder / "pending" / f"{key}.state.json"
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            return {"attempts": 0, "next_attempt": 0.0, "last_error": None}

    def pending(self) -> list[str]:
        return sorted(
            p.name.removesuffix(".json")
            for p in (self.folder / "pending").glob("*.json")
            if not p.name.endswith(".state.json")
        )

    def status(self) -> dict[str, Any]:
        """Counts per folder and the oldest pending result's attempts and last error."""
        pending = self.pending()
        states = [self._state(key) for key in pending]
        return {
            "pending": len(pending),
            "sent": len(list((self.folder / "sent").glob("*.json"))),
            "rejected": len(list((self.folder / "rejected").glob("*.json"))),
            "max_attempts": max((s["attempts"] for s in states), default=0),
            "last_error": next((s["last_error"] for s in states if s["last_error"]), None),
        }

    def next_due(self) -> float | None:
        """Clock time of the next due attempt, None when nothing is pending."""
        return min((self._state(k)["next_attempt"] for k in self.pending()), default=None)

    @contextmanager
    def _lock(self) -> Iterator[None]:
        # read-only: whoever made the lock file first (the hub's grader service, root),
        # every instructor whose autograde queues here can still take the lock
        handle = os.open(self.folder / ".lock", os.O_RDONLY | os.O_CREAT, 0o660)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield
        finally:
            os.close(handle)  # also releases the lock

    def _move(self, key: str, sub: str, data: bytes | None = None) -> None:
        """Take ``key`` out of pending/ into ``sub``: as a new file of ``data`` written by
        the deliverer (what it sent), else the queued file itself."""
        if data is None:
            os.replace(self.folder / "pending" / f"{key}.json", self.folder / sub / f"{key}.json")
        else:
            write_atomic(self.folder / sub / f"{key}.json", data)
            (self.folder / "pending" / f"{key}.json").unlink()
        (self.folder / "pending" / f"{key}.state.json").unlink(missing_ok=True)
        _fsync_dir(self.folder / sub)

    def deliver(self, send: Sender, vouch: Vouch | None = None) -> DeliveryReport:
        """Try every due pending result once (one delivering process at a time); with
        ``vouch``, results it does not trust are rejected instead of sent."""
        report = DeliveryReport()
        with self._lock():
            for key in self.pending():
                state = self._state(key)
                now = self.clock()
                if state["next_attempt"] > now:
                    report.waiting += 1
                    continue
                path = self.folder / "pending" / f"{key}.json"
                try:
                    with open(path, "rb") as handle:  # owner and content of the same file
                        owner = os.fstat(handle.fileno()).st_uid
                        data = handle.read()
                        record = json.loads(data)
                except (OSError, ValueError) as exc:
                    self._reject(key, f"unreadable outbox file: {exc}")
                    report.rejected.append(key)
                    continue
                distrust = vouch(owner, record) if vouch else None
                if distrust:
                    self._reject(key, distrust)
                    report.rejected.append(key)
                    continue
                try:
                    status: int | None = send(record)
                    error = f"HTTP {status}"
                except (OSError, http.client.HTTPException) as exc:  # down, timeout, garbled
                    status, error = None, f"{type(exc).__name__}: {exc}"
                if status in (200, 201):
                    self._move(key, "sent", data)
                    report.sent.append(key)
                elif status == 400:
                    self._reject(key, "the service refused the result as invalid (HTTP 400)")
                    report.rejected.append(key)
                elif status == 409:
                    self._reject(key, "the service refused it as a conflicting update of a "
                                      "stored result (HTTP 409; its log says why)")
                    report.rejected.append(key)
                else:
                    attempts = state["attempts"] + 1
                    new_state = {
                        "attempts": attempts,
                        "next_attempt": now + backoff(attempts),
                        "last_error": error,
                    }
                    write_atomic(
                        self.folder / "pending" / f"{key}.state.json",
                        json.dumps(new_state).encode(),
                    )
                    report.failed.append(key)
        return report

    def _reject(self, key: str, reason: str) -> None:
        write_atomic(self.folder / "rejected" / f"{key}.reason.txt", (reason + "\n").encode())
        self._move(key, "rejected")


# -- CLI verbs ------------------------------------------------------------------------------


def default_folder() -> Path:
    """``<data_root>/outbox``."""
    return load(OutboxSettings).data_root / "outbox"


def _url(args: argparse.Namespace) -> str:
    if args.url:
        return args.url
    settings = load(OutboxSettings)
    return settings.results_url or DEFAULT_URL.format(port=load(HubSettings).port)


def _token(args: argparse.Namespace) -> str:
    from northlab.cli import CommandError

    if args.token_file:
        try:
            return Path(args.token_file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise CommandError(f"cannot read the token file {args.token_file}: {exc}") from exc
    # a hub-managed deliverer gets its own service token as JUPYTERHUB_API_TOKEN
    token = load(OutboxSettings).results_token or os.environ.get("JUPYTERHUB_API_TOKEN")
    hub_token_file = grader_token_file(load(OutboxSettings))  # written by the hub
    if not token and hub_token_file.is_file():
        token = hub_token_file.read_text(encoding="utf-8").strip()
    if not token:
        raise CommandError(
            "no grader token: set NORTHLAB_RESULTS_TOKEN or pass --token-file "
            f"(a hub token with the custom:northlab:report-results scope; {hub_token_file} "
            "is used when present)"
        )
    return token


def cmd_deliver(args: argparse.Namespace) -> int:
    outbox = Outbox(args.outbox or default_folder())
    send = http_sender(_url(args), _token(args))
    vouch = course_writers(args.course_group_prefix) if args.course_group_prefix else None
    manual = None
    if args.sync_manual:
        from graders.manual_grades import CourseWatcher, default_labs_root

        manual = CourseWatcher(outbox, args.sync_manual, default_labs_root())
    while True:
        if manual is not None:
            manual.run()
        report = outbox.deliver(send, vouch)
        if report.sent or report.rejected or report.failed:
            print(
                f"outbox: {len(report.sent)} sent, {len(report.rejected)} rejected, "
                f"{len(report.failed)} to retry, {report.waiting} waiting"
            )
        if not args.watch:
            return 0 if not report.failed else 1
        due = outbox.next_due()
        time.sleep(args.poll if due is None else min(args.poll, max(0.2, due - time.time())))


def cmd_status(args: argparse.Namespace) -> int:
    print(json.dumps(Outbox(args.outbox or default_folder()).status(), indent=2))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "outbox",
        help="deliver graded results to the credential service",
        description="The durable outbox of grade results (retries with backoff).",
    )
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    for name, func, text in (
        ("deliver", cmd_deliver, "send due results now (or keep sending with --watch)"),
        ("status", cmd_status, "show pending / sent / rejected counts"),
    ):
        p = verbs.add_parser(name, help=text, description=text)
        p.add_argument(
            "--outbox",
            type=Path,
            help="outbox folder (default: <data_root>/outbox)",
        )
        p.set_defaults(func=func)
        if name == "deliver":
            p.add_argument(
                "--url",
                help="results endpoint (default: the results_url setting, "
                "NORTHLAB_RESULTS_URL, else " + DEFAULT_URL.format(port="<port>") + ")",
            )
            p.add_argument(
                "--token-file",
                help="file holding the grader token (else NORTHLAB_RESULTS_TOKEN, "
                "JUPYTERHUB_API_TOKEN, or <data_root>/hub/grader-token)",
            )
            p.add_argument("--watch", action="store_true", help="keep delivering until stopped")
            p.add_argument(
                "--course-group-prefix", metavar="PREFIX",
                help="only send results written by root or by a member of Unix group "
                "PREFIX<course> of the result's course; reject the others (local mode: ni-)",
            )
            p.add_argument(
                "--poll", type=float, default=POLL, help="seconds between passes with --watch"
            )
            p.add_argument(
                "--sync-manual", type=Path, metavar="COURSES_ROOT",
                help="before each pass, carry grades instructors gave in formgrader (the "
                "gradebook.db of each course folder under COURSES_ROOT that changed) into "
                "the delivered results awaiting them (see `northlab manual sync`)",
            )
