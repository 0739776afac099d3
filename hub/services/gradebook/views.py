"""What each page shows, built from a few queries and the roster (no HTML here).

Functions take an open connection, the roster snapshot and already-checked parameters;
access control happens in the handlers before they are called.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.engine import Connection

from . import queries
from .access import Viewer
from .catalogue import LabCatalogue, LabInfo
from .marks import MarkBook
from .roster import Snapshot

SORT_KEYS = ("learner", "completed", "average", "last")
STATUSES = ("all", "missing", "late", "below", "awaiting")


@dataclass(frozen=True)
class CohortTotals:
    id: str
    learners: int
    active: int  # learners with at least one attempt
    labs_completed: int
    average_percent: float | None
    credentials: int
    last_activity: datetime | None


@dataclass
class LabTotals:
    """One lab across the learners a viewer may see: is it too hard?"""

    lab: LabInfo
    learners: int = 0  # who handed it in
    completed: int = 0
    best_sum: float = 0.0

    @property
    def average(self) -> float | None:
        return self.best_sum / self.learners if self.learners else None

    @property
    def completed_share(self) -> float | None:
        return 100.0 * self.completed / self.learners if self.learners else None


@dataclass(frozen=True)
class ProgramView:
    cohorts: list[CohortTotals]
    labs: list[LabTotals]
    learners: int
    credentials: int


@dataclass
class LearnerRow:
    """One learner's line of the cohort table."""

    learner: str
    cells: dict[str, queries.Cell]
    missing: list[str]
    completed: int
    average: float | None
    last_activity: datetime | None

    @property
    def late(self) -> int:
        return sum(1 for cell in self.cells.values() if cell.late)

    @property
    def awaiting(self) -> int:
        """Labs with work a person has not graded yet."""
        return sum(1 for cell in self.cells.values() if cell.pending_points > 0)


@dataclass
class CohortView:
    id: str
    labs: list[LabInfo]
    rows: list[LearnerRow]
    total_learners: int
    sort: str
    direction: str
    query: str
    status: str


@dataclass
class LabHistory:
    lab: LabInfo
    attempts: list[queries.Attempt]

    @property
    def best(self) -> queries.Attempt:
        return max(self.attempts, key=lambda a: (a.percent, a.graded_at))


@dataclass
class LearnerView:
    name: str
    cohorts: Sequence[str]
    labs: list[LabHistory]
    credentials: list[queries.EarnedCredential]
    completed: int = 0
    average: float | None = None
    #: ``{achievement id: {language: name}}`` of the credentials' achievements
    achievement_names: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass
class LabView:
    lab: LabInfo
    cohort: str | None
    cohorts: list[str]
    marks: list[float]
    tests: list[queries.TestStats] = field(default_factory=list)
    awaiting: int = 0  # learners with an attempt awaiting a person's grading

    @property
    def average(self) -> float | None:
        return sum(self.marks) / len(self.marks) if self.marks else None


def visible_learners(snapshot: Snapshot, viewer: Viewer) -> list[str] | None:
    """Learners the viewer may see; None means everyone (admins)."""
    if viewer.sees_all:
        return None
    return sorted({name for c in viewer.visible_cohorts(snapshot.cohorts)
                   for name in snapshot.learners(c)})


def program(conn: Connection, snapshot: Snapshot, viewer: Viewer, catalogue: LabCatalogue,
            pass_percent: float, marks: MarkBook) -> ProgramView:
    learners = visible_learners(snapshot, viewer)
    totals = marks.refresh(conn).totals(learners, pass_percent)
    earned = queries.credential_counts(conn, learners)
    rows = []
    for cohort in viewer.visible_cohorts(snapshot.cohorts):
        members = [totals[name] for name in snapshot.learners(cohort) if name in totals]
        averages = [m.average_percent for m in members]
        last = [m.last_activity for m in members if m.last_activity]
        rows.append(CohortTotals(
            id=cohort,
            learners=len(snapshot.learners(cohort)),
            active=len(members),
            labs_completed=sum(m.labs_completed for m in members),
            average_percent=sum(averages) / len(averages) if averages else None,
            credentials=sum(earned.get(name, 0) for name in snapshot.learners(cohort)),
            last_activity=max(last) if last else None,
        ))
    labs = {info.id: LabTotals(info) for info in catalogue.ordered(marks.labs())}
    for cell in marks.cells(learners):
        totals_of_lab = labs[cell.lab]
        totals_of_lab.learners += 1
        totals_of_lab.best_sum += cell.best_percent
        totals_of_lab.completed += cell.best_percent >= pass_percent
    return ProgramView(
        cohorts=rows, labs=list(labs.values()), learners=sum(c.learners for c in rows),
        credentials=sum(c.credentials for c in rows),
    )


def cohort(conn: Connection, snapshot: Snapshot, cohort_id: str, catalogue: LabCatalogue,
           pass_percent: float, marks: MarkBook, *, sort: str = "learner",
           direction: str = "asc", query: str = "", status: str = "all") -> CohortView:
    cells = marks.refresh(conn).cells(snapshot.learners(cohort_id))
    return _cohort_view(snapshot, cohort_id, cells, catalogue, pass_percent, sort=sort,
                        direction=direction, query=query, status=status)


