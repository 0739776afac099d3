"""Open the class: start the servers of a cohort's learners before they log in.

``northlab cohort warm C`` (and the "Open the class" button of an instructor's hub home)
asks the hub to start every learner of cohort ``C`` whose server is not running, on the
track they last used (the hub keeps it as their server's options) or the given one. A
learner who then logs in finds their lab ready; the idle culler stops the servers nobody
used (``idle_timeout``). Idempotent: running or starting servers are left alone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from hub.accounts import AccountError
from hub.people import HubClient
from hub.profiles import parse_track
from northlab.groups import cohort_group


@dataclass
class Warmed:
    """What :func:`warm_cohort` did, learner by learner."""

    started: list[str] = field(default_factory=list)
    running: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


def warm_cohort(client: HubClient, cohort: str, *, track: str | None = None) -> Warmed:
    """Ask the hub to start the server of every learner of ``cohort`` that is not running
    (does not wait for them to be ready)."""
    if track is not None:
        parse_track(track)  # a clear error for an unknown track, before starting anything
    response = client._send("GET", f"/groups/{cohort_group(cohort)}")
    if response.status_code == 404:
        raise AccountError(f"There is no cohort {cohort!r} in the running hub.")
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
