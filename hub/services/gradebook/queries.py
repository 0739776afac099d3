"""Read-only queries over the shared results + credentials database, and their row types.

Every page runs a few of these (never one query per learner or per lab). A learner's mark
on a lab is their best attempt that counts (highest ``percent`` among results without error
and with nothing awaiting a person: ``records.counted``, the credential service's rule too);
a lab is *completed* when that best reaches the pass mark. ``learners=None`` means every
learner in the database; a list limits the query to those names (a cohort, or the cohorts
a lead may see). Per (learner, lab) marks for whole cohorts and programs come from
:mod:`.marks` (kept up to date in memory).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import Integer, case, cast, distinct, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql import Select

from hub.services.records import Credential, Result, TestResult, awaiting, counted


@dataclass(frozen=True)
class Cell:
    """One learner on one lab: attempts and their best mark."""

    learner: str
    lab: str
    track: str
    attempts: int
    best_percent: float
    best_score: float
    max_score: float
    last_activity: datetime
    late: bool  # no submission of this lab arrived on time
    #: Points a person has not graded yet on attempts no later counted attempt superseded
    #: (``records.awaiting``; 0: nothing awaits grading).
    pending_points: float = 0.0


@dataclass(frozen=True)
class LearnerTotals:
    """One learner over all their labs."""

    learner: str
    labs_attempted: int
    labs_completed: int
    average_percent: float  # mean of best marks over attempted labs
    attempts: int
    last_activity: datetime | None


@dataclass(frozen=True)
class TestOutcome:
    name: str
    passed: bool
    points: float
    max_points: float
    hidden: bool
    feedback: dict[str, str]
    manual: bool = False  # graded by a person
    pending: bool = False  # not graded yet (awaiting grading)


@dataclass(frozen=True)
class Attempt:
    """One graded submission with its tests, for a learner's history."""

    id: int
    lab: str
    track: str
    submitted_at: datetime | None
    graded_at: datetime
    score: float
    max_score: float
    percent: float
    late: bool
    error_code: str | None
    error_message: dict[str, str] | None
    tests: list[TestOutcome] = field(default_factory=list)
    #: Points of parts a person has not graded yet (in ``max_score``, not in ``score``).
    pending_points: float = 0.0
    #: The hidden tests' points, summed (all a learner may read of them)
    hidden_points: float = 0.0
    hidden_max_points: float = 0.0

    def without_hidden_tests(self) -> Attempt:
        """This attempt as its learner may read it: hidden tests only as the total."""
        return replace(self, tests=[test for test in self.tests if not test.hidden])


@dataclass(frozen=True)
class TestStats:
    """How one test of a lab fares across attempts and learners."""

    name: str
    position: int
    attempts: int
    passed_attempts: int
    learners: int
    learners_passed: int

    @property
    def pass_rate(self) -> float:
        return 100.0 * self.passed_attempts / self.attempts if self.attempts else 0.0


@dataclass(frozen=True)
class EarnedCredential:
    id: str
    achievement: str
    issued_at: datetime
    revoked: bool


def _only(query: Select, column, learners: Sequence[str] | None) -> Select:
    return query if learners is None else query.where(column.in_(list(learners)))


def credential_counts(conn: Connection, learners: Sequence[str] | None) -> dict[str, int]:
    """Credentials earned (not revoked) per learner."""
    query = _only(
        select(Credential.learner, func.count())
        .where(Credential.revoked_at.is_(None))
        .group_by(Credential.learner),
        Credential.learner, learners,
    )
    return dict(conn.execute(query).all())


def credentials_of(conn: Connection, learner: str) -> list[EarnedCredential]:
    query = (
        select(Credential.id, Credential.achievement, Credential.issued_at, Credential.revoked_at)
        .where(Credential.learner == learner)
        .order_by(Credential.issued_at)
    )
    return [EarnedCredential(cid, achievement, issued, revoked is not None)
            for cid, achievement, issued, revoked in conn.execute(query)]


def attempts_of(conn: Connection, learner: str, lab: str | None = None) -> list[Attempt]:
    """Every attempt of a learner (optionally one lab), oldest first, with its tests (hidden
    ones included: staff detail, see :meth:`Attempt.without_hidden_tests`)."""
    query = select(
        Result.id, Result.lab, Result.track, Result.submitted_at, Result.graded_at,
        Result.score, Result.max_score, Result.percent, Result.late, Result.error_code,
        Result.record["error"], Result.pending_points,
    ).where(Result.learner == learner)
    if lab is not None:
        query = query.where(Result.lab == lab)
    attempts = {
        row[0]: Attempt(*row[:10], error_message=(row[10] or {}).get("message") or None,
                        pending_points=row[11])
        for row in conn.execute(query.order_by(Result.lab, Result.graded_at, Result.id))
    }
    tests = (
        select(TestResult.result_id, TestResult.name, TestResult.passed, TestResult.points,
               TestResult.max_points, TestResult.hidden, TestResult.feedback,
               TestResult.manual, TestResult.pending)
        .join(Result, Result.id == TestResult.result_id)
        .where(Result.learner == learner)
        .order_by(TestResult.result_id, TestResult.position)
    )
    if lab is not None:
        tests = tests.where(Result.lab == lab)
    for result_id, name, passed, points, max_points, hidden, feedback, manual, pending in \
            conn.execute(tests):
        attempts[result_id].tests.append(TestOutcome(
            name, bool(passed), points, max_points, bool(hidden), feedback or {}, bool(manual),
            bool(pending)))
    return [replace(attempt,
                    hidden_points=sum(t.points for t in attempt.tests if t.hidden),
                    hidden_max_points=sum(t.max_points for t in attempt.tests if t.hidden))
            for attempt in attempts.values()]


def lab_best_marks(conn: Connection, lab: str, learners: Sequence[str] | None) -> list[float]:
    """Each learner's best mark on ``lab`` (percent)."""
    query = _only(
        select(func.max(Result.percent)).where(Result.lab == lab, counted())
        .group_by(Result.learner),
        Result.learner, learners,
    )
    return [float(value) for value in conn.execute(query).scalars()]


def lab_awaiting(conn: Connection, lab: str, learners: Sequence[str] | None) -> int:
    """Learners with an attempt of ``lab`` that awaits a person's grading."""
    query = _only(
        select(func.count(distinct(Result.learner))).where(Result.lab == lab, awaiting()),
        Result.learner, learners,
    )
    return int(conn.execute(query).scalar() or 0)


def lab_test_stats(conn: Connection, lab: str, learners: Sequence[str] | None) -> list[TestStats]:
    """Per test of ``lab``: attempts passed and learners who ever passed it."""
    query = _only(
        select(
            TestResult.name,
            func.min(TestResult.position),
            func.count(),
            func.sum(cast(TestResult.passed, Integer)),
            func.count(distinct(Result.learner)),
            func.count(distinct(case((TestResult.passed, Result.learner)))),
        )
        .join(Result, Result.id == TestResult.result_id)
        .where(Result.lab == lab)
        .group_by(TestResult.name),
        Result.learner, learners,
    )
    stats = [TestStats(name, pos, n, int(ok or 0), people, int(people_ok or 0))
             for name, pos, n, ok, people, people_ok in conn.execute(query)]
    return sorted(stats, key=lambda s: s.position)