def cohorts(conn: Connection, snapshot: Snapshot, cohort_ids: Sequence[str],
            catalogue: LabCatalogue, pass_percent: float, marks: MarkBook) -> list[CohortView]:
    """Several cohorts at once (exports)."""
    marks.refresh(conn)
    return [_cohort_view(snapshot, c, marks.cells(snapshot.learners(c)), catalogue, pass_percent)
            for c in cohort_ids]


def _cohort_view(snapshot: Snapshot, cohort_id: str, cells: list[queries.Cell],
                 catalogue: LabCatalogue, pass_percent: float, *, sort: str = "learner",
                 direction: str = "asc", query: str = "", status: str = "all") -> CohortView:
    members = snapshot.learners(cohort_id)
    by_learner: dict[str, dict[str, queries.Cell]] = {name: {} for name in members}
    lab_tracks: dict[str, str] = {}
    for cell in cells:
        if cell.learner in by_learner:
            by_learner[cell.learner][cell.lab] = cell
            lab_tracks[cell.lab] = cell.track
    labs = catalogue.ordered(lab_tracks)
    rows = []
    for name, cells in by_learner.items():
        marks = [c.best_percent for c in cells.values()]
        rows.append(LearnerRow(
            learner=name, cells=cells,
            missing=[lab.id for lab in labs if lab.id not in cells],
            completed=sum(1 for m in marks if m >= pass_percent),
            average=sum(marks) / len(marks) if marks else None,
            last_activity=max((c.last_activity for c in cells.values()), default=None),
        ))
    shown = [r for r in rows if _matches(r, query, status, pass_percent)]
    _sort(shown, sort, direction)
    return CohortView(cohort_id, labs, shown, len(rows), sort, direction, query, status)


def _matches(row: LearnerRow, query: str, status: str, pass_percent: float) -> bool:
    if query and query.lower() not in row.learner.lower():
        return False
    if status == "missing":
        return bool(row.missing)
    if status == "late":
        return row.late > 0
    if status == "below":
        return any(c.best_percent < pass_percent for c in row.cells.values())
    if status == "awaiting":
        return row.awaiting > 0
    return True


def _sort(rows: list[LearnerRow], sort: str, direction: str) -> None:
    reverse = direction == "desc"
    if sort.startswith("lab:"):
        lab = sort.removeprefix("lab:")

        def key(r: LearnerRow):
            cell = r.cells.get(lab)
            return (cell is not None, cell.best_percent if cell else 0.0, r.learner)
    elif sort == "completed":
        def key(r: LearnerRow):
            return (r.completed, r.learner)
    elif sort == "average":
        def key(r: LearnerRow):
            return (r.average is not None, r.average or 0.0, r.learner)
    elif sort == "last":
        def key(r: LearnerRow):
            return (r.last_activity is not None, r.last_activity or datetime.min, r.learner)
    else:
        def key(r: LearnerRow):
            return r.learner
    rows.sort(key=key, reverse=reverse)


def learner(conn: Connection, snapshot: Snapshot, name: str, catalogue: LabCatalogue,
            pass_percent: float, *, hidden_detail: bool) -> LearnerView:
    """A learner's history; ``hidden_detail`` False (whatever the learner reads) keeps
    hidden tests to one total per attempt, as docs/labs.md promises."""
    grouped: dict[str, list[queries.Attempt]] = {}
    for attempt in queries.attempts_of(conn, name):
        if not hidden_detail:
            attempt = attempt.without_hidden_tests()
        grouped.setdefault(attempt.lab, []).append(attempt)
    labs = catalogue.ordered({lab: attempts[0].track for lab, attempts in grouped.items()})
    history = [LabHistory(info, grouped[info.id]) for info in labs]
    best = [h.best.percent for h in history]
    credentials = queries.credentials_of(conn, name)
    return LearnerView(
        name=name, cohorts=snapshot.cohorts_of(name), labs=history, credentials=credentials,
        completed=sum(1 for b in best if b >= pass_percent),
        average=sum(best) / len(best) if best else None,
        achievement_names={c.achievement: catalogue.achievement_names.get(c.achievement, {})
                           for c in credentials},
    )


def lab(conn: Connection, snapshot: Snapshot, viewer: Viewer, lab_id: str,
        catalogue: LabCatalogue, cohort_id: str | None) -> LabView:
    cohorts = viewer.visible_cohorts(snapshot.cohorts)
    if cohort_id:
        learners: list[str] | None = list(snapshot.learners(cohort_id))
    else:
        learners = visible_learners(snapshot, viewer)
    return LabView(
        lab=catalogue.get(lab_id), cohort=cohort_id, cohorts=cohorts,
        marks=queries.lab_best_marks(conn, lab_id, learners),
        tests=queries.lab_test_stats(conn, lab_id, learners),
        awaiting=queries.lab_awaiting(conn, lab_id, learners),
    )
