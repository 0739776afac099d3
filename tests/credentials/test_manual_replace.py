"""A stored result with parts a person grades is replaced only by a person's further grading
of it: equal but for the manual parts' points, feedback and pending flags (and the totals
recomputed from them), graded later, never pending again, the same course."""

from __future__ import annotations

import copy
import logging
from datetime import UTC, datetime

import pytest

from graders.manual_grades import PersonGrade, with_grades
from hub.services.credentials.service import ConflictingUpdate, Credentials
from hub.services.records import Result

from .conftest import make_pending_record, make_record

DAY1 = datetime(2026, 12, 1, tzinfo=UTC)
DAY2 = datetime(2026, 12, 2, tzinfo=UTC)


def graded(record: dict, points: float, when: datetime = DAY1) -> dict:
    return with_grades(record, {(None, "explain"): PersonGrade(points)}, graded_at=when)


def stored(library: Credentials, result_id: int) -> Result:
    with library.sessions() as session:
        return session.get(Result, result_id)


def holds_credential(library: Credentials, learner: str) -> int:
    for lab in ("lab-two", "lab-three"):
        library.record_result(make_record(learner, lab, 9), reported_by="grader")
    pending = make_pending_record(learner, "lab-one", auto=5, manual=5)
    result_id = library.record_result(pending, reported_by="grader").result_id
    assert library.record_result(graded(pending, 5), reported_by="grader").issued
    return result_id


def test_replaying_the_old_pending_record_never_reopens_the_graded_one(library):
    result_id = holds_credential(library, "ana")
    with pytest.raises(ConflictingUpdate, match="not graded later"):
        library.record_result(make_pending_record("ana", "lab-one", auto=5, manual=5),
                              reported_by="grader")
    row = stored(library, result_id)
    assert (row.score, row.pending_points) == (10, 0)


def test_an_older_grading_never_wins(library):
    pending = make_pending_record("bo", "lab-one")
    result_id = library.record_result(pending, reported_by="grader").result_id
    library.record_result(graded(pending, 2, DAY2), reported_by="grader")
    with pytest.raises(ConflictingUpdate, match="not graded later"):
        library.record_result(graded(pending, 0.5, DAY1), reported_by="grader")
    assert stored(library, result_id).score == 10


def forged(record: dict, change: str) -> dict:
    """``record`` after a person's grading, plus one change a grading cannot make."""
    update = copy.deepcopy(graded(record, 1, DAY2))
    if change == "auto-part":
        update["tests"][0].update(points=98, max_points=98)
        update.update(score=99, max_score=100)
    elif change == "course":
        update["course"] = "other-course"
    elif change == "time":
        update["submitted_at"] = "2020-01-01T00:00:00Z"
    elif change == "score":
        update["score"] = 5  # 3 + 1 is 4
    elif change == "pending-again":
        update["tests"][1].update(pending=True, points=0)
        update["score"], update["pending_points"] = 8, 2
    elif change == "pending-points":
        update["pending_points"] = 0.5
    return update


@pytest.mark.parametrize("change, reason", [
    ("auto-part", "changes more than the manually graded parts"),
    ("course", "another course"),
    ("time", "changes more than"),
    ("score", "score is not the stored score changed"),
    ("pending-points", "pending points are not those of its pending parts"),
])
def test_anything_but_a_persons_grading_is_refused(library, change, reason):
    pending = make_pending_record("cy", "lab-one", auto=3, manual=2)
    result_id = library.record_result(pending, reported_by="grader").result_id
    with pytest.raises(ConflictingUpdate, match=reason):
        library.record_result(forged(pending, change), reported_by="grader")
    row = stored(library, result_id)
    assert row.record == pending and (row.score, row.max_score, row.course) == (3, 5,
                                                                                "test-2026")


def test_a_graded_part_never_becomes_pending_again(library):
    pending = make_pending_record("dee", "lab-one")
    library.record_result(pending, reported_by="grader")
    first = graded(pending, 1, DAY1)
    library.record_result(first, reported_by="grader")
    again = forged(pending, "pending-again")
    again["graded_at"] = "2026-12-03T00:00:00Z"
    with pytest.raises(ConflictingUpdate, match="pending again"):
        library.record_result(again, reported_by="grader")


def test_a_lowering_below_an_issued_credentials_criteria_is_flagged(library, caplog):
    result_id = holds_credential(library, "eve")
    first = graded(make_pending_record("eve", "lab-one", auto=5, manual=5), 5)
    with caplog.at_level(logging.WARNING, "hub.services.credentials.service"):
        intake = library.record_result(graded(first, 0, DAY2), reported_by="formgrader-sync")
    assert intake.updated and stored(library, result_id).score == 5  # 50 % < 70 %
    (credential,) = library.credentials_of("eve")
    assert credential.revoked_at is None  # a person decides
    flags = [r.getMessage() for r in caplog.records if "no longer meets" in r.getMessage()]
    assert len(flags) == 1 and credential.id in flags[0] and "formgrader-sync" in flags[0]
