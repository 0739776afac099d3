"""Best marks per (learner, lab), kept in memory and topped up with new results only.

Results are append-only (the credential service stores each (learner, lab, submission)
once), so the gradebook folds each result row into a small aggregate once: a page then
costs three tiny queries (``max(id)`` / ``count(*)`` through an index, the count of result
updates, and the rows added since the last page) instead of re-grouping every result of
the program. The one edit, a person's grades replacing a result awaiting them, is counted
in ``result_updates``; when that count changes, when rows disappeared or arrived out of id
order (the count does not add up), the book is rebuilt from scratch. 2,000 learners x 40
labs is 80,000 aggregates, a few megabytes.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from hub.services.records import Result, ResultUpdate, counted

from .queries import Cell, LearnerTotals

_COLUMNS = (Result.id, Result.learner, Result.lab, Result.track, Result.percent, Result.score,
            Result.max_score, Result.graded_at, Result.late, Result.pending_points,
            Result.error_code, counted().label("counts"))


class MarkBook:
    """Per learner, per lab: attempts, best mark, last activity and lateness."""

    def __init__(self) -> None:
        self._cells: dict[str, dict[str, Cell]] = {}
        self._labs: dict[str, str] = {}
        self._last_id = 0
        self._rows = 0
        self._updates = 0
        self._lock = threading.Lock()

    def refresh(self, conn: Connection) -> MarkBook:
        """Fold in results added since the last call (rebuild if the table shrank)."""
        with self._lock:
            # two statements: each alone is an index lookup / a covering-index count
            top = conn.execute(select(func.max(Result.id))).scalar()
            rows = conn.execute(select(func.count()).select_from(Result)).scalar()
            updates = conn.execute(select(func.count()).select_from(ResultUpdate)).scalar()
            if rows < self._rows or (top or 0) < self._last_id or updates != self._updates:
                self._reset()
                self._updates = updates
            if rows != self._rows:
                self._fold(conn)
                if self._rows != rows:  # a row committed late, below the ids already seen
                    self._reset()
                    self._fold(conn)
        return self

    def labs(self) -> dict[str, str]:
        """Every lab id that has results, with its track."""
        return dict(self._labs)

    def cells(self, learners: Sequence[str] | None) -> list[Cell]:
        names = self._cells.keys() if learners is None else learners
        return [cell for name in names for cell in self._cells.get(name, {}).values()]

    def totals(self, learners: Sequence[str] | None,
               pass_percent: float) -> dict[str, LearnerTotals]:
        names = self._cells.keys() if learners is None else learners
        result = {}
        for name in names:
            labs = self._cells.get(name)
            if not labs:
                continue
            marks = [c.best_percent for c in labs.values()]
            result[name] = LearnerTotals(
                learner=name, labs_attempted=len(marks),
                labs_completed=sum(1 for m in marks if m >= pass_percent),
                average_percent=sum(marks) / len(marks),
                attempts=sum(c.attempts for c in labs.values()),
                last_activity=max(c.last_activity for c in labs.values()),
            )
        return result

    def _reset(self) -> None:
        self._cells = {}
        self._labs = {}
        self._last_id = 0
        self._rows = 0

    def _fold(self, conn: Connection) -> None:
        query = select(*_COLUMNS).where(Result.id > self._last_id).order_by(Result.id)
        for (rid, learner, lab, track, percent, score, max_score, graded, late, pending,
             error, counts) in conn.execute(query):
            self._labs[lab] = track
            labs = self._cells.setdefault(learner, {})
            waiting = float(pending or 0.0) if error is None else 0.0
            labs[lab] = _merge(labs.get(lab), learner, lab, track, percent, score, max_score,
                               graded, bool(late), waiting, bool(counts))
            self._last_id = rid
            self._rows += 1


def _merge(old: Cell | None, learner: str, lab: str, track: str, percent: float,
           score: float, max_score: float, graded: datetime, late: bool,
           pending: float, counts: bool) -> Cell:
    """Fold one more attempt (in arrival order) into a cell: only attempts that count
    (records.counted) make the best mark; one that counts ends the wait of earlier
    attempts awaiting grading (records.awaiting), a later pending one waits again."""
    best = (percent, score) if counts else (0.0, 0.0)
    if old is None:
        return Cell(learner, lab, track, 1, *best, max_score, graded, late, pending)
    return Cell(
        learner, lab, track, old.attempts + 1,
        max(old.best_percent, best[0]), max(old.best_score, best[1]),
        max(old.max_score, max_score), max(old.last_activity, graded), old.late and late,
        0.0 if counts else max(old.pending_points, pending),
    )
