"""The hub tests' teardown waits for processes that are still exiting before it calls
anything left behind (the race of a learner's server exiting just after stop_hub)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from hub import managed
from hub.commands.runner import stale_services
from hub.config.settings import Settings, load_settings
from tests.support.ports import free_port_block

from .conftest import kill_leftovers, running


def start_service(tmp_path: Path, seconds: int) -> tuple[Settings, subprocess.Popen]:
    settings = load_settings({"NORTHLAB_DATA": str(tmp_path),
                              "NORTHLAB_PORT": str(free_port_block())})
    api = f"http://127.0.0.1:{settings.port + managed.HUB_PORT_OFFSET}/hub/api"
    env = {**os.environ, "JUPYTERHUB_API_URL": api, "JUPYTERHUB_SERVICE_NAME": "exiting"}
    return settings, subprocess.Popen(["sleep", str(seconds)], env=env)


def test_a_process_still_exiting_is_not_left_behind(tmp_path: Path) -> None:
    settings, service = start_service(tmp_path, 2)
    assert stale_services(settings) == [service.pid]  # what the old teardown asserted on
    assert kill_leftovers([], settings) == {}
    assert service.poll() == 0  # it ended by itself, not killed


def test_a_process_that_stays_is_killed_and_reported(tmp_path: Path) -> None:
    settings, service = start_service(tmp_path, 600)
    assert kill_leftovers([], settings, timeout=1) == {"services": [service.pid]}
    service.wait(30)
    assert not running(service.pid)
