"""Where the exchange service keeps releases, submissions and feedback (one folder).

Layout under the store root (only the service reads or writes it)::

    <course>/assignments/<assignment>/release.tar.gz + meta.json
    <course>/submissions/<assignment>/u-<learner>/<submission id>/submission.tar.gz + meta.json
    <course>/feedback/<assignment>/u-<learner>/<submission id>/<notebook>.html

Writes go to a temporary name and are renamed into place, so a reader never sees half a
file and a crash leaves no partial entry.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, unquote

from hub.services.exchange import archive
from hub.services.exchange.messages import Translated
from northlab.hidden import shows_hidden_tests

#: Course, assignment and notebook ids: what nbgrader and folder names both accept.
ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
#: Disk bytes all of one learner's submissions to one course may take, and how many there
#: may be.
LEARNER_BYTES = 4 * archive.MAX_BYTES
LEARNER_SUBMISSIONS = 2000
#: What the disk takes at least per entry (a submission is a folder, an archive and a meta).
BLOCK = 4096
#: nbgrader's timestamp format (parsed back by nbgrader.utils.parse_utc).
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f %Z"


class StoreError(Translated):
    """A request the store cannot satisfy; ``status`` is the HTTP status to answer."""

    def __init__(self, status: int, message_id: str, **values: object) -> None:
        super().__init__(message_id, **values)
        self.status = status


def check_id(kind: str, value: str) -> str:
    """``value`` if it is a safe id (of a ``kind``: course, assignment, ...), else 400."""
    if not ID_PATTERN.fullmatch(value or "") or value.endswith("."):
        raise StoreError(400, "exchange.bad_id", value=repr(value))
    return value


def _learner_dir(name: str) -> str:
    return "u-" + quote(name, safe="")


def disk_cost(archive_bytes: int) -> int:
    """Disk bytes one submission takes: three entries, each rounded up to whole blocks."""
    return 3 * BLOCK + -(-archive_bytes // BLOCK) * BLOCK


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _write_json(path: Path, value: object) -> None:
    _write_atomic(path, json.dumps(value, indent=1, sort_keys=True).encode())


def _read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@dataclass
class Store:
    """The exchange's files under ``root``; ``max_bytes`` bounds one archive,
    ``learner_bytes`` (disk bytes) and ``learner_submissions`` all of one learner's
    submissions to a course."""

    root: Path
    max_bytes: int = archive.MAX_BYTES
    learner_bytes: int = LEARNER_BYTES
    learner_submissions: int = LEARNER_SUBMISSIONS
    #: (course, learner) -> [submissions, disk bytes], counted once then kept up to date
    _usage: dict[tuple[str, str], list[int]] = field(default_factory=dict, repr=False)
    _learner_locks: dict[tuple[str, str], threading.Lock] = field(default_factory=dict,
                                                                  repr=False)
    _locks_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self.root = Path(self.root)
        self.root.mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o700)

    # releases -----------------------------------------------------------------------
    def _release_dir(self, course: str, assignment: str) -> Path:
        return (
            self.root
            / check_id("course", course)
            / "assignments"
            / check_id("assignment", assignment)
        )

    def release(self, course: str, assignment: str, data: bytes, force: bool) -> dict:
        """Store a release archive; 409 if it exists and ``force`` is false."""
        names = self._inspect(data)
        folder = self._release_dir(course, assignment)
        if (folder / "meta.json").exists() and not force:
            raise StoreError(409, "exchange.already_released", assignment=assignment, course=course)
        meta = {
            "course_id": course,
            "assignment_id": assignment,
            "released_at": _now(),
            "notebooks": archive.notebooks(names),
            "files": names,
        }
        _write_atomic(folder / "release.tar.gz", data)
        _write_json(folder / "meta.json", meta)
        return meta

    def unrelease(self, course: str, assignment: str) -> None:
        folder = self._release_dir(course, assignment)
        if not folder.exists():
            raise StoreError(404, "exchange.not_released", assignment=assignment, course=course)
        shutil.rmtree(folder)

    def released(self, courses: list[str]) -> list[dict]:
        """Release metadata of every assignment in ``courses``."""
        found = []
        for course in sorted(courses):
            base = self.root / check_id("course", course) / "assignments"
            for meta_path in sorted(base.glob("*/meta.json")):
                found.append(_read_json(meta_path))
        return found

    def release_meta(self, course: str, assignment: str) -> dict:
        path = self._release_dir(course, assignment) / "meta.json"
        if not path.exists():
            raise StoreError(404, "exchange.not_released", assignment=assignment, course=course)
        return _read_json(path)

    def release_archive(self, course: str, assignment: str) -> bytes:
        self.release_meta(course, assignment)
        return (self._release_dir(course, assignment) / "release.tar.gz").read_bytes()

    # submissions --------------------------------------------------------------------
    def _submissions_dir(self, course: str, assignment: str) -> Path:
        return (
            self.root
            / check_id("course", course)
            / "submissions"
            / check_id("assignment", assignment)
        )

    def submit(self, course: str, assignment: str, learner: str, data: bytes) -> dict:
        """Store a submission stamped now by the service; returns its metadata. Past the
        learner's storage bound (``learner_bytes``) it is refused (413) and nothing changes."""
        self.release_meta(course, assignment)
        names = self._inspect(data)
        key = (check_id("course", course), learner)
        with self._learner_lock(key):  # the bounds hold under the learner's concurrent submits
            usage = self._usage.get(key) or self._count_usage(*key)
            if usage[0] >= self.learner_submissions:
                raise StoreError(413, "exchange.learner_too_many", course=course,
                                 limit=self.learner_submissions)
            if usage[1] + disk_cost(len(data)) > self.learner_bytes:
                raise StoreError(413, "exchange.learner_full", course=course,
                                 limit=self.learner_bytes >> 20)
            meta = self._store_submission(course, assignment, learner, data, names)
            self._usage[key] = [usage[0] + 1, usage[1] + disk_cost(len(data))]
            return meta

    def _learner_lock(self, key: tuple[str, str]) -> threading.Lock:
        with self._locks_lock:
            return self._learner_locks.setdefault(key, threading.Lock())

    def _count_usage(self, course: str, learner: str) -> list[int]:
        """[submissions, disk bytes] of ``learner``'s submissions to ``course``, read once."""
        base = self.root / course / "submissions"
        sizes = [path.stat().st_size for path in
                 base.glob(f"*/{_learner_dir(learner)}/*/submission.tar.gz")]
        return [len(sizes), sum(disk_cost(size) for size in sizes)]

    def _store_submission(self, course: str, assignment: str, learner: str, data: bytes,
                          names: list[str]) -> dict:
        now = datetime.now(UTC)
        submission_id = f"{now:%Y%m%dT%H%M%S%fZ}-{secrets.token_hex(4)}"
        folder = self._submissions_dir(course, assignment) / _learner_dir(learner) / submission_id
        meta = {
            "course_id": course,
            "assignment_id": assignment,
            "student_id": learner,
            "submission_id": submission_id,
            "timestamp": now.strftime(TIMESTAMP_FORMAT),
            "notebooks": archive.notebooks(names),
        }
        _write_atomic(folder / "submission.tar.gz", data)
        _write_json(folder / "meta.json", meta)
        return meta

    def submissions(
        self, course: str, assignment: str | None = None, learner: str | None = None
    ) -> list[dict]:
        """Submission metadata, oldest first, filtered by assignment and learner."""
        base = self.root / check_id("course", course) / "submissions"
        pattern = f"{check_id('assignment', assignment) if assignment else '*'}/" + (
            f"{_learner_dir(learner)}/*/meta.json" if learner else "u-*/*/meta.json"
        )
        metas = [_read_json(p) for p in base.glob(pattern)]
        return sorted(metas, key=lambda m: (m["timestamp"], m["submission_id"]))

    def _submission_dir(self, course: str, assignment: str, learner: str, sub_id: str) -> Path:
        folder = (
            self._submissions_dir(course, assignment)
            / _learner_dir(learner)
            / check_id("submission", sub_id)
        )
        if not (folder / "meta.json").exists():
            raise StoreError(
                404,
                "exchange.no_submission",
                submission=sub_id,
                assignment=assignment,
                learner=learner,
            )
        return folder

    def submission_meta(self, course: str, assignment: str, learner: str, sub_id: str) -> dict:
        return _read_json(self._submission_dir(course, assignment, learner, sub_id) / "meta.json")

    def submission_archive(self, course: str, assignment: str, learner: str, sub_id: str) -> bytes:
        folder = self._submission_dir(course, assignment, learner, sub_id)
        return (folder / "submission.tar.gz").read_bytes()

    # feedback -----------------------------------------------------------------------
    def _feedback_dir(self, course: str, assignment: str, learner: str, sub_id: str) -> Path:
        self._submission_dir(course, assignment, learner, sub_id)
        return self.root / course / "feedback" / assignment / _learner_dir(learner) / sub_id

    def put_feedback(
        self, course: str, assignment: str, learner: str, sub_id: str, notebook: str, html: bytes
    ) -> dict:
        if len(html) > self.max_bytes:
            raise StoreError(413, "exchange.feedback_too_big", limit=self.max_bytes)
        if shows_hidden_tests(html):
            raise StoreError(422, "exchange.feedback_hidden", notebook=notebook, learner=learner)
        folder = self._feedback_dir(course, assignment, learner, sub_id)
        path = folder / f"{check_id('notebook', notebook)}.html"
        _write_atomic(path, html)
        return self._feedback_entry(course, assignment, learner, sub_id, path)

    def _feedback_entry(
        self, course: str, assignment: str, learner: str, sub_id: str, path: Path
    ) -> dict:
        meta = self.submission_meta(course, assignment, learner, sub_id)
        return {
            "course_id": course,
            "assignment_id": assignment,
            "student_id": learner,
            "submission_id": sub_id,
            "timestamp": meta["timestamp"],
            "notebook_id": path.stem,
            "checksum": hashlib.md5(path.read_bytes()).hexdigest(),
        }

    def feedback(self, course: str, assignment: str | None, learner: str | None) -> list[dict]:
        """Released feedback entries (with md5 checksums), filtered like submissions."""
        base = self.root / check_id("course", course) / "feedback"
        pattern = f"{check_id('assignment', assignment) if assignment else '*'}/" + (
            f"{_learner_dir(learner)}/*/*.html" if learner else "u-*/*/*.html"
        )
        entries = []
        for path in sorted(base.glob(pattern)):
            sub_id, learner_dir, assignment_id = path.parts[-2], path.parts[-3], path.parts[-4]
            who = unquote(learner_dir.removeprefix("u-"))
            entries.append(self._feedback_entry(course, assignment_id, who, sub_id, path))
        return entries

    def feedback_html(
        self, course: str, assignment: str, learner: str, sub_id: str, notebook: str
    ) -> bytes:
        path = self._feedback_dir(course, assignment, learner, sub_id) / (
            f"{check_id('notebook', notebook)}.html"
        )
        if not path.exists():
            raise StoreError(404, "exchange.no_feedback", notebook=notebook, submission=sub_id)
        return path.read_bytes()

    def _inspect(self, data: bytes) -> list[str]:
        try:
            return archive.inspect(data, self.max_bytes)
        except archive.ArchiveError as exc:
            raise StoreError(400, exc.message_id, **exc.values) from None


def _now() -> str:
    return datetime.now(UTC).strftime(TIMESTAMP_FORMAT)
