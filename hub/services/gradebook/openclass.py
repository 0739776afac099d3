"""Open the class from the gradebook: a cohort's staff start its learners' labs before class.

The page a lead lands on (the program overview) has an "Open the class" button per cohort
they may see. The gradebook authorises the POST itself (XSRF-checked by HubOAuth; only the
staff of that cohort: its leads and instructors, hub admins) and starts the servers with
its own hub token, whose roles (:func:`hub.roles.roles`) reach only cohorts' learners:
leads themselves get no ``servers`` scope (they could stop learners' labs with it).
"""

from __future__ import annotations

import requests

from hub.people import HubClient
from hub.roles import cohort_group


class ServiceHubClient(HubClient):
    """:class:`hub.people.HubClient` with a hub-managed service's API URL and token."""

    def __init__(self, api_url: str, token: str) -> None:  # noqa: D107 - no Settings here
        self.token = token
        self.url = api_url.rstrip("/")
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"token {token}"


def labs_ready(client: HubClient, cohort: str) -> tuple[int, int]:
    """(learners of ``cohort`` whose server is ready, learners of ``cohort``)."""
    names = client.request("GET", f"/groups/{cohort_group(cohort)}").json()["users"]
    ready = sum(bool((client.user(name) or {}).get("servers", {}).get("", {}).get("ready"))
                for name in names)
    return ready, len(names)
