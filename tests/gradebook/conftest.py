"""Shared fixtures: a small seeded results database and the real app on a free port."""

from __future__ import annotations

import pytest
from tornado.httpclient import AsyncHTTPClient

from hub.services.gradebook.app import Gradebook
from hub.services.gradebook.config import GradebookConfig
from hub.services.gradebook.roster import StaticRoster
from hub.services.records import open_database
from tests.support import synthetic
from tests.support.web import listening

from .stub import StubAuth, scopes_for

PREFIX = "/services/gradebook/"
PLAN = synthetic.Plan(cohorts=3, learners_per_cohort=4, labs=5, attempts=3, missing_rate=0.2)


@pytest.fixture(scope="session")
def seeded(tmp_path_factory):
    """(engine, roster) of a small invented program."""
    path = tmp_path_factory.mktemp("gradebook-db") / "records.sqlite"
    engine = open_database(f"sqlite:///{path}")
    roster = synthetic.seed(engine, PLAN)
    return engine, roster


@pytest.fixture
def gradebook(seeded):
    engine, roster = seeded
    users = {
        "boss": scopes_for(admin=True),
        "lead1": scopes_for(cohorts=("site01-2026",)),
        "lead13": scopes_for(cohorts=("site01-2026", "site03-2026")),
        "learner-01-001": scopes_for(),
        "stranger": ["read:users!user=stranger"],  # no access to the service at all
    }
    return Gradebook(GradebookConfig(), engine=engine, roster=StaticRoster(roster),
                     hub_auth=StubAuth(users))


@pytest.fixture
def app(gradebook):
    return gradebook.application()


@pytest.fixture
async def get(app):
    """``get(user, path, **headers)``: the app's answer to ``user`` (None: nobody logged in),
    redirects not followed, errors returned."""
    client = AsyncHTTPClient()
    with listening(app) as url:
        async def fetch(user: str | None, path: str, **headers: str):
            if user:
                headers["X-Stub-User"] = user
            return await client.fetch(f"{url}{PREFIX}{path}", headers=headers,
                                      follow_redirects=False, raise_error=False)

        yield fetch
