"""Who may act on someone else's credentials: hub admins, and the instructors of a course
the learner is in.

Read from hub groups, as the exchange service does: the caller's own hub model (from their
OAuth login or API token) carries ``admin`` and ``groups``; the learner's cohorts
(``cohort-<id>`` groups) are asked of the hub with this service's own token (scope
``read:users``) at each staff request, so a change of groups counts at once. An instructor
of course ``<id>`` (hub group ``instructors-<id>``) acts on the credentials of the learners
in ``cohort-<id>``; the umbrella group ``instructors`` alone gives no learner.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

from tornado.httpclient import AsyncHTTPClient, HTTPRequest

from northlab.groups import cohort_of_group, courses_taught


def is_staff(actor: Mapping[str, Any]) -> bool:
    """A hub admin or an instructor of at least one course."""
    return bool(actor.get("admin")) or bool(courses_taught(list(actor.get("groups") or ())))


def may_act_for(actor: Mapping[str, Any], learner_cohorts: Iterable[str]) -> bool:
    """True if ``actor`` (a hub model) is a hub admin or teaches one of ``learner_cohorts``."""
    if actor.get("admin"):
        return True
    return bool(set(courses_taught(list(actor.get("groups") or ()))) & set(learner_cohorts))


class HubUnreachable(Exception):
    """The hub did not answer a staff lookup (the page says so: 503, not a crash)."""


async def cohorts_of(api_url: str, api_token: str, learner: str) -> frozenset[str]:
    """The cohorts ``learner`` learns in, from the hub (none if the hub has no such user)."""
    request = HTTPRequest(
        f"{api_url.rstrip('/')}/users/{quote(learner, safe='')}",
        headers={"Authorization": f"token {api_token}"}, request_timeout=30,
    )
    try:
        response = await AsyncHTTPClient().fetch(request, raise_error=False)
    except OSError as exc:
        raise HubUnreachable(str(exc)) from exc
    if response.code == 404:
        return frozenset()
    if response.code != 200:
        raise HubUnreachable(f"HTTP {response.code}")
    groups = json.loads(response.body).get("groups") or []
    return frozenset(c for c in map(cohort_of_group, groups) if c is not None)
