"""Who is in which cohort: the hub's groups named ``cohort-<id>`` (not ``cohort-leads``).

The hub is the one source of cohort membership (the same groups the leads' scopes are
filtered on). :class:`HubRoster` reads them over the hub API with the service's own token
(scopes ``list:groups`` and ``read:groups``) and keeps them for ``ttl`` seconds; tests and
benchmarks hand a fixed :class:`Snapshot` to :class:`StaticRoster`.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlencode

from tornado.httpclient import AsyncHTTPClient, HTTPClientError

from .access import COHORT_PREFIX

PAGINATION = "application/jupyterhub-pagination+json"
#: Hub groups named like cohorts that are not: the cohort leads' own group.
NOT_COHORTS = frozenset({"cohort-leads"})


class RosterUnavailable(Exception):
    """The hub could not be asked for cohort membership and nothing is cached."""


@dataclass(frozen=True)
class Snapshot:
    """Cohort id -> sorted learner names, at one moment."""

    members: Mapping[str, tuple[str, ...]]
    _cohorts_of: dict[str, tuple[str, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index: dict[str, list[str]] = {}
        for cohort, learners in sorted(self.members.items()):
            for learner in learners:
                index.setdefault(learner, []).append(cohort)
        object.__setattr__(self, "_cohorts_of", {k: tuple(v) for k, v in index.items()})

    @property
    def cohorts(self) -> list[str]:
        return sorted(self.members)

    def learners(self, cohort: str) -> tuple[str, ...]:
        return self.members.get(cohort, ())

    def cohorts_of(self, learner: str) -> tuple[str, ...]:
        return self._cohorts_of.get(learner, ())


class StaticRoster:
    """A fixed roster (tests, benchmarks, offline exports)."""

    def __init__(self, members: Mapping[str, list[str] | tuple[str, ...]]) -> None:
        self._snapshot = Snapshot({c: tuple(sorted(ms)) for c, ms in members.items()})

    async def snapshot(self) -> Snapshot:
        return self._snapshot


class HubRoster:
    """Cohort groups read from the hub API, cached for ``ttl`` seconds."""

    def __init__(self, api_url: str, api_token: str, ttl: float = 60.0) -> None:
        self.api_url = api_url.rstrip("/")
        self.api_token = api_token
        self.ttl = ttl
        self._snapshot: Snapshot | None = None
        self._fetched = 0.0
        self._lock = asyncio.Lock()

    async def snapshot(self) -> Snapshot:
        if self._snapshot is not None and time.monotonic() - self._fetched < self.ttl:
            return self._snapshot
        async with self._lock:
            if self._snapshot is not None and time.monotonic() - self._fetched < self.ttl:
                return self._snapshot
            try:
                self._snapshot = Snapshot(await self._fetch())
                self._fetched = time.monotonic()
            except (OSError, HTTPClientError, ValueError) as exc:
                if self._snapshot is None:
                    raise RosterUnavailable(f"cannot read cohorts from the hub: {exc}") from exc
            return self._snapshot

    async def _fetch(self) -> dict[str, tuple[str, ...]]:
        client = AsyncHTTPClient()
        members: dict[str, tuple[str, ...]] = {}
        offset = 0
        while True:
            url = f"{self.api_url}/groups?{urlencode({'offset': offset, 'limit': 200})}"
            response = await client.fetch(
                url,
                headers={"Authorization": f"token {self.api_token}", "Accept": PAGINATION},
                request_timeout=20,
            )
            page = json.loads(response.body)
            for group in page["items"]:
                if group["name"].startswith(COHORT_PREFIX) and group["name"] not in NOT_COHORTS:
                    cohort = group["name"].removeprefix(COHORT_PREFIX)
                    members[cohort] = tuple(sorted(group.get("users", [])))
            following = page.get("_pagination", {}).get("next")
            if not following:
                return members
            offset = following["offset"]
