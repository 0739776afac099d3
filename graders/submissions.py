"""Find and read learner submissions safely (the files are hostile input).

SUBMISSIONS_DIR holds one folder per learner, or nbgrader's ``submitted/<learner>/<lab>/``
layout. Reading never follows symbolic links, skips anything that is not a regular file,
refuses ``..``/absolute and non-UTF-8 names, and caps the number and size of files. Every
field is parsed defensively: a bad one makes that submission's record say so (or leaves
the field unknown), never stops the batch.

Time comes only from what the learner cannot write: in nbgrader's ``submitted/`` layout,
``timestamp.txt`` is written by the collector (northlab's exchange stamps the time it
received the submission and overwrites any file of that name in the learner's archive). In
the one-folder-per-learner layout every file is the learner's, so ``submitted_at`` and
``late`` are unknown (None).
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

MAX_FILES = 2000
MAX_TOTAL_BYTES = 48 * 1024 * 1024  # below the codec's frame limit
MAX_FILE_BYTES = 32 * 1024 * 1024
LEARNER = re.compile(r"^[A-Za-z0-9_.@+-]{1,128}$")


class SubmissionError(ValueError):
    """A submission that cannot be read (too big, too many files...)."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code


@dataclass
class Submission:
    learner: str
    path: Path
    submitted_at: str | None = None
    files: dict[str, bytes] = field(default_factory=dict)
    error: SubmissionError | None = None
    #: Arrived after the lab's due date (nbgrader's, extensions included, or ``--due``);
    #: None when no time the learner cannot write is known.
    late: bool | None = None

    @property
    def submission_id(self) -> str:
        digest = hashlib.sha256()
        for name in sorted(self.files):
            digest.update(name.encode() + b"\0" + hashlib.sha256(self.files[name]).digest())
        return "sha256:" + digest.hexdigest()


def read_files(folder: Path) -> dict[str, bytes]:
    """Regular files under ``folder`` by relative POSIX path (no symlinks, no dot-files)."""
    files: dict[str, bytes] = {}
    total = 0
    for root, dirs, names in os.walk(folder, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".")
                         and not os.path.islink(os.path.join(root, d)))
        for name in sorted(names):
            if name.startswith("."):
                continue
            full = os.path.join(root, name)
            try:
                fd = os.open(full, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
            except OSError:
                continue  # a symlink or unreadable entry: never followed
            with os.fdopen(fd, "rb") as handle:
                info = os.fstat(handle.fileno())
                if not stat.S_ISREG(info.st_mode):
                    continue
                if info.st_size > MAX_FILE_BYTES:
                    raise SubmissionError("too-large", f"{name} is larger than "
                                          f"{MAX_FILE_BYTES // 2**20} MB")
                total += info.st_size
                if total > MAX_TOTAL_BYTES or len(files) >= MAX_FILES:
                    raise SubmissionError("too-large", "the submission has too many or too "
                                          "large files")
                data = handle.read(MAX_FILE_BYTES + 1)
            rel = Path(full).relative_to(folder).as_posix()
            if ".." in rel.split("/") or rel.startswith("/") or not _utf8(rel):
                continue
            files[rel] = data
    return files


def _utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # undecodable bytes in a file name (surrogate escapes)
        return False
    return True


def _timestamp(folder: Path) -> str | None:
    """nbgrader's timestamp.txt, as ISO 8601 UTC, when present and sane (a regular file,
    its first 64 bytes, years 1970-9998 once in UTC); else None."""
    try:
        fd = os.open(folder / "timestamp.txt", os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                return None
            text = handle.read(64).decode("utf-8").strip()
        text = text.removesuffix(" UTC")  # nbgrader writes "%Y-%m-%d %H:%M:%S.%f %Z"
        moment = datetime.fromisoformat(text.replace(" ", "T"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        moment = moment.astimezone(UTC)
    except (OSError, ValueError, OverflowError):  # UnicodeDecodeError is a ValueError
        return None
    if not 1970 <= moment.year <= 9998:
        return None
    return moment.isoformat().replace("+00:00", "Z")


def is_late(submitted_at: str | None, due: datetime | None) -> bool | None:
    """Whether a submission stamped ``submitted_at`` (ISO 8601) came after ``due``: False
    when there is no due date, None when the time is unknown."""
    if due is None:
        return False
    if submitted_at is None:
        return None
    return datetime.fromisoformat(submitted_at.replace("Z", "+00:00")) > due


def shown_name(name: str) -> str:
    """A folder name fit for a record: printable UTF-8, at most 40 characters."""
    text = "".join(c if c.isprintable() and _utf8(c) else "?" for c in name[:40])
    return text or "?"


def find_submissions(folder: Path, lab_id: str, due: datetime | None = None) -> list[
        Submission]:
    """One :class:`Submission` per learner folder (files are read, errors recorded);
    with ``due`` (timezone-aware), those stamped after it are marked late."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such folder")
    if (folder / "submitted").is_dir() and not (folder / "submitted" / lab_id).exists():
        folder = folder / "submitted"
    collected = folder.name == "submitted"  # the instructor's layout, not the learner's
    found = []
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith(".") or entry.is_symlink() or not entry.is_dir():
            continue
        learner = entry.name
        path = entry / lab_id if (entry / lab_id).is_dir() and not (
            entry / lab_id).is_symlink() else entry
        stamp = _timestamp(path) if collected else None
        sub = Submission(learner=learner, path=path, submitted_at=stamp,
                         late=is_late(stamp, due))
        if not LEARNER.match(learner):
            sub.learner = shown_name(learner)
            sub.error = SubmissionError("bad-learner", f"'{sub.learner}' is not a valid "
                                        "learner name")
        else:
            try:
                sub.files = read_files(path)
            except SubmissionError as exc:
                sub.error = exc
        found.append(sub)
    return found
