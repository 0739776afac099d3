"""The services' results database on a real PostgreSQL through a bare ``postgresql://`` URL,
as hub/docker/compose.yaml and hub/kubernetes/values.yaml give it (SQLAlchemy 2.1 maps that
scheme to psycopg 3)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import inspect, select

from hub.services.records import IssuerKey, open_database, session_factory
from tests.support.postgres import postgres_database

pytestmark = pytest.mark.slow


@pytest.fixture
def bare_postgres_url() -> Iterator[str]:
    with postgres_database("northlab_results") as url:
        yield url


def test_services_migrate_and_store_on_a_bare_postgresql_url(bare_postgres_url: str) -> None:
    engine = open_database(bare_postgres_url)
    try:
        assert {"results", "credentials", "issuer_keys"} <= set(inspect(engine).get_table_names())
        open_database(bare_postgres_url).dispose()  # migrating twice changes nothing
        with session_factory(engine)() as session:
            assert session.scalars(select(IssuerKey)).all() == []
    finally:
        engine.dispose()
