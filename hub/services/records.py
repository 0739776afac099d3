"""The shared results + credentials database (SQLAlchemy 2 models).

Owned by the credential service, which writes it; the gradebook service reads it.
These models are a contract: add columns with an Alembic migration under
``hub/services/migrations/versions/``, never rename or drop without one.

Tables
------
``results``            one row per graded submission (learner, lab, submission_id) — unique.
                       ``record`` keeps the full result JSON as received (northlab/results.py);
                       ``pending_points`` > 0 means parts a person grades are not graded yet.
``test_results``       one row per test of a result (``position`` keeps the grader's order).
``result_updates``     audit of every replacement of a stored result by the grading side
                       (a person graded the manual parts): who, when, and the record replaced.
``issuer_keys``        public half of every signing key the service ever used (rotation keeps
                       old rows so earlier credentials stay verifiable); private keys live in
                       files under ``<data_root>/credentials/keys/`` (0600), never in the DB.
``status_lists``       W3C Bitstring Status Lists (revocation); each credential owns one index.
``credentials``        every issued OpenBadgeCredential, with its signed JSON document and its
                       revocation state (``revoked_at``, ``revoked_by``, ``revocation_reason``).
``awards``             audit of why a credential was issued: ``kind`` = "criteria" (automatic,
                       ``evidence`` lists the result ids) or "manual" (``awarded_by``, ``reason``).

Use :func:`open_database` to get an engine on an upgraded schema and
:func:`session_factory` for sessions. SQLite (default) and PostgreSQL are supported.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    and_,
    create_engine,
    event,
    exists,
    false,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    aliased,
    mapped_column,
    relationship,
    sessionmaker,
)
from sqlalchemy.sql.elements import ColumnElement

MIGRATIONS = Path(__file__).with_name("migrations")


def utcnow() -> datetime:
    """Timezone-aware now (all timestamps are stored in UTC)."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Timestamp stored in UTC; always handed back timezone-aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass a timezone-aware UTC time")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None or value.tzinfo is not None:
            return value
        return value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    """Declarative base of the shared database."""


