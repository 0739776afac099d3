"""Hand-made test hubs: their base configuration, and talking to them the way a person does."""

from __future__ import annotations

from pathlib import Path

import requests

from northlab.settings import REPO


def log_in(hub_url: str, name: str, password: str) -> requests.Session:
    """A session logged in through the hub's login form at ``hub_url`` (no redirect followed,
    so no server is spawned); fails the test with the hub's answer if the login is refused."""
    session = requests.Session()
    session.get(f"{hub_url}/hub/login", timeout=30)
    response = session.post(f"{hub_url}/hub/login", timeout=30, allow_redirects=False,
                            data={"username": name, "password": password,
                                  "_xsrf": session.cookies.get("_xsrf")})
    assert response.status_code == 302, response.text[:500]
    return session


def base_config(folder: Path, *, port: int, hub_port: int, proxy_api_port: int) -> str:
    """The first lines of a hand-made test hub's ``jupyterhub_config.py``: on 127.0.0.1,
    with the project's proxy, its database, cookie secret and pid file in ``folder``."""
    proxy = REPO / "node_modules" / ".bin" / "configurable-http-proxy"
    return f"""c = get_config()  # noqa
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {port}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {hub_port}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{proxy_api_port}"
c.ConfigurableHTTPProxy.command = [{str(proxy)!r}]
c.JupyterHub.db_url = {f"sqlite:///{folder / 'jupyterhub.sqlite'}"!r}
c.JupyterHub.cookie_secret_file = {str(folder / "cookie_secret")!r}
c.JupyterHub.pid_file = {str(folder / "jupyterhub.pid")!r}
"""
