"""Shared fixtures: a small seeded results database and the real app on a free port."""

from __future__ import annotations

import pytest

from hub.services.gradebook.app import Gradebook
from hub.services.gradebook.config import GradebookConfig
from hub.services.gradebook.roster import StaticRoster
from hub.services.records import open_database
from tests.support import synthetic

from .stub import StubAuth, scopes_for

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
