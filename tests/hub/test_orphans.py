"""A hub's managed services live and die with it: a service slow to start (a loaded
machine) does not make the hub give up, and a hub killed hard leaves no service behind."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from hub.commands.runner import stale_services, stop_hub

from .conftest import running_hub

pytestmark = pytest.mark.slow

#: Makes the kit service's first tornado import take 15 s (JupyterHub gives a managed
#: service ten tries of about one second each to answer).
SLOW_KIT = """
import os
if os.environ.get("JUPYTERHUB_SERVICE_NAME") == "kit":
    import sys, time
    class SlowTornado:
        def find_spec(self, name, path=None, target=None):
            if name == "tornado":
                sys.meta_path.remove(self)
                time.sleep(15)
    sys.meta_path.insert(0, SlowTornado())
"""


def service_name(pid: int) -> str:
    try:
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:  # it has just exited
        return ""
    for item in environ:
        if item.startswith(b"JUPYTERHUB_SERVICE_NAME="):
            return item.split(b"=", 1)[1].decode()
    return ""


def test_slow_services_start_and_die_with_their_hub(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "sitecustomize.py").write_text(SLOW_KIT)
    tmp_path.chmod(0o755)
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))  # JupyterHub hands it to its services
    with running_hub() as hub:
        services = stale_services(hub.settings)
        assert {service_name(pid) for pid in services} >= {
            "idle-culler", "northlab-grader", "credentials", "gradebook", "kit"}
        os.kill(hub.process.pid, signal.SIGKILL)  # as the OOM killer would: no clean-up
        hub.process.wait()
        deadline = time.monotonic() + 30
        while stale_services(hub.settings) and time.monotonic() < deadline:
            time.sleep(0.5)
        left = {pid: service_name(pid) for pid in stale_services(hub.settings)}
        assert not left, f"services left running by the killed hub: {left}"
        stop_hub(hub.settings, hub.process)  # its proxy (a session of its own) is left
