"""Uid blocks: concurrent grading runs on one host never share sandbox uids.

RLIMIT_NPROC counts every process of a uid, and the fallback sandbox kills all processes
of its uid when a slot stops; so each running :class:`graders.engine.Grader` takes a block
of :data:`BLOCK_SIZE` uids, held with an ``flock`` (released automatically if the process
dies). Block ``b`` covers ``uid_base + b * BLOCK_SIZE ...``.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from pathlib import Path

BLOCK_SIZE = 64  #: uids per grading run: 2 per slot, so at most 32 slots
BLOCKS = 32  #: concurrent grading runs per host
LOCK_DIR = Path("/run/lock") if Path("/run/lock").is_dir() else Path(tempfile.gettempdir())


class NoFreeUids(RuntimeError):
    """Every uid block is held by another grading run."""


class UidBlock:
    """A held block; ``index`` is its number. Release with :meth:`release`."""

    def __init__(self, index: int, fd: int) -> None:
        self.index = index
        self._fd = fd

    @classmethod
    def acquire(cls, lock_dir: Path = LOCK_DIR) -> UidBlock:
        for index in range(BLOCKS):
            path = lock_dir / f"northlab-uids-{index}.lock"
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
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
