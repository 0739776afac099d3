"""Records awaiting a person's grading: stored, never counted for credentials until graded,
replaced (and audited) by the grading side's update of the same submission."""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import inspect, select, text

from graders.manual_grades import PersonGrade, with_grades
from hub.services.credentials.service import ConflictingUpdate, Credentials
from hub.services.records import (
    MIGRATIONS,
    Award,
    Result,
    ResultUpdate,
    create_db_engine,
    open_database,
)
from northlab.results import validate_result

from .conftest import make_pending_record, make_record
from .test_records import postgres  # noqa: F401 - the PostgreSQL server fixture

GRADED_AT = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


def graded(record: dict, points: float, comment: str = "") -> dict:
    """``record`` after a person gave its ``explain`` answer ``points``."""
    notebook = record["tests"][1].get("notebook")
    updated = with_grades(record, {(notebook, "explain"): PersonGrade(points, comment)},
                          graded_at=GRADED_AT)
    assert updated is not None
    return updated


def two_labs_done(library: Credentials, learner: str) -> None:
    for lab in ("lab-two", "lab-three"):
        intake = library.record_result(make_record(learner, lab, 9), reported_by="grader")
        assert intake.issued == []


def test_a_pending_record_is_stored_and_never_issues_early(library):
    two_labs_done(library, "ana")
    pending = make_pending_record("ana", "lab-one", auto=8, manual=2)  # 80 % before grading
    intake = library.record_result(pending, reported_by="grader")
    assert intake.created and intake.issued == []
    assert library.credentials_of("ana") == []
    assert library.evaluate_learner("ana") == []  # a later re-check does not issue either
    with library.sessions() as session:
        row = session.get(Result, intake.result_id)
        assert row.pending_points == 2 and row.percent == 80
        assert [(t.name, t.manual, t.pending) for t in row.tests] == [
            ("test_main", False, False), ("explain", True, True)]


def test_pending_tests_wait_even_without_pending_points(library):
    two_labs_done(library, "bea")
    pending = make_pending_record("bea", "lab-one")
    del pending["pending_points"]  # a test still says pending: the record is not finished
    assert library.record_result(pending, reported_by="grader").issued == []
    assert library.credentials_of("bea") == []


def test_the_graded_update_replaces_the_record_is_audited_and_issues(library):
    two_labs_done(library, "ana")
    pending = make_pending_record("ana", "lab-one")
    first = library.record_result(pending, reported_by="grader")
    with library.sessions() as session:
        assert library.awaiting_labs(session, "ana") == {"lab-one"}  # "My credentials" says so
    update = graded(pending, 1.5, "Clear, but name the risk.")
    assert update["score"] == 9.5 and update["pending_points"] == 0
    intake = library.record_result(update, reported_by="grader-service")
    assert intake.updated and not intake.created and intake.result_id == first.result_id
    assert len(intake.issued) == 1
    with library.sessions() as session:
        row = session.get(Result, first.result_id)
        assert (row.score, row.pending_points, row.percent) == (9.5, 0, 95)
        assert row.record == update and row.graded_at == GRADED_AT
        explain = row.tests[1]
        assert (explain.points, explain.pending, explain.manual) == (1.5, False, True)
        assert "name the risk" in explain.feedback["fr"]
        audit = session.scalars(select(ResultUpdate)).one()
        assert audit.result_id == row.id and audit.updated_by == "grader-service"
        assert audit.previous_record == pending and audit.updated_at is not None
        assert (audit.previous_score, audit.new_score) == (8, 9.5)
        assert (audit.previous_pending_points, audit.new_pending_points) == (2, 0)
        award = session.scalars(select(Award)).one()
        assert row.id in award.evidence["results"]
        assert library.awaiting_labs(session, "ana") == set()
    again = library.record_result(update, reported_by="grader-service")  # a retried delivery
    assert not again.updated and again.issued == []
    with library.sessions() as session:
        assert len(session.scalars(select(ResultUpdate)).all()) == 1


