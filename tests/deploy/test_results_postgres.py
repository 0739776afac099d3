"""The services' results database on a real PostgreSQL through a bare ``postgresql://`` URL,
as hub/docker/compose.yaml and hub/kubernetes/values.yaml give it (SQLAlchemy 2.1 maps that
scheme to psycopg 3)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect, select

from hub.services.records import IssuerKey, open_database, session_factory
from tests.support.ports import free_port_block

pytestmark = pytest.mark.slow
PG_BIN = Path("/usr/lib/postgresql/15/bin")


def as_postgres(*command: str) -> None:
    subprocess.run(["runuser", "-u", "postgres", "--", *command], check=True,
                   capture_output=True, timeout=120)


@pytest.fixture
def bare_postgres_url() -> Iterator[str]:
    if not (PG_BIN / "initdb").exists():
        pytest.fail("PostgreSQL 15 is missing: `make system-deps` installs it")
    folder = Path(tempfile.mkdtemp(prefix="northlab-pg-results-", dir="/tmp"))
    shutil.chown(folder, "postgres")
    port = free_port_block(1)
    as_postgres(str(PG_BIN / "initdb"), "-D", str(folder / "db"), "--auth=trust", "-U",
                "postgres")
    as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(folder / "db"), "-w", "-l",
                str(folder / "log"), "-o", f"-p {port} -k {folder} -c listen_addresses=127.0.0.1",
                "start")
    try:
        as_postgres(str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(port),
                    "northlab_results")
        yield f"postgresql://postgres@127.0.0.1:{port}/northlab_results"
    finally:
        as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(folder / "db"), "-m", "fast", "-w",
                    "stop")
        shutil.rmtree(folder, ignore_errors=True)


def test_services_migrate_and_store_on_a_bare_postgresql_url(bare_postgres_url: str) -> None:
    engine = open_database(bare_postgres_url)
    try:
        assert {"results", "credentials", "issuer_keys"} <= set(inspect(engine).get_table_names())
        open_database(bare_postgres_url).dispose()  # migrating twice changes nothing
        with session_factory(engine)() as session:
            assert session.scalars(select(IssuerKey)).all() == []
    finally:
        engine.dispose()
