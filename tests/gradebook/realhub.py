"""A minimal real JupyterHub for the gradebook's browser tests.

Real JupyterHub 5, real configurable-http-proxy, NativeAuthenticator with open sign-up,
the hub's language switch (``hub.pages.language``, as in production), and the gradebook
launched by the hub as a managed service exactly as in production
(``python -m hub.services.gradebook``, HubOAuth). Roles follow the contract of
hub/people/roles.py: a cohort lead's role is filtered to ``!group=cohort-<id>``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from hub.config.settings import REPO
from hub.services.gradebook.access import GRADEBOOK_SCOPE
from tests.support.hub import base_config
from tests.support.ports import free_port

ADMIN_TOKEN = "test-admin-token-0123456789abcdef"


@dataclass
class RealHub:
    url: str
    process: subprocess.Popen
    log: Path

    def api(self, method: str, path: str, **kwargs) -> requests.Response:
        headers = {"Authorization": f"token {ADMIN_TOKEN}"}
        return requests.request(method, f"{self.url}/hub/api{path}", headers=headers,
                                timeout=30, **kwargs)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        try:  # the proxy and the service share the hub's process group
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def write_config(folder: Path, *, database_url: str, cohorts: dict[str, list[str]],
                 leads: dict[str, list[str]], admins: list[str],
                 environment: dict[str, str] | None = None) -> tuple[Path, str]:
    """Write jupyterhub_config.py into ``folder`` (``environment``: more of the gradebook's,
    e.g. what hub.managed gives it); returns (path, public url)."""
    port, hub_port, proxy_port, service_port = (free_port() for _ in range(4))
    data = folder / "data"
    (data / "hub").mkdir(parents=True, exist_ok=True)  # the hub's own folder, as in production
    roles = [
        # every user may open the gradebook (their own progress)
        {"name": "user", "scopes": ["self", "access:services!service=gradebook"]},
        {"name": "gradebook-service", "services": ["gradebook"],
         "scopes": ["list:groups", "read:groups"]},
        {"name": "program-admin", "users": admins, "scopes": [GRADEBOOK_SCOPE]},
        {"name": "test-admin", "services": ["test-admin"], "scopes": ["admin:users", "tokens"]},
    ]
    for cohort, names in leads.items():
        group = f"cohort-{cohort}"
        roles.append({
            "name": f"cohort-lead-{cohort}", "users": names,
            "scopes": ["self", f"list:users!group={group}", f"read:users!group={group}",
                       f"{GRADEBOOK_SCOPE}!group={group}"],
        })
    service = {
        "name": "gradebook",
        "url": f"http://127.0.0.1:{service_port}",
        "command": [sys.executable, "-m", "hub.services.gradebook"],
        "oauth_no_confirm": True,
        "oauth_client_allowed_scopes": [GRADEBOOK_SCOPE],
        "cwd": str(REPO),
        "environment": {
            "NORTHLAB_RESULTS_DATABASE_URL": database_url,
            "NORTHLAB_DATA": str(data),
            "NORTHLAB_GRADEBOOK_ROSTER_TTL": "1",
            **(environment or {}),
        },
    }
    groups = {f"cohort-{k}": {"users": v} for k, v in cohorts.items()}
    services = [service, {"name": "test-admin", "api_token": ADMIN_TOKEN}]
    config = base_config(folder, port=port, hub_port=hub_port, proxy_api_port=proxy_port) + f"""
c.ConfigurableHTTPProxy.should_start = True
c.JupyterHub.authenticator_class = "native"
c.NativeAuthenticator.open_signup = True
c.Authenticator.allow_all = True
c.Authenticator.admin_users = set()
c.JupyterHub.custom_scopes = {{{GRADEBOOK_SCOPE!r}: {{"description": "Read the gradebook."}}}}
c.JupyterHub.load_groups = {groups!r}
c.JupyterHub.load_roles = {roles!r}
c.JupyterHub.services = {services!r}
# started as the hub starts it: its port bound before its imports, so a loaded machine's
# slow start is waited for (JupyterHub gives a managed service ten one-second tries)
import os
from hub.services import lifeline
c.JupyterHub.services[0]["command"] = lifeline.command(
    os.getpid(), c.JupyterHub.services[0]["command"], serves=True)
c.JupyterHub.cleanup_servers = True

# the product's language switch (/hub/northlab/language), remembered per user
from hub.config.settings import load_settings
from hub.pages.language import configure_language
configure_language(c, load_settings({{"NORTHLAB_DATA": {str(data)!r},
                                     "NORTHLAB_CONFIG": {os.devnull!r}}}))
"""
    path = folder / "jupyterhub_config.py"
    path.write_text(config, encoding="utf-8")
    return path, f"http://127.0.0.1:{port}"


def start(folder: Path, **kwargs) -> RealHub:
    """Start the hub (with proxy and gradebook) and wait until the gradebook answers."""
    config, url = write_config(folder, **kwargs)
    log = folder / "hub.log"
    env = {**os.environ, "PATH": f"{REPO / '.venv/bin'}:{REPO / 'node_modules/.bin'}:"
                                 f"{os.environ.get('PATH', '')}"}
    process = subprocess.Popen(
        [sys.executable, "-m", "jupyterhub", "-f", str(config)], cwd=folder, env=env,
        stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True,
    )
    hub = RealHub(url=url, process=process, log=log)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"JupyterHub exited early:\n{log.read_text()[-4000:]}")
        try:
            # unauthenticated: the gradebook answers through the proxy with a login redirect
            r = requests.get(f"{url}/services/gradebook/program", allow_redirects=False,
                             timeout=5)
            if r.status_code == 302 and "oauth2/authorize" in r.headers.get("Location", ""):
                return hub
        except requests.ConnectionError:
            pass
        time.sleep(0.5)
    hub.stop()
    raise RuntimeError(f"JupyterHub or the gradebook did not come up:\n{log.read_text()[-4000:]}")
