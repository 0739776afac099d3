"""Talking to a running hub the way a person does."""

from __future__ import annotations

import requests


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
