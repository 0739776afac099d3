"""hub.services.lifeline and stop_hub: a managed service never outlives its hub, and the hub's
readiness check finds a service whose imports are slow."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from jupyterhub.utils import wait_for_http_server

from hub import managed
from hub.commands.runner import stale_services, stop_hub
from hub.config.settings import REPO, load_settings
from tests.support.ports import free_port_block

#: A tornado service that imports for 4 s before serving (a loaded machine).
SLOW_SERVICE = """
import time
time.sleep(4)
from tornado import ioloop, web
from hub.services import lifeline
class Hello(web.RequestHandler):
    def get(self):
        self.write("up")
lifeline.listen(web.Application([("/", Hello)]), "127.0.0.1", 1)
ioloop.IOLoop.current().start()
"""
#: A "hub" that starts its argv as a service in a session of its own, as JupyterHub does.
HUB = ("import os, subprocess, sys, time; "
       "child = subprocess.Popen([a.replace('HUB_PID', str(os.getpid())) for a in sys.argv[1:]],"
       " start_new_session=True); print(child.pid, flush=True); time.sleep(600)")


def gone(pid: int, timeout: float = 30) -> bool:
    """Whether ``pid`` has ended (a zombie counts) within ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            return True
        if state == "Z":
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)


def start_under_hub(command: list[str], env: dict[str, str] | None = None
                    ) -> tuple[subprocess.Popen, int]:
    hub = subprocess.Popen([sys.executable, "-c", HUB, *command], cwd=REPO,
                           env=env, stdout=subprocess.PIPE, text=True)
    return hub, int(hub.stdout.readline())


def test_a_slow_service_answers_the_hubs_readiness_check() -> None:
    url = f"http://127.0.0.1:{free_port_block(1)}"
    env = {**os.environ, "JUPYTERHUB_SERVICE_URL": url}
    hub, service = start_under_hub(
        [sys.executable, "-m", "hub.services.lifeline", "HUB_PID", "--listen", "--",
         sys.executable, "-c", SLOW_SERVICE], env)
    try:
        # JupyterHub's own check: one second per try (its default ten tries would all be
        # refused while the service imports); the bound port makes it wait for the answer
        response = asyncio.run(wait_for_http_server(url, timeout=1))
        assert response.body == b"up"
    finally:
        hub.kill()
        hub.wait()
        assert gone(service)


def test_the_service_dies_with_its_hub() -> None:
    hub, service = start_under_hub(
        [sys.executable, "-m", "hub.services.lifeline", "HUB_PID", "--", "sleep", "600"])
    time.sleep(1)
    assert not gone(service, timeout=0)
    hub.kill()  # like `kill -9` of the hub: it cannot stop its services itself
    hub.wait()
    assert gone(service)


def test_no_service_starts_for_a_hub_already_gone() -> None:
    result = subprocess.run([sys.executable, "-m", "hub.services.lifeline", "1", "--", "sleep",
                             "600"], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "the hub (process 1) is gone" in result.stderr


def test_stop_hub_stops_what_a_dead_hub_left(tmp_path: Path) -> None:
    settings = load_settings({"NORTHLAB_DATA": str(tmp_path),
                              "NORTHLAB_PORT": str(free_port_block())})
    api = f"http://127.0.0.1:{settings.port + managed.HUB_PORT_OFFSET}/hub/api"
    env = {**os.environ, "JUPYTERHUB_API_URL": api, "JUPYTERHUB_SERVICE_NAME": "left"}
    hub, service = start_under_hub(["sleep", "600"], env)  # no lifeline: a hub of before
    hub.send_signal(signal.SIGKILL)
    hub.wait()
    assert stale_services(settings) == [service]
    stop_hub(settings, hub)
    assert gone(service, timeout=0)
