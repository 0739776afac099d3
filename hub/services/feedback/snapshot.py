"""Copy a learner's submission folder out of the exchange's inbound, as it is now.

The learner owns the folder and may rename, replace or change it at any moment, so every
part of it is opened relative to its parent's open handle with ``O_NOFOLLOW`` (a link put
anywhere in the path is never followed), each folder and file must belong to the learner
(``fstat`` of the opened handle), and the same caps as :func:`graders.submissions.read_files`
hold. What is graded is the copy, in a folder only root can enter.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from graders.submissions import (
    MAX_DEPTH,
    MAX_ENTRIES,
    MAX_FILE_BYTES,
    MAX_FILES,
    MAX_TOTAL_BYTES,
    SubmissionError,
    shown_name,
)

_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
_FILE = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK


class Replaced(ValueError):
    """The folder is not the learner's (a link, someone else's, or gone)."""


def open_folder(parent: int | None, name: str | Path, uid: int) -> int:
    """An open handle on folder ``name`` (relative to handle ``parent``), never through a
    link, owned by ``uid``; else :class:`Replaced`."""
    try:
        fd = os.open(name, _DIR, dir_fd=parent)
    except OSError as exc:
        raise Replaced(f"{name!r}: {exc.strerror}") from None
    if os.fstat(fd).st_uid != uid:
        os.close(fd)
        raise Replaced(f"{name!r} is not the learner's")
    return fd


def is_file(folder: int, name: str) -> bool:
    """Whether ``name`` in open folder ``folder`` is a regular file (not a link)."""
    try:
        return stat.S_ISREG(os.stat(name, dir_fd=folder, follow_symlinks=False).st_mode)
    except OSError:
        return False


def copy_submission(folder: int, dest: Path, uid: int) -> None:
    """Copy the learner's regular files and folders under open folder ``folder`` into the
    new folder ``dest``: links, dot-names, names that are not UTF-8 and anything not owned
    by ``uid`` are left out; too many or too large files raise ``SubmissionError``."""
    dest.mkdir(mode=0o700)
    counts = {"entries": 0, "files": 0, "bytes": 0}
    _copy(folder, dest, uid, 0, counts)


def _copy(folder: int, dest: Path, uid: int, depth: int, counts: dict[str, int]) -> None:
    if depth > MAX_DEPTH:
        raise SubmissionError("too-large", f"folders nested deeper than {MAX_DEPTH}", "depth",
                              depth=MAX_DEPTH)
    names = []
    for entry in os.scandir(folder):
        counts["entries"] += 1
        if counts["entries"] > MAX_ENTRIES:
            raise SubmissionError("too-large", f"more than {MAX_ENTRIES} entries", "entries",
                                  count=MAX_ENTRIES)
        if not entry.name.startswith(".") and _utf8(entry.name):
            names.append(entry.name)
    for name in sorted(names):
        try:
            fd = os.open(name, _FILE, dir_fd=folder)
        except OSError:
            continue  # a link (ELOOP) or gone: never followed
        try:
            info = os.fstat(fd)
            if info.st_uid != uid:
                continue
            if stat.S_ISDIR(info.st_mode):
                (dest / name).mkdir(mode=0o700)
                _copy(fd, dest / name, uid, depth + 1, counts)
            elif stat.S_ISREG(info.st_mode):
                _copy_file(fd, dest / name, counts)
        finally:
            os.close(fd)


def _copy_file(fd: int, dest: Path, counts: dict[str, int]) -> None:
    data = bytearray()
    while len(data) <= MAX_FILE_BYTES and (chunk := os.read(fd, 1 << 20)):
        data += chunk
    counts["files"] += 1
    counts["bytes"] += len(data)
    if len(data) > MAX_FILE_BYTES:
        mb = MAX_FILE_BYTES // 2**20
        raise SubmissionError("too-large", f"{shown_name(dest.name)} is larger than {mb} MB",
                              "file", name=shown_name(dest.name), mb=mb)
    if counts["bytes"] > MAX_TOTAL_BYTES:
        mb = MAX_TOTAL_BYTES // 2**20
        raise SubmissionError("too-large", f"the files add up to more than {mb} MB", "total",
                              mb=mb)
    if counts["files"] > MAX_FILES:
        raise SubmissionError("too-large", f"more than {MAX_FILES} files", "files",
                              count=MAX_FILES)
    with open(os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as handle:
        handle.write(data)


def _utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
