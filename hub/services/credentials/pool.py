"""Verification away from the web service's event loop, with a deadline that stops it.

A pasted credential is hostile: canonicalising it can take seconds of CPU. The verify
page hands each document to one of a few worker processes (each with its own read-only
library on the same data root); at most ``queue`` documents wait or run at once, others
get "busy" straight away. In the worker a timer interrupts the work at the deadline (a
pure-Python canonicaliser stops there), and the answer is INVALID ("too-costly").
"""

from __future__ import annotations

import asyncio
import ctypes
import signal
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from types import FrameType
from typing import Any

from hub.services.credentials.proof import canonize
from hub.services.credentials.service import Credentials, CredentialsError
from hub.services.credentials.strict import ALLOWED_CONTEXTS
from hub.services.credentials.verify import Verification, verify_credential
from northlab.settings import CredentialSettings

#: Worker processes, documents in flight at most, and seconds one verification may take
#: (ours take ~20 ms; the cost caps of :mod:`strict` refuse most costly documents sooner).
WORKERS = 2
QUEUE = 8
DEADLINE = 30.0
PR_SET_PDEATHSIG = 1


def verify_here(library: Credentials, document: Any) -> Verification:
    """Verify ``document`` against what ``library`` knows: its keys, its status lists
    (straight from its DB), its stored originals and its issuers."""

    def status_lists(url: str) -> dict[str, Any] | None:
        list_id = library.status_list_id(url)
        try:
            return library.status_list_credential(list_id) if list_id else None
        except CredentialsError:
            return None

    def original(credential_id: str) -> dict[str, Any] | None:
        try:
            return library.get(credential_id).document
        except CredentialsError:
            return None

    return verify_credential(
        document,
        loader=library.loader,
        known_keys=library.known_keys(),
        status_lists=status_lists,
        original=original,
        issuers=library.issuers(),
    )


class _Deadline(BaseException):
    """Raised in a worker when its time is up (a BaseException: nothing swallows it)."""


_worker_library: Credentials | None = None


def _start_worker(settings: CredentialSettings) -> None:
    global _worker_library  # one library per worker process
    _die_with_the_service()
    _worker_library = Credentials(settings, migrate=False)
    for context in ALLOWED_CONTEXTS:  # process the contexts now, not within a deadline
        canonize({"@context": context, "id": "urn:x", "name": "x"}, _worker_library.loader)


def _die_with_the_service() -> None:
    """Ask Linux to kill this worker when the service that started it dies, even by
    SIGKILL (a worker waiting for work would otherwise live on)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: shutdown() still stops the workers
        return


def _time_up(signum: int, frame: FrameType | None) -> None:
    raise _Deadline


def _verify_in_worker(document: Any, seconds: float) -> Verification:
    assert _worker_library is not None
    signal.signal(signal.SIGALRM, _time_up)
    try:
        signal.setitimer(signal.ITIMER_REAL, seconds)
        return verify_here(_worker_library, document)
    except _Deadline:
        return Verification(False, "too-costly", "too costly to verify: it takes too long")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


class VerifierPool:
    """Worker processes that verify documents for the web app (started on first use)."""

    def __init__(
        self,
        settings: CredentialSettings,
        *,
        workers: int = WORKERS,
        queue: int = QUEUE,
        seconds: float = DEADLINE,
    ) -> None:
        self.settings = settings
        self.workers = workers
        self.queue = queue
        self.seconds = seconds
        self.in_flight = 0
        self._executor: ProcessPoolExecutor | None = None

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                self.workers,
                mp_context=get_context("spawn"),
                initializer=_start_worker,
                initargs=(self.settings,),
            )
        return self._executor

    async def verify(self, document: Any) -> Verification:
        """The verification of ``document``, or "busy" when ``queue`` are in flight."""
        if self.in_flight >= self.queue:
            return Verification(False, "busy", "the verifier is busy: try again in a minute")
        self.in_flight += 1
        try:
            future = self._pool().submit(_verify_in_worker, document, self.seconds)
            return await asyncio.wrap_future(future)
        except BrokenProcessPool:
            self.shutdown()  # a worker died (killed, out of memory): start afresh next time
            return Verification(False, "too-costly", "too costly to verify: the worker died")
        finally:
            self.in_flight -= 1

    def shutdown(self) -> None:
        """Stop the workers and wait for them to exit."""
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
