"""The hub on a real PostgreSQL (Debian's postgresql 15, started by the test)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from sqlalchemy import create_engine, text

from hub.people.manage import add_person
from tests.support.postgres import postgres_database

from .conftest import running_hub

pytestmark = pytest.mark.slow


@pytest.fixture
def postgres_url() -> Iterator[str]:
    with postgres_database("jupyterhub") as url:
        yield url


def test_hub_on_postgres(postgres_url):
    with running_hub(database_url=postgres_url) as hub:
        name = hub.name("pg")
        add_person(hub.settings, hub.client, name, role="learner", cohort=hub.cohort,
                   password="sea-ice-route-7")
        session = requests.Session()
        session.get(f"{hub.url}/hub/login", timeout=30)
        response = session.post(
            f"{hub.url}/hub/login", timeout=30, allow_redirects=False,
            data={"username": name, "password": "sea-ice-route-7",
                  "_xsrf": session.cookies.get("_xsrf")},
        )
        assert response.status_code == 302, hub.log.read_text()[-3000:]
    engine = create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg2://"))
    with engine.connect() as db:
        users = {row[0] for row in db.execute(text("SELECT name FROM users"))}
        approved = db.execute(text("SELECT is_authorized FROM users_info WHERE username = :n"),
                              {"n": name}).scalar()
    engine.dispose()
    assert name in users and approved is True
