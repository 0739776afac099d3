"""The service process: clear refusal outside the hub, no orphan after the hub dies."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from hub.config.settings import REPO
from tests.support.ports import free_port

#: A hub starting the gradebook as it does (hub.managed): through its lifeline.
SPAWN = ("import os, subprocess, sys, time; from hub.services import lifeline; "
         "child = subprocess.Popen(lifeline.command(os.getpid(), "
         "[sys.executable, '-m', 'hub.services.gradebook']), start_new_session=True); "
         "print(child.pid, flush=True); time.sleep(600)")


def service_env(tmp_path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTERHUB_")}
    return {**env, "NORTHLAB_DATA": str(tmp_path),
            "NORTHLAB_RESULTS_DATABASE_URL": f"sqlite:///{tmp_path / 'records.sqlite'}",
            "JUPYTERHUB_SERVICE_URL": f"http://127.0.0.1:{free_port()}", **extra}


def test_outside_the_hub_it_says_why_in_one_line(tmp_path):
    result = subprocess.run([sys.executable, "-m", "hub.services.gradebook"], cwd=REPO,
                            env=service_env(tmp_path), capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "gradebook: JUPYTERHUB_API_TOKEN is not set; the gradebook runs as a "
        "JupyterHub-managed service (see hub/services/gradebook/__init__.py)."]


@pytest.mark.slow
def test_service_stops_when_the_hub_is_killed(tmp_path):
    env = service_env(tmp_path, JUPYTERHUB_API_TOKEN="not-a-real-token",
                      JUPYTERHUB_CLIENT_ID="service-gradebook")
    hub = subprocess.Popen([sys.executable, "-c", SPAWN], cwd=REPO, env=env,
                           stdout=subprocess.PIPE, text=True)
    service = int(hub.stdout.readline())
    try:
        time.sleep(3)
        assert os.path.exists(f"/proc/{service}"), "the service did not start"
        hub.kill()  # like `kill -9` of the hub: it cannot stop its services itself
        hub.wait()
        deadline = time.monotonic() + 20
        while os.path.exists(f"/proc/{service}") and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not os.path.exists(f"/proc/{service}")
    finally:
        if os.path.exists(f"/proc/{service}"):
            os.kill(service, 9)
