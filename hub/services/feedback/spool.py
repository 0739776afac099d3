"""The feedback service's durable queue: one JSON file per request, moved between folders.

Layout under ``<data_root>/feedback/`` (only the service, root, reads or writes it)::

    queue/<enqueued ns>-<id>.json   waiting, oldest first (the name orders the queue)
    running/<id>.json               being graded; moved back to queue/ when the service starts
    done/<id>.json                  the request with its outcome (score, feedback or refusal)
    files/<id>/                     the copy of the submission that is graded (kept until
                                    it is graded)

``<id>`` is a hash of the submission's exchange folder, so seeing a submission twice never
queues it twice, and a request is in exactly one folder at any time. Moves are renames
within one file system, written files are renamed into place: a restart at any moment
finds each request whole, in one place, and grades what was not done.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import secrets
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

QUEUE, RUNNING, DONE, FILES = "queue", "running", "done", "files"


def request_id(folder: Path) -> str:
    """The id of the request for the submission in exchange folder ``folder`` (any bytes)."""
    return hashlib.sha256(os.fsencode(folder)).hexdigest()[:24]


def _write_atomic(path: Path, value: dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(value, handle, ensure_ascii=False)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def _read(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


class Spool:
    """The request folders under ``root``; safe to use from several threads and processes
    (a second service started on the same data root by mistake claims nothing twice)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        for sub in (QUEUE, RUNNING, DONE, FILES):
            (self.root / sub).mkdir(mode=0o700, exist_ok=True)
        self._threads = threading.Lock()

    @contextmanager
    def _lock(self) -> Iterator[None]:
        with self._threads, open(self.root / ".lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield

    def _queued(self) -> list[Path]:
        return sorted(p for p in (self.root / QUEUE).glob("*.json"))

    def known(self, rid: str) -> bool:
        """Whether request ``rid`` was ever queued (waiting, running or done)."""
        return (self.root / RUNNING / f"{rid}.json").exists() or \
            (self.root / DONE / f"{rid}.json").exists() or \
            any(p.stem.endswith(f"-{rid}") for p in self._queued())

    def files(self, rid: str) -> Path:
        """The folder holding the graded copy of request ``rid``'s submission."""
        return self.root / FILES / rid

    def admit(self, request: dict[str, Any],
              copy: Callable[[Path], dict[str, Any]]) -> str | None:
        """In one step (no other thread or process in between): unless its ``id`` is known,
        queue ``request`` with its ``attempt`` number after ``copy(folder)`` wrote its files
        (and returned fields to add, e.g. an ``error``; what it raises queues nothing),
        or record it as ``limit`` when its learner used every attempt of its lab (``attempts``,
        0: no limit) in any course (a request our side failed to grade, ``error``, uses none).
        Returns ``queued``, ``limit`` or None (known)."""
        rid = request["id"]
        with self._lock():
            if self.known(rid):
                return None
            used = sum(1 for r in self._all() if r.get("learner") == request["learner"]
                       and (r.get("track"), r.get("lab")) == (request["track"], request["lab"])
                       and r.get("state") not in ("limit", "error"))
            if request["attempts"] and used >= request["attempts"]:
                _write_atomic(self.root / DONE / f"{rid}.json",
                              {**request, "state": "limit", "attempt": None})
                return "limit"
            folder = self.files(rid)
            shutil.rmtree(folder, ignore_errors=True)  # a copy left by a stop mid-copy
            try:
                extra = copy(folder)
            except BaseException:
                shutil.rmtree(folder, ignore_errors=True)
                raise
            _write_atomic(self.root / QUEUE / f"{time.time_ns():020d}-{rid}.json",
                          {**request, **extra, "folder": str(folder), "attempt": used + 1})
            return "queued"

    def claim(self) -> dict[str, Any] | None:
        """The oldest waiting request, now marked running; None when the queue is empty."""
        with self._lock():
            for path in self._queued():
                request = _read(path)
                rid = path.stem.split("-", 1)[1]
                if request is None:  # unreadable: keep it aside, never lose the others
                    os.replace(path, self.root / DONE / f"{rid}.broken")
                    continue
                os.replace(path, self.root / RUNNING / f"{rid}.json")
                return request
        return None

    def finish(self, request: dict[str, Any]) -> None:
        """Record the outcome of a running request."""
        with self._lock():
            _write_atomic(self.root / DONE / f"{request['id']}.json", request)
            (self.root / RUNNING / f"{request['id']}.json").unlink(missing_ok=True)
            shutil.rmtree(self.files(request["id"]), ignore_errors=True)

    def recover(self) -> int:
        """Put requests left running by a stopped service back at the head of the queue;
        returns how many."""
        with self._lock():
            left = sorted((self.root / RUNNING).glob("*.json"))
            for path in left:
                os.replace(path, self.root / QUEUE / f"{0:020d}-{path.stem}.json")
            return len(left)

    def entries(self, learner: str, course: str | None = None) -> list[dict[str, Any]]:
        """Every request of ``learner`` (in ``course``), oldest first, with its state:
        ``queued`` (with ``position``, 1 = next), ``grading`` or what ``done`` recorded."""
        with self._lock():  # no request moves while the folders are read
            found = self._all()
        mine = [r for r in found if r.get("learner") == learner
                and (course is None or r.get("course") == course)]
        return sorted(mine, key=lambda r: r.get("seen_ns", 0))

    def _all(self) -> list[dict[str, Any]]:
        """Every request with its state (the caller holds the lock)."""
        found = []
        for position, path in enumerate(self._queued(), start=1):
            if (request := _read(path)) is not None:
                found.append({**request, "state": "queued", "position": position})
        found += [{**r, "state": "grading"} for p in sorted(
            (self.root / RUNNING).glob("*.json")) if (r := _read(p)) is not None]
        found += [r for p in sorted((self.root / DONE).glob("*.json"))
                  if (r := _read(p)) is not None]
        return found
