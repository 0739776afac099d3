"""Exports of labs with work a person has not graded yet (pending points)."""

from datetime import UTC, datetime

import pytest

from hub.services.credentials.service import Credentials
from hub.services.gradebook import exports
from hub.services.gradebook.catalogue import LabInfo
from hub.services.gradebook.marks import MarkBook
from hub.services.gradebook.queries import Cell, lab_awaiting, lab_best_marks
from hub.services.gradebook.views import CohortView, LearnerRow, _matches
from northlab.settings import REPO, CredentialSettings
from tests.credentials.conftest import make_pending_record, make_record

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


# -- one definition of what counts, shared with the credential service (records.counted) --


@pytest.fixture
def library(tmp_path):
    """The credential service's library on its own database (no achievements)."""
    (tmp_path / "labs").mkdir()
    lib = Credentials(CredentialSettings(
        data_root=tmp_path / "data", public_url="http://127.0.0.1:9/services/credentials",
        labs_root=tmp_path / "labs", node_root=REPO, issuer_name="t", allow_loopback=True))
    yield lib
    lib.engine.dispose()


def cell_of(library, learner: str, lab: str = "lab-one") -> Cell:
    with library.engine.connect() as conn:
        (cell,) = [c for c in MarkBook().refresh(conn).cells([learner]) if c.lab == lab]
    return cell


def test_only_attempts_that_count_make_the_mark_in_both_services(library):
    library.record_result(make_record("ana", "lab-one", 6, "s1"), reported_by="grader")
    library.record_result(make_pending_record("ana", "lab-one", auto=8, submission="s2"),
                          reported_by="grader")  # 80 %, awaiting a person
    broken = {**make_record("ana", "lab-one", 9, "s3"),
              "error": {"code": "internal", "message": {"en": "x", "fr": "x"}}}
    library.record_result(broken, reported_by="grader")
    cell = cell_of(library, "ana")
    with library.sessions() as session:
        assert library.best_percent(session, "ana")["lab-one"][0] == cell.best_percent == 60
    assert cell.attempts == 3 and cell.pending_points == 2
    with library.engine.connect() as conn:
        assert lab_best_marks(conn, "lab-one", ["ana"]) == [60]


def test_a_graded_resubmission_ends_the_wait_of_an_earlier_attempt(library):
    library.record_result(make_pending_record("bo", "lab-one", submission="s1"),
                          reported_by="grader")  # never graded: the learner submitted again
    library.record_result(make_record("bo", "lab-one", 10, "s2"), reported_by="grader")
    cell = cell_of(library, "bo")
    assert (cell.best_percent, cell.pending_points) == (100, 0)
    assert exports._status(cell, 70) == "completed"
    with library.sessions() as session, library.engine.connect() as conn:
        assert library.awaiting_labs(session, "bo") == set()
        assert lab_awaiting(conn, "lab-one", ["bo"]) == 0
    library.record_result(make_pending_record("bo", "lab-one", submission="s3"),
                          reported_by="grader")  # a later attempt waits again
    assert cell_of(library, "bo").pending_points == 2
    with library.sessions() as session:
        assert library.awaiting_labs(session, "bo") == {"lab-one"}
