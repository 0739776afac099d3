"""The shared results + credentials schema: Alembic migrations on SQLite and a real PostgreSQL."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import inspect, select

from hub.services.credentials.service import Credentials
from hub.services.records import Base, Result, open_database
from tests.support.ports import free_port

from .conftest import make_record

PG_BIN = Path("/usr/lib/postgresql/15/bin")
TABLES = {"results", "test_results", "issuer_keys", "status_lists", "credentials", "awards"}


def test_sqlite_migration_matches_the_models_and_is_idempotent(tmp_path):
    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    engine = open_database(url)
    open_database(url).dispose()  # second upgrade is a no-op
    inspector = inspect(engine)
    assert TABLES <= set(inspector.get_table_names())
    for table in Base.metadata.sorted_tables:
        migrated = {c["name"] for c in inspector.get_columns(table.name)}
        assert migrated == {c.name for c in table.columns}, table.name
    engine.dispose()


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    """A throwaway PostgreSQL 15 server run as ``nobody`` (it refuses to run as root)."""
    assert (PG_BIN / "postgres").exists(), "PostgreSQL 15 is a system dependency (Makefile)"
    folder = Path(tempfile.mkdtemp(prefix="northlab-pg-"))  # pytest's tmp is root-only
    data, sock = folder / "data", folder / "sock"
    sock.mkdir()
    os.chmod(folder, 0o777)
    shutil.chown(sock, "nobody")
    as_nobody = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
    subprocess.run(
        [*as_nobody, str(PG_BIN / "initdb"), "-D", str(data), "-U", "northlab", "--auth=trust"],
        check=True,
        capture_output=True,
        cwd=folder,
    )
    port = free_port()
    server = subprocess.Popen(
        [
            *as_nobody,
            str(PG_BIN / "postgres"),
            "-D",
            str(data),
            "-p",
            str(port),
            "-k",
            str(sock),
            "-c",
            "listen_addresses=127.0.0.1",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=folder,
    )
    try:
        for _ in range(100):
            ready = subprocess.run(
                [str(PG_BIN / "pg_isready"), "-h", "127.0.0.1", "-p", str(port)],
                capture_output=True,
            )
            if ready.returncode == 0:
                break
            time.sleep(0.2)
        subprocess.run(
            [
                str(PG_BIN / "createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-U",
                "northlab",
                "records",
            ],
            check=True,
        )
        yield f"postgresql+psycopg2://northlab@127.0.0.1:{port}/records"
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.slow
def test_postgres_migrates_stores_and_issues(postgres, settings):
    library = Credentials(replace(settings, results_database_url=postgres))
    Credentials(replace(settings, results_database_url=postgres)).engine.dispose()  # idempotent
    for lab in ("lab-one", "lab-two", "lab-three"):
        intake = library.record_result(make_record("ana", lab, 9), reported_by="grader")
    assert len(intake.issued) == 1
    assert not library.record_result(make_record("ana", "lab-one", 9), reported_by="g").created
    with library.sessions() as session:
        row = session.scalars(select(Result).where(Result.lab == "lab-one")).one()
        assert row.graded_at.tzinfo is not None and row.tests[0].feedback["en"]
    credential = library.get(intake.issued[0])
    assert credential.document["proof"][0]["cryptosuite"] == "eddsa-rdfc-2022"
    library.revoke(credential.id, revoked_by="prof", reason="test")
    assert library.get(credential.id).revoked_at is not None
    library.engine.dispose()