class Result(Base):
    """One graded submission, as reported by the grader (idempotent on the unique key)."""

    __tablename__ = "results"
    __table_args__ = (UniqueConstraint("learner", "lab", "submission_id", name="uq_result_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    learner: Mapped[str] = mapped_column(String(128), index=True)
    lab: Mapped[str] = mapped_column(String(128), index=True)
    track: Mapped[str] = mapped_column(String(32), index=True)
    course: Mapped[str | None] = mapped_column(String(128), index=True)
    submission_id: Mapped[str] = mapped_column(String(128))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    graded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    score: Mapped[float] = mapped_column(Float)
    max_score: Mapped[float] = mapped_column(Float)
    #: score / max_score * 100 (0 when max_score is 0); criteria compare against it.
    percent: Mapped[float] = mapped_column(Float)
    duration: Mapped[float] = mapped_column(Float)
    isolation: Mapped[str] = mapped_column(String(256))
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    #: ``error.code`` of the record, None when graded normally.
    error_code: Mapped[str | None] = mapped_column(String(64))
    #: The full result record exactly as received (schema northlab.result/1).
    record: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: Name of the hub user/service whose token delivered the result.
    reported_by: Mapped[str | None] = mapped_column(String(128))
    #: Points of manually graded parts not graded yet (in ``max_score``, not in ``score``).
    pending_points: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")

    tests: Mapped[list[TestResult]] = relationship(
        back_populates="result", cascade="all, delete-orphan", order_by="TestResult.position"
    )


class TestResult(Base):
    """One test of a result; ``feedback`` is ``{language: text}``."""

    __tablename__ = "test_results"
    __test__ = False  # not a pytest class

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    result_id: Mapped[int] = mapped_column(ForeignKey("results.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(256))
    points: Mapped[float] = mapped_column(Float)
    max_points: Mapped[float] = mapped_column(Float)
    passed: Mapped[bool] = mapped_column(Boolean)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    feedback: Mapped[dict[str, str]] = mapped_column(JSON)
    #: Graded by a person (nbgrader manually graded answer or task), pending or done.
    manual: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: A person has not graded it yet (points 0, max_points possible).
    pending: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    result: Mapped[Result] = relationship(back_populates="tests")


class ResultUpdate(Base):
    """One replacement of a stored result by a newer record of the same submission."""

    __tablename__ = "result_updates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    result_id: Mapped[int] = mapped_column(ForeignKey("results.id", ondelete="CASCADE"), index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: Name of the hub user/service whose token delivered the new record.
    updated_by: Mapped[str | None] = mapped_column(String(128))
    previous_score: Mapped[float] = mapped_column(Float)
    previous_pending_points: Mapped[float] = mapped_column(Float)
    new_score: Mapped[float] = mapped_column(Float)
    new_pending_points: Mapped[float] = mapped_column(Float)
    #: The record that was replaced, exactly as it had been received.
    previous_record: Mapped[dict[str, Any]] = mapped_column(JSON)


def counted(result: Any = Result) -> ColumnElement[bool]:
    """The one definition of a result that *counts* (a mark in the gradebook, a result
    toward a credential): graded without error and nothing awaiting a person.
    ``result``: the ``Result`` entity or an alias of it."""
    return and_(result.error_code.is_(None), result.pending_points <= 0)


def awaiting() -> ColumnElement[bool]:
    """A result awaiting a person's grading that no later counted result of the same
    learner and lab superseded (a graded resubmission ends the wait)."""
    later = aliased(Result)
    return and_(
        Result.error_code.is_(None), Result.pending_points > 0,
        ~exists().where(later.learner == Result.learner, later.lab == Result.lab,
                        later.id > Result.id, counted(later)),
    )


class IssuerKey(Base):
    """Public part of one issuer signing key (kept after rotation)."""

    __tablename__ = "issuer_keys"

    #: Verification method id, e.g. ``did:key:z6Mk...#z6Mk...`` or ``did:web:host#key-2``.
    id: Mapped[str] = mapped_column(String(512), primary_key=True)
    #: The DID controlling the key (the credential's ``issuer.id``).
    controller: Mapped[str] = mapped_column(String(512))
    #: Ed25519 public key as Multikey ``publicKeyMultibase`` (``z6Mk...``).
    public_key_multibase: Mapped[str] = mapped_column(String(128))
    #: File name of the private key under ``<data_root>/credentials/keys/``.
    private_key_file: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: Set when rotated out: the key no longer signs but still verifies older credentials.
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class StatusList(Base):
    """One Bitstring Status List; bits are derived from ``credentials.revoked_at``."""

    __tablename__ = "status_lists"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    purpose: Mapped[str] = mapped_column(String(32), default="revocation")
    #: Key whose controller issues this list's credentials; the list credential is signed by
    #: the same issuer (verifiers require matching issuers), so each issuer DID has own lists.
    key_id: Mapped[str] = mapped_column(ForeignKey("issuer_keys.id"))
    #: Number of bits (W3C minimum 131072 = 16 KiB).
    size: Mapped[int] = mapped_column(Integer, default=131072)
    #: Next free index; indexes are handed out in a shuffled order (see statuslist.py).
    allocated: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Credential(Base):
    """One issued OpenBadgeCredential."""

    __tablename__ = "credentials"
    __table_args__ = (UniqueConstraint("status_list_id", "status_index", name="uq_status_slot"),)

    #: The credential's ``id`` without the ``urn:uuid:`` prefix.
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    learner: Mapped[str] = mapped_column(String(128), index=True)
    achievement: Mapped[str] = mapped_column(String(128), index=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    key_id: Mapped[str] = mapped_column(ForeignKey("issuer_keys.id"))
    status_list_id: Mapped[int] = mapped_column(ForeignKey("status_lists.id"))
    status_index: Mapped[int] = mapped_column(Integer)
    #: The signed credential JSON, byte-for-byte what the learner downloads.
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_by: Mapped[str | None] = mapped_column(String(128))
    revocation_reason: Mapped[str | None] = mapped_column(Text)

    award: Mapped[Award] = relationship(back_populates="credential", uselist=False)


class Award(Base):
    """Audit record: who or what awarded a credential, and why."""

    __tablename__ = "awards"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    credential_id: Mapped[str] = mapped_column(ForeignKey("credentials.id"), unique=True)
    learner: Mapped[str] = mapped_column(String(128), index=True)
    achievement: Mapped[str] = mapped_column(String(128))
    #: "criteria" (issued automatically) or "manual" (``northlab credential issue``).
    kind: Mapped[str] = mapped_column(String(16))
    awarded_by: Mapped[str] = mapped_column(String(128))
    reason: Mapped[str] = mapped_column(Text, default="")
    #: For "criteria": ``{"results": [result ids that met the criteria]}``.
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    credential: Mapped[Credential] = relationship(back_populates="award")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def create_db_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys and a busy timeout."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, future=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision (idempotent)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def open_database(url: str, *, migrate: bool = True) -> Engine:
    """Engine on ``url`` with the schema upgraded (set ``migrate=False`` for read-only users)."""
    engine = create_db_engine(url)
    if migrate:
        upgrade(engine)
    return engine


def session_factory(engine: Engine) -> sessionmaker:
    """Sessions that keep loaded objects usable after commit."""
    return sessionmaker(engine, expire_on_commit=False)
