"""Find and read learner submissions safely (the files are hostile input).

SUBMISSIONS_DIR holds one folder per learner (``learners``), nbgrader's
``submitted/<learner>/<assignment>/`` folder (``submitted``) or a course root holding it
(``course``); a learner of nbgrader's layout with no folder for the assignment submitted
nothing and is reported as missing, not graded. The layout is the caller's (``--layout``),
or read from what a learner cannot create: a folder named ``submitted`` is nbgrader's, a
folder with ``nbgrader_config.py`` or ``gradebook.db`` is a course root; a folder that
merely holds a ``submitted`` subfolder is ambiguous (a learner may be called ``submitted``)
and refused with a clear error. Every learner folder present is graded or reported. Reading
never follows symbolic links, skips anything that is not a regular file, refuses
``..``/absolute and non-UTF-8 names, and caps the number and size of files and the depth of
folders. Every field is parsed defensively: a bad one makes that submission's record say so
(or leaves the field unknown), never stops the batch.

Time comes only from what the learner cannot write: in nbgrader's ``submitted/`` layout,
``timestamp.txt`` is written by the collector (northlab's exchange service stamps the time
it received the submission, and its collect step writes that stamp over any file of that
name in the learner's archive; northlab's collect from the local folder exchange writes the
kernel's change time of the learner's folder, never the learner's name or stamp).
It is read as nbgrader reads it (:func:`parse_timestamp`). In the one-folder-per-learner
layout every file is the learner's, so ``submitted_at`` and ``late`` are unknown (None).
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path

from dateutil import parser as date_parser
from dateutil import tz as date_tz

MAX_FILES = 2000
MAX_TOTAL_BYTES = 48 * 1024 * 1024  # below the codec's frame limit
MAX_FILE_BYTES = 32 * 1024 * 1024
MAX_DEPTH = 32  #: deepest folder read in a submission
MAX_ENTRIES = 20000  #: folder entries looked at in one submission (files, folders, others)
LAYOUTS = ("auto", "learners", "submitted", "course")
COURSE_MARKERS = ("nbgrader_config.py", "gradebook.db")  #: files only an instructor writes
LEARNER = re.compile(r"^[A-Za-z0-9_.@+-]{1,128}$")
#: time zone names looked up like nbgrader (``America/Los_Angeles``, ``UTC``, ``EST5EDT``):
#: never a path (no leading ``/``, no ``.``), so no file outside the zoneinfo folders is read
ZONE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_+-]{0,40}(/[A-Za-z0-9_+-]{1,40}){0,2}$")


class LayoutError(ValueError):
    """The submissions folder's layout cannot be told without the caller saying it."""


class SubmissionError(ValueError):
    """A submission that cannot be read (too big, too many files...): ``code`` is its
    record's error code; the text says why (for instructors and logs); the learner reads
    the grader catalogue's ``error.<code>.<reason>`` with ``values`` (``error.<code>``
    without a reason)."""

    def __init__(self, code: str, detail: str, reason: str = "", **values: object) -> None:
        super().__init__(detail)
        self.code, self.reason, self.values = code, reason, values


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
    #: nbgrader's layout: the learner has no folder for the assignment (nothing to grade)
    missing: bool = False

    @property
    def submission_id(self) -> str:
        digest = hashlib.sha256()
        for name in sorted(self.files):
            digest.update(name.encode() + b"\0" + hashlib.sha256(self.files[name]).digest())
        return "sha256:" + digest.hexdigest()


def _walk(folder: Path) -> list[str]:
    """Paths of the entries under ``folder`` that may be files, depth-first and sorted,
    without recursion: at most :data:`MAX_DEPTH` folders deep and :data:`MAX_ENTRIES`
    entries (else :class:`SubmissionError`); dot-names and symlinked folders skipped."""
    found: list[str] = []
    seen = 0
    stack: list[tuple[str, int]] = [(str(folder), 0)]
    while stack:
        path, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise SubmissionError("too-large", f"folders nested deeper than {MAX_DEPTH}",
                                  "depth", depth=MAX_DEPTH)
        with os.scandir(path) as entries:
            children = []
            for entry in entries:
                seen += 1
                if seen > MAX_ENTRIES:
                    raise SubmissionError("too-large", f"more than {MAX_ENTRIES} entries",
                                          "entries", count=MAX_ENTRIES)
                if not entry.name.startswith("."):
                    children.append(entry)
        folders = []
        for entry in sorted(children, key=lambda e: e.name):
            if entry.is_dir(follow_symlinks=False):
                folders.append(entry.path)
            elif not entry.is_symlink():
                found.append(entry.path)
        stack.extend((sub, depth + 1) for sub in reversed(folders))
    return found


