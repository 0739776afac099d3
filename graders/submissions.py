"""Find and read learner submissions safely (the files are hostile input).

SUBMISSIONS_DIR holds one folder per learner, or nbgrader's ``submitted/<learner>/<lab>/``
layout. Reading never follows symbolic links, skips anything that is not a regular file,
refuses ``..``/absolute names, and caps the number and size of files.
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
    #: Arrived after the lab's due date (nbgrader's, extensions included, or ``--due``).
    late: bool = False

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
            if ".." in rel.split("/") or rel.startswith("/"):
                continue
            files[rel] = data
    return files


def _timestamp(folder: Path) -> str | None:
    """nbgrader's timestamp.txt, as ISO 8601 UTC, when present and sane."""
    try:
        text = (folder / "timestamp.txt").read_text(encoding="utf-8")[:64].strip()
        text = text.removesuffix(" UTC")  # nbgrader writes "%Y-%m-%d %H:%M:%S.%f %Z"
        moment = datetime.fromisoformat(text.replace(" ", "T"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def is_late(submitted_at: str | None, due: datetime | None) -> bool:
    """Whether a submission stamped ``submitted_at`` (ISO 8601) came after ``due``."""
    if submitted_at is None or due is None:
        return False
    return datetime.fromisoformat(submitted_at.replace("Z", "+00:00")) > due


def find_submissions(folder: Path, lab_id: str, due: datetime | None = None) -> list[
        Submission]:
    """One :class:`Submission` per learner folder (files are read, errors recorded);
    with ``due`` (timezone-aware), those stamped after it are marked late."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such folder")
    if (folder / "submitted").is_dir() and not (folder / "submitted" / lab_id).exists():
        folder = folder / "submitted"
    found = []
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith(".") or entry.is_symlink() or not entry.is_dir():
            continue
        learner = entry.name
        path = entry / lab_id if (entry / lab_id).is_dir() and not (
            entry / lab_id).is_symlink() else entry
        stamp = _timestamp(path)
        sub = Submission(learner=learner, path=path, submitted_at=stamp,
                         late=is_late(stamp, due))
        if not LEARNER.match(learner):
            sub.error = SubmissionError("bad-learner", f"'{learner[:40]}' is not a valid "
                                        "learner name")
        else:
            try:
                sub.files = read_files(path)
            except SubmissionError as exc:
                sub.error = exc
        found.append(sub)
    return found
