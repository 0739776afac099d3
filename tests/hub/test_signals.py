"""A hub started from a background job (SIGINT ignored, as bash does for `cmd &`) still
hands its services a SIGINT they obey: JupyterHub stops them with SIGINT first."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from hub.commands.runner import stale_services

from .conftest import running_hub

pytestmark = pytest.mark.slow


def ignored_signals(pid: int) -> int:
    """The ``SigIgn`` mask of process ``pid``."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigIgn:"):
            return int(line.split()[1], 16)
    raise AssertionError(f"no SigIgn for {pid}")


def test_services_of_a_backgrounded_hub_obey_sigint():
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with running_hub() as hub:
            services = stale_services(hub.settings)  # every managed service, found by env
            assert len(services) >= 3
            sigint = 1 << (signal.SIGINT - 1)
            interruptible = [hub.process.pid, *services]
            assert not [pid for pid in interruptible if ignored_signals(pid) & sigint]
    finally:
        signal.signal(signal.SIGINT, previous)
