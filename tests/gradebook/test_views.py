"""The aggregates against a plain recomputation from the stored records."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import delete, select

from hub.services.gradebook import queries, views
from hub.services.gradebook.access import Viewer
from hub.services.gradebook.catalogue import LabCatalogue
from hub.services.gradebook.marks import MarkBook
from hub.services.gradebook.roster import Snapshot
from hub.services.records import Result, open_database
from tests.support import synthetic


def recompute(conn, learners):
    best: dict[tuple[str, str], float] = {}
    attempts: dict[tuple[str, str], int] = {}
    for learner, lab, percent in conn.execute(select(Result.learner, Result.lab, Result.percent)):
        if learner in learners:
            best[learner, lab] = max(best.get((learner, lab), 0.0), percent)
            attempts[learner, lab] = attempts.get((learner, lab), 0) + 1
    return best, attempts


def test_cells_and_totals_match_a_recomputation(seeded):
    engine, roster = seeded
    members = roster["site02-2026"]
    with engine.connect() as conn:
        best, attempts = recompute(conn, members)
        marks = MarkBook().refresh(conn)
        cells = marks.cells(members)
        totals = marks.totals(members, 60)
    assert {(c.learner, c.lab): c.best_percent for c in cells} == best
    assert {(c.learner, c.lab): c.attempts for c in cells} == attempts
    for name, total in totals.items():
        mine = [v for (learner, _), v in best.items() if learner == name]
        assert total.labs_attempted == len(mine)
        assert total.labs_completed == sum(1 for v in mine if v >= 60)
        assert abs(total.average_percent - sum(mine) / len(mine)) < 1e-9


def test_program_view_limits_a_lead_to_their_cohort(seeded):
    engine, roster = seeded
    snapshot = Snapshot({k: tuple(v) for k, v in roster.items()})
    lead = Viewer("lead", cohorts=frozenset({"site03-2026"}))
    with engine.connect() as conn:
        view = views.program(conn, snapshot, lead, LabCatalogue({}), 60, MarkBook())
        test_stats = queries.lab_test_stats(conn, "lab-01", roster["site03-2026"])
    assert [c.id for c in view.cohorts] == ["site03-2026"]
    assert view.learners == len(roster["site03-2026"])
    with engine.connect() as conn:
        best, _ = recompute(conn, roster["site03-2026"])
    for totals in view.labs:
        marks = [v for (_, lab), v in best.items() if lab == totals.lab.id]
        assert totals.learners == len(marks)
        assert totals.completed == sum(1 for v in marks if v >= 60)
    assert all(t.learners <= len(roster["site03-2026"]) for t in test_stats)
    assert [t.name for t in test_stats] == sorted(t.name for t in test_stats)


def test_cohort_view_marks_missing_labs(seeded):
    engine, roster = seeded
    snapshot = Snapshot({k: tuple(v) for k, v in roster.items()})
    with engine.connect() as conn:
        view = views.cohort(conn, snapshot, "site01-2026", LabCatalogue({}), 60, MarkBook(),
                            status="missing")
    lab_ids = {lab.id for lab in view.labs}
    assert view.rows, "the seeded plan leaves some labs missing"
    for row in view.rows:
        assert row.missing and set(row.missing) == lab_ids - set(row.cells)


def test_mark_book_folds_new_results_and_rebuilds_after_deletion(tmp_path):
    engine = open_database(f"sqlite:///{tmp_path / 'r.sqlite'}")
    plan = synthetic.Plan(cohorts=1, learners_per_cohort=2, labs=2, attempts=1)
    roster = synthetic.seed(engine, plan)
    book = MarkBook()
    with engine.connect() as conn:
        assert {c.attempts for c in book.refresh(conn).cells(None)} == {1}
    synthetic.seed(engine, replace(plan, seed=8))  # everyone hands every lab in again
    with engine.connect() as conn:
        cells = book.refresh(conn).cells(roster["site01-2026"])
        best, attempts = recompute(conn, roster["site01-2026"])
    assert {(c.learner, c.lab): c.attempts for c in cells} == attempts
    assert {(c.learner, c.lab): c.best_percent for c in cells} == best
    with engine.begin() as conn:
        conn.execute(delete(Result).where(Result.lab == "lab-01"))
    with engine.connect() as conn:
        assert {c.lab for c in book.refresh(conn).cells(None)} == {"lab-02"}
    assert book.labs() == {"lab-02": "ai-data"}
