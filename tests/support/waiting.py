"""Polling for what a real hub, service or server does in its own time."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import pytest

T = TypeVar("T")


def wait_for(check: Callable[[], T], what: str, timeout: float = 120, every: float = 0.5) -> T:
    """``check()``'s first true value, polled every ``every`` s; fails the test as "timed out
    waiting for ``what``" after ``timeout`` s (generous: CI machines are loaded)."""
    deadline = time.monotonic() + timeout
    while True:
        if value := check():
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)
