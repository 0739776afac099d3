"""Open the class from the gradebook: a cohort's staff start its learners' labs before class.

The page a lead lands on (the program overview) has an "Open the class" button per cohort
they may see. The gradebook authorises the POST itself (XSRF-checked by HubOAuth; only the
staff of that cohort: its leads and instructors, hub admins) and starts the servers with
:func:`warm_cohort` and its own hub token, whose roles (:func:`hub.people.roles.roles`) reach only
cohorts' learners: leads themselves get no ``servers`` scope (they could stop learners'
labs with it). ``northlab cohort warm C`` (and the "Open the class" button of an
instructor's hub home) calls the same :func:`warm_cohort` with the ``northlab`` command's
token.

:func:`warm_cohort` asks the hub to start every learner of a cohort whose server is not
running, on the track they last used (the hub keeps it as their server's options) or the
given one. A learner who then logs in finds their lab ready; the idle culler stops the
servers nobody used (``idle_timeout``). Idempotent: running or starting servers are left
alone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Protocol

import requests

from graders.lab import TRACKS
from northlab.groups import cohort_group


class ClassNotOpened(Exception):
    """The class cannot be opened (an unknown cohort or track); the message is one sentence."""


class HubAPI(Protocol):
    """What :func:`warm_cohort` asks of a hub client (:class:`hub.people.manage.HubClient`,
    :class:`ServiceHubClient`)."""

    def _send(self, method: str, path: str, **kwargs) -> requests.Response: ...

    def user(self, name: str) -> dict | None: ...


class ServiceHubClient:
    """The part of :class:`hub.people.manage.HubClient` that :func:`warm_cohort` uses,
    with a hub-managed service's API URL and token (hub.people.manage is seconds of imports on a
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


@dataclass
class Warmed:
    """What :func:`warm_cohort` did, learner by learner."""

    started: list[str] = field(default_factory=list)
    running: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


def warm_cohort(client: HubAPI, cohort: str, *, track: str | None = None) -> Warmed:
    """Ask the hub to start the server of every learner of ``cohort`` that is not running
    (does not wait for them to be ready)."""
    if track is not None and track not in TRACKS:  # before starting anything
        raise ClassNotOpened(f"Unknown track {track!r}: choose one of {', '.join(TRACKS)}.")
    response = client._send("GET", f"/groups/{cohort_group(cohort)}")
    if response.status_code == 404:
        raise ClassNotOpened(f"There is no cohort {cohort!r} in the running hub.")
    response.raise_for_status()
    warmed = Warmed()
    for name in sorted(response.json()["users"]):
        user = client.user(name) or {}
        if user.get("servers", {}).get("") or user.get("pending"):
            warmed.running.append(name)
            continue
        # no body: the hub starts them with their last options (their track)
        options = {"json": {"track": track}} if track else {}
        answer = client._send("POST", f"/users/{name}/server", **options)
        if answer.status_code in (201, 202):
            warmed.started.append(name)
        elif answer.status_code == 400 and "already running" in answer.text:
            warmed.running.append(name)
        else:
            warmed.failed[name] = _reason(answer.text)
    return warmed


def _reason(text: str) -> str:
    try:
        return str(json.loads(text).get("message", text))
    except ValueError:
        return text.strip()[:200]
