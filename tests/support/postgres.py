"""A throwaway PostgreSQL server (Debian's postgresql 15) for tests that need a real one."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.support.ports import free_port_block

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def as_postgres(*command: str) -> None:
    subprocess.run(["runuser", "-u", "postgres", "--", *command], check=True,
                   capture_output=True, timeout=120)


@contextmanager
def postgres_database(name: str) -> Iterator[str]:
    """The URL of an empty database ``name`` on a new server on 127.0.0.1, stopped and
    removed afterwards."""
    if not (PG_BIN / "initdb").exists():
        pytest.fail("PostgreSQL 15 is missing: `make system-deps` installs it")
    folder = Path(tempfile.mkdtemp(prefix="northlab-pg-", dir="/tmp"))
    shutil.chown(folder, "postgres")
    port = free_port_block(1)
    as_postgres(str(PG_BIN / "initdb"), "-D", str(folder / "db"), "--auth=trust", "-U",
                "postgres")
    as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(folder / "db"), "-w", "-l",
                str(folder / "log"), "-o", f"-p {port} -k {folder} -c listen_addresses=127.0.0.1",
                "start")
    try:
        as_postgres(str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(port), name)
        yield f"postgresql://postgres@127.0.0.1:{port}/{name}"
    finally:
        as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(folder / "db"), "-m", "fast", "-w",
                    "stop")
        shutil.rmtree(folder, ignore_errors=True)
