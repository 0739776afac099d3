"""Exports of labs with work a person has not graded yet (pending points)."""

from datetime import UTC, datetime

from hub.services.gradebook import exports
from hub.services.gradebook.catalogue import LabInfo
from hub.services.gradebook.queries import Cell
from hub.services.gradebook.views import CohortView, LearnerRow, _matches

WHEN = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def view() -> CohortView:
    labs = [LabInfo("alpha", "cybersecurity", 1, {"en": "Alpha"}),
            LabInfo("beta", "cybersecurity", 2, {"en": "Beta"})]
    awaiting = Cell("ana", "alpha", "cybersecurity", 1, 80.0, 8.0, 10.0, WHEN, False, 2.0)
    graded = Cell("ana", "beta", "cybersecurity", 1, 90.0, 9.0, 10.0, WHEN, False)
    rows = [LearnerRow("ana", {"alpha": awaiting, "beta": graded}, [], 2, 85.0, WHEN)]
    return CohortView("iqaluit-2026", labs, rows, 1, "learner", "asc", "", "all")


def test_awaiting_work_is_exported_as_such_and_never_as_an_lms_grade():
    rows = {r["lab"]: r for r in exports.grade_rows([view()], "en", pass_percent=60)}
    assert (rows["alpha"]["status"], rows["alpha"]["pending_points"]) == ("awaiting", 2.0)
    assert (rows["beta"]["status"], rows["beta"]["pending_points"]) == ("completed", 0.0)
    summary = exports.summary_rows([view()], {})
    assert summary[0]["labs"]["alpha"]["pending_points"] == 2.0
    titles, points = {"alpha": "Alpha", "beta": "Beta"}, {"alpha": 10.0, "beta": 10.0}
    for layout in ("moodle", "canvas", "brightspace"):
        body = exports.summary_csv(summary, titles, points, layout).splitlines()[1]
        assert ",9.0" in body and "8.0" not in body, layout  # alpha left empty until graded


def test_the_cohort_filter_finds_learners_awaiting_grading():
    (row,) = view().rows
    assert row.awaiting == 1 and _matches(row, "", "awaiting", 60)
    row.cells.pop("alpha")
    assert not _matches(row, "", "awaiting", 60)
