"""Open the class from the gradebook: a cohort's staff start its learners' labs before class.

The page a lead lands on (the program overview) has an "Open the class" button per cohort
they may see. The gradebook authorises the POST itself (XSRF-checked by HubOAuth; only the
staff of that cohort: its leads and instructors, hub admins) and starts the servers with
:func:`hub.classroom.warm_cohort` and its own hub token, whose roles
(:func:`hub.roles.roles`) reach only cohorts' learners: leads themselves get no ``servers``
scope (they could stop learners' labs with it).
"""

from __future__ import annotations

import requests

from northlab.groups import cohort_group


class ServiceHubClient:
    """The part of :class:`hub.people.HubClient` that :func:`hub.classroom.warm_cohort` uses,
    with a hub-managed service's API URL and token (hub.people is seconds of imports on a
    loaded machine, which every hub start would wait for)."""

    def __init__(self, api_url: str, token: str) -> None:
        self.url = api_url.rstrip("/")
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"token {token}"

    def _send(self, method: str, path: str, **kwargs) -> requests.Response:
        return self.session.request(method, self.url + path, timeout=30, **kwargs)

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        response = self._send(method, path, **kwargs)
        response.raise_for_status()
        return response

    def user(self, name: str) -> dict | None:
        response = self._send("GET", f"/users/{name}")
        return response.json() if response.status_code == 200 else None


def labs_ready(client: ServiceHubClient, cohort: str) -> tuple[int, int]:
    """(learners of ``cohort`` whose server is ready, learners of ``cohort``)."""
    names = client.request("GET", f"/groups/{cohort_group(cohort)}").json()["users"]
    ready = sum(bool((client.user(name) or {}).get("servers", {}).get("", {}).get("ready"))
                for name in names)
    return ready, len(names)
