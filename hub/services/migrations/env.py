"""Alembic environment of the shared results + credentials database.

Run through :func:`hub.services.records.upgrade` (which passes a connection), or by hand:
``alembic -x url=sqlite:///var/credentials/records.sqlite -c /dev/null ...`` is not needed —
prefer ``northlab credential migrate``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from hub.services.records import Base

target_metadata = Base.metadata


def run_migrations() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        context.configure(
            connection=connection, target_metadata=target_metadata, render_as_batch=True
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    url = context.get_x_argument(as_dictionary=True)["url"]
    with create_engine(url).begin() as conn:
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


run_migrations()
