"""A real JupyterHub (with the real configurable-http-proxy) running the exchange service.

Users: ana and ben learn in course ``north`` (group cohort-north), cal in ``south``;
ines teaches ``north`` (instructors-north), olga ``south``, uma is in the umbrella group
``instructors`` with no course, ada is a hub admin. Learners' servers are real single-user
servers, each in its own home folder under a temporary data root; nothing is shared
between homes.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.support.hub import base_config
from tests.support.ports import free_port

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PROXY = REPO / "node_modules" / ".bin" / "configurable-http-proxy"
GROUPS = {
    "cohort-north": ["ana", "ben"],
    "cohort-south": ["cal"],
    "instructors": ["ines", "olga", "uma"],
    "instructors-north": ["ines"],
    "instructors-south": ["olga"],
}
ADMINS = ["ada"]


HUB_CONFIG = """
import sys
from pathlib import Path
from hub.modes.profiles import set_exchange_url
from hub.services.exchange import hubconfig

c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allowed_users = {users!r}
c.Authenticator.admin_users = {admins!r}
c.JupyterHub.load_groups = {groups!r}
# one group per API page, so the exchange must follow the hub's pagination to see courses
c.JupyterHub.api_page_default_limit = 1
c.JupyterHub.api_page_max_limit = 1
c.JupyterHub.services = [{{"name": "test-admin", "api_token": {admin_token!r}}}]
c.JupyterHub.load_roles = [{{
    "name": "test-admin",
    "scopes": ["admin:users", "tokens", "admin:servers", "access:servers", "list:groups"],
    "services": ["test-admin"],
}}]
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = "{root}/home/{{username}}"
c.Spawner.cmd = [{singleuser!r}]
c.Spawner.args = ["--allow-root"]
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
hubconfig.configure(
    c,
    Path("{root}"),
    service_url="http://127.0.0.1:{exchange_port}",
)
set_exchange_url(c, "http://127.0.0.1:{port}/services/exchange/")
"""


@dataclass
class Hub:
    url: str
    root: Path
    admin_token: str
    process: subprocess.Popen

    def api(self, method: str, path: str, token: str | None = None, **kwargs) -> requests.Response:
        headers = {"Authorization": f"token {token or self.admin_token}"}
        return requests.request(
            method, f"{self.url}/hub/api/{path}", headers=headers, timeout=60, **kwargs
        )

    def token(self, user: str, scopes: list[str]) -> str:
        response = self.api("POST", f"users/{user}/tokens", json={"scopes": scopes})
        response.raise_for_status()
        return response.json()["token"]

    @property
    def exchange_url(self) -> str:
        return f"{self.url}/services/exchange/"


def _wait_for(url: str, status: int, process: subprocess.Popen, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"JupyterHub exited with status {process.returncode}")
        try:
            if requests.get(url, timeout=5).status_code == status:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer in {seconds} s")


def descendants(pid: int) -> list[int]:
    """Every live process below ``pid`` (from /proc)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        kids = [child for child, ppid in parents.items() if ppid == parent]
        found += kids
        frontier += kids
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory):
    if not PROXY.exists():
        pytest.fail(f"configurable-http-proxy missing at {PROXY}: run `npm ci`.")
    root = tmp_path_factory.mktemp("exchange-hub")
    (root / "home").mkdir()
    port = free_port()
    admin_token = secrets.token_hex(32)
    config = root / "jupyterhub_config.py"
    config.write_text(
        base_config(root, port=port, hub_port=free_port(), proxy_api_port=free_port())
        + HUB_CONFIG.format(
            port=port,
            exchange_port=free_port(),
            root=root,
            groups={name: {"users": users} for name, users in GROUPS.items()},
            users=sorted({u for users in GROUPS.values() for u in users}),
            admins=set(ADMINS),
            admin_token=admin_token,
            singleuser=str(BIN / "jupyterhub-singleuser"),
        )
    )
    env = {**os.environ, "PATH": f"{BIN}:{PROXY.parent}:{os.environ['PATH']}"}
    log = (root / "hub.log").open("w")
    process = subprocess.Popen(
        [str(BIN / "jupyterhub"), "-f", str(config)],
        cwd=root,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    hub = Hub(f"http://127.0.0.1:{port}", root, admin_token, process)
    try:
        _wait_for(f"{hub.url}/hub/api/", 200, process)
        # without a token the exchange itself answers 403 (the proxy alone would say 404)
        _wait_for(f"{hub.exchange_url}api/courses", 403, process)
        yield hub
    finally:
        children = descendants(process.pid)
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        log.close()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and [p for p in children if alive(p)]:
            time.sleep(0.2)
        leftover = [
            (p, Path(f"/proc/{p}/cmdline").read_bytes()[:200]) for p in children if alive(p)
        ]
        for pid, _ in leftover:
            os.kill(pid, signal.SIGKILL)
        assert not leftover, f"processes left behind: {leftover}"


def write_nbgrader_config(folder: Path, extra: str = "") -> None:
    """The exchange plugin config (as the images ship it) plus ``extra`` lines."""
    shipped = REPO / "hub" / "services" / "exchange" / "nbgrader_config.py"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "nbgrader_config.py").write_text(shipped.read_text() + "\n" + extra)


def dump(value: object) -> str:
    return json.dumps(value, indent=1, sort_keys=True)
