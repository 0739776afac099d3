"""The hub on a real PostgreSQL (Debian's postgresql 15, started by the test)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text

from hub.people import add_person
from tests.support.ports import free_port_block

from .conftest import running_hub

pytestmark = pytest.mark.slow
PG_BIN = Path("/usr/lib/postgresql/15/bin")


def _as_postgres(*cmd: str) -> None:
    subprocess.run(["runuser", "-u", "postgres", "--", *cmd], check=True, capture_output=True,
                   timeout=120)


@pytest.fixture
def postgres_url():
    if not (PG_BIN / "initdb").exists():
        pytest.fail("PostgreSQL 15 is missing: `make system-deps` installs it")
    folder = Path(tempfile.mkdtemp(prefix="northlab-pg-", dir="/tmp"))
    shutil.chown(folder, "postgres")
    port = free_port_block(1)
    _as_postgres(str(PG_BIN / "initdb"), "-D", str(folder / "db"), "--auth=trust", "-U",
                 "postgres")
    _as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(folder / "db"), "-w", "-l",
                 str(folder / "log"), "-o", f"-p {port} -k {folder} -c listen_addresses=127.0.0.1",
                 "start")
    try:
        _as_postgres(str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(port), "jupyterhub")
        yield f"postgresql://postgres@127.0.0.1:{port}/jupyterhub"
    finally:
        _as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(folder / "db"), "-m", "fast", "-w",
                     "stop")
        shutil.rmtree(folder, ignore_errors=True)


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