def test_a_graded_update_below_the_mark_issues_nothing(library):
    two_labs_done(library, "cy")
    pending = make_pending_record("cy", "lab-one", auto=5, manual=5)
    library.record_result(pending, reported_by="grader")
    intake = library.record_result(graded(pending, 1), reported_by="grader")
    assert intake.updated and intake.issued == []  # 60 % < 70 %


def test_only_records_with_a_persons_parts_are_replaced(library):
    plain = make_record("dan", "lab-one", 6)
    library.record_result(plain, reported_by="grader")
    changed = {**plain, "score": 10, "tests": [{**plain["tests"][0], "points": 10}]}
    assert not library.record_result(changed, reported_by="grader").updated
    pending = make_pending_record("dan", "lab-two")
    library.record_result(pending, reported_by="grader")
    broken = {**copy.deepcopy(pending), "error": {"code": "internal", "message": {"en": "x"}},
              "score": 0, "tests": []}
    validate_result(broken)
    with pytest.raises(ConflictingUpdate, match="changes more than"):
        library.record_result(broken, reported_by="grader")
    with library.sessions() as session:
        rows = {r.lab: r for r in session.scalars(select(Result))}
        assert rows["lab-one"].score == 6 and rows["lab-two"].pending_points == 2
        assert session.scalars(select(ResultUpdate)).all() == []


def test_points_are_capped_at_the_parts_points():
    pending = make_pending_record("eve", "lab-one", notebook="problem1")
    update = graded(pending, 7)  # manual score + extra credit above the 2 points
    assert update["tests"][1]["points"] == 2 and update["score"] == 10
    assert update["notebooks"] == [
        {"name": "problem1", "score": 10, "max_score": 10, "pending_points": 0}]
    assert with_grades(update, {("problem1", "explain"): PersonGrade(9)},
                       graded_at=GRADED_AT) is None  # nothing changes: no update


def test_migration_0002_keeps_existing_results(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    engine = create_db_engine(url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        connection.execute(text(  # the 0001 columns only
            "INSERT INTO results (learner, lab, track, submission_id, graded_at, score, "
            "max_score, percent, duration, isolation, late, record, received_at) VALUES "
            "('old', 'lab-one', 'cybersecurity', 's0', '2026-11-21 09:00:00', 5, 10, 50, 1, "
            "'test', 0, '{}', '2026-11-21 09:00:00')"))
    engine.dispose()
    engine = open_database(url)
    assert "result_updates" in inspect(engine).get_table_names()
    with engine.connect() as connection:
        assert connection.execute(select(Result.pending_points)).scalar_one() == 0
    engine.dispose()


@pytest.mark.slow
def test_postgres_stores_pending_and_replaces_it(postgres, settings):  # noqa: F811
    library = Credentials(replace(settings, results_database_url=postgres))
    try:
        two_labs_done(library, "pg")
        pending = make_pending_record("pg", "lab-one")
        assert library.record_result(pending, reported_by="grader").issued == []
        intake = library.record_result(graded(pending, 2), reported_by="grader")
        assert intake.updated and len(intake.issued) == 1
        with library.sessions() as session:
            assert session.scalars(select(ResultUpdate.updated_by)).one() == "grader"
            assert session.scalars(select(Result.pending_points)).all() == [0, 0, 0]
    finally:
        library.engine.dispose()


def test_sync_of_a_damaged_gradebook_is_one_clear_error(tmp_path, capsys):
    from graders.outbox import Outbox
    from northlab.cli import main

    course = tmp_path / "test-2026"
    course.mkdir()
    (course / "gradebook.db").write_text("not a database")
    outbox = Outbox(tmp_path / "outbox")
    outbox.put(make_pending_record("ana", "lab-one"))
    outbox.deliver(lambda record: 201)
    assert main(["manual", "sync", str(course), "--outbox", str(outbox.folder)]) == 2
    error = capsys.readouterr().err
    assert error == f"northlab: error: cannot read the gradebook {course}/gradebook.db: " \
                    "file is not a database\n"
    assert main(["manual", "sync", str(tmp_path / "nowhere")]) == 2
    assert "no nbgrader gradebook at" in capsys.readouterr().err