def read_files(folder: Path) -> dict[str, bytes]:
    """Regular files under ``folder`` by relative POSIX path (no symlinks, no dot-files)."""
    files: dict[str, bytes] = {}
    total = 0
    for full in _walk(folder):
        name = os.path.basename(full)
        try:
            fd = os.open(full, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            continue  # a symlink or unreadable entry: never followed
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):
                continue
            if info.st_size > MAX_FILE_BYTES:
                mb = MAX_FILE_BYTES // 2**20
                raise SubmissionError("too-large", f"{shown_name(name)} is larger than {mb} MB",
                                      "file", name=shown_name(name), mb=mb)
            total += info.st_size
            if total > MAX_TOTAL_BYTES:
                mb = MAX_TOTAL_BYTES // 2**20
                raise SubmissionError("too-large", f"the files add up to more than {mb} MB",
                                      "total", mb=mb)
            if len(files) >= MAX_FILES:
                raise SubmissionError("too-large", f"more than {MAX_FILES} files", "files",
                                      count=MAX_FILES)
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
    its first 64 bytes, parsed by :func:`parse_timestamp`); else None."""
    try:
        fd = os.open(folder / "timestamp.txt", os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                return None
            text = handle.read(64).decode("utf-8")
    except (OSError, ValueError):  # UnicodeDecodeError is a ValueError
        return None
    return parse_timestamp(text)


def parse_timestamp(text: str) -> str | None:
    """An nbgrader timestamp as ISO 8601 UTC, read as ``nbgrader.utils.parse_utc`` reads it
    (so ``late`` agrees with nbgrader's gradebook): ``DATE TIME ZONE`` with an IANA/POSIX
    zone name (``America/Los_Angeles``, ``UTC``) or a number (nbgrader's rule: seconds east
    of UTC), else anything dateutil reads (``...-08:00``); no zone means UTC. None for
    anything else (control characters included), or a year outside 1970-9998 in UTC; zone
    names that could be paths are not looked up (the time is then UTC)."""
    text = text.strip()
    if not text.isprintable():
        return None
    try:
        parts = text.split(" ")
        if len(parts) == 3:
            zone: tzinfo | int | None
            try:
                zone = int(parts[2])
            except ValueError:
                zone = date_tz.gettz(parts[2]) if ZONE_NAME.match(parts[2]) else None
            moment = date_parser.parse(" ".join([*parts[:2], "TZ"]), tzinfos={"TZ": zone})
        else:
            moment = date_parser.parse(text)
        if moment.tzinfo is not None:
            offset = moment.utcoffset() or timedelta(0)
            moment = moment.replace(tzinfo=None) - offset
    except (ValueError, OverflowError, TypeError, LookupError):
        return None
    if not 1970 <= moment.year <= 9998:
        return None
    return moment.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z")


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


def layout_of(folder: Path, layout: str = "auto") -> tuple[Path, bool]:
    """The folder holding one folder per learner, and whether it is nbgrader's collected
    ``submitted/`` (whose ``timestamp.txt`` the collector wrote). Raises
    :class:`LayoutError` when ``layout`` is ``auto`` and a learner could have made the
    structure that decides it."""
    if layout not in LAYOUTS:
        raise LayoutError(f"unknown layout '{layout}' (one of {', '.join(LAYOUTS)})")
    if layout == "auto":
        if folder.resolve().name == "submitted":
            layout = "submitted"
        elif any((folder / m).is_file() for m in COURSE_MARKERS):
            layout = "course"
        elif (folder / "submitted").is_dir():
            raise LayoutError(f"{folder} holds a folder 'submitted' but no nbgrader_config.py:"
                              " say which layout it is with --layout learners|course")
        else:
            layout = "learners"
    if layout == "course":
        folder = folder / "submitted"
        if not folder.is_dir() or folder.is_symlink():
            raise LayoutError(f"{folder}: no such folder (a course root holds submitted/)")
    return folder, layout != "learners"


def find_submissions(folder: Path, assignment: str, due: datetime | None = None,
                     layout: str = "auto") -> list[Submission]:
    """One :class:`Submission` per learner folder (files are read, errors recorded: what
    one folder holds never stops the others; in nbgrader's layout a learner without an
    ``<assignment>/`` folder is ``missing``); with ``due`` (timezone-aware), those the
    collector stamped after it are marked late."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such folder")
    folder, collected = layout_of(folder, layout)
    found = []
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith(".") or entry.is_symlink() or not entry.is_dir():
            continue
        found.append(_submission(entry, assignment, collected, due))
    return found


def _submission(entry: Path, assignment: str, collected: bool, due: datetime | None
                ) -> Submission:
    """The submission in learner folder ``entry``: in nbgrader's layout its
    ``<assignment>/`` folder (stamped by the collector), else the whole folder (no time
    known)."""
    learner = entry.name
    inner = entry / assignment
    path = inner if collected or (inner.is_dir() and not inner.is_symlink()) else entry
    sub = Submission(learner=learner, path=path)
    if not LEARNER.match(learner):
        sub.learner = shown_name(learner)
        sub.error = SubmissionError("bad-learner", f"'{sub.learner}' is not a valid "
                                    "learner name")
        return sub
    try:
        if collected:
            sub.submitted_at = _timestamp(path)
        sub.late = is_late(sub.submitted_at, due)
        if collected and (not path.is_dir() or path.is_symlink()):
            sub.missing = True  # nothing submitted for this assignment
            return sub
        sub.files = read_files(path)
    except SubmissionError as exc:
        sub.files, sub.error = {}, exc
    except Exception as exc:  # noqa: BLE001 - one folder never stops the batch
        sub.files = {}
        sub.error = SubmissionError("unreadable", f"{type(exc).__name__}")
    return sub
