"""Uid blocks: concurrent grading runs on one host never share sandbox uids.

RLIMIT_NPROC counts every process of a uid, and the fallback sandbox kills all processes
of its uid when a slot stops; so each running :class:`graders.engine.Grader` takes a block
of :data:`BLOCK_SIZE` uids, held with an ``flock`` (released automatically if the process
dies). Block ``b`` covers ``uid_base + b * BLOCK_SIZE ...``; the run's cgroups are named
after it too (:mod:`graders.sandbox.cgroup`).

The lock files live in :data:`LOCK_DIR` (``/run/northlab``), a folder owned by root with
mode 0700, never in a world-writable one like ``/run/lock`` (where anyone could plant a
symlink or hold every block); they are opened with ``O_NOFOLLOW``. A grader not running
as root uses no uids of its own, so it takes no block.
"""

from __future__ import annotations

import fcntl
import os
import stat
from pathlib import Path

BLOCK_SIZE = 64  #: uids per grading run: 2 per slot, so at most 32 slots
BLOCKS = 32  #: concurrent grading runs per host
LOCK_DIR = Path("/run/northlab")


class NoFreeUids(OSError):
    """Every uid block is held by another grading run."""


def private_dir(folder: Path) -> Path:
    """Create ``folder`` (mode 0700) or check that it is a real folder owned by us and
    closed to others; raise :class:`PermissionError` otherwise."""
    try:
        os.mkdir(folder, 0o700)
    except FileExistsError:
        pass
    info = os.lstat(folder)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid() or \
            info.st_mode & 0o077:
        raise PermissionError(f"{folder} must be a folder owned by uid {os.geteuid()} "
                              "with mode 0700")
    return folder


class UidBlock:
    """A held block; ``index`` is its number. Release with :meth:`release`."""

    def __init__(self, index: int, fd: int) -> None:
        self.index = index
        self._fd = fd

    @classmethod
    def acquire(cls, lock_dir: Path = LOCK_DIR) -> UidBlock:
        private_dir(lock_dir)
        for index in range(BLOCKS):
            path = lock_dir / f"uids-{index}.lock"
            try:
                fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC,
                             0o600)
            except OSError:  # not a plain file (a planted symlink...): never used
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            return cls(index, fd)
        raise NoFreeUids(f"all {BLOCKS} sandbox uid blocks are in use")

    def release(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
