"""A person's grades reach a record only through trusted paths: bound to the submission by
its identity (the id the nbgrader bridge notes once autograde stored the grades, never a
time the learner writes), and re-read only from delivered copies the deliverer wrote."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import stat
from pathlib import Path

import pytest

from graders.manual_grades import graded_path, sync
from graders.outbox import Outbox

from .conftest import gradebook_with_a_manual_grade, make_pending_record

COURSE = "test-2026"
LAB = "lab-one"  # also its nbgrader assignment
STAMP = "2026-11-20 10:00:00.250000 UTC"
NOBODY = 65534


def autograded(course: Path, learner: str, submission: str) -> str:
    """What the nbgrader bridge notes once autograde stored the grades of ``submission``."""
    path = graded_path(course, LAB, learner, "lab-one")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{submission}\nexplain\n")  # its id, then the parts reset for it
    return submission


@pytest.fixture(scope="module")
def gradebook_db(tmp_path_factory) -> Path:
    """nbgrader's gradebook after autograde took ``STAMP`` for ana, and an instructor gave
    ana's manually graded answer ``explain`` 2 points (made once: nbgrader is slow)."""
    path = tmp_path_factory.mktemp("nbgrader") / "gradebook.db"
    return gradebook_with_a_manual_grade(path, LAB, STAMP)


@pytest.fixture
def course(tmp_path, gradebook_db) -> Path:
    folder = tmp_path / COURSE
    folder.mkdir()
    shutil.copy(gradebook_db, folder / "gradebook.db")
    return folder


def delivered(tmp_path: Path, *records: dict) -> Outbox:
    outbox = Outbox(tmp_path / "outbox")
    for record in records:
        outbox.put(record)
    assert len(outbox.deliver(lambda record: 201).sent) == len(records)
    return outbox


def test_the_grade_lands_on_the_record_of_the_graded_submission(tmp_path, course):
    graded = autograded(course, "ana", "sha256:final")
    attempt = make_pending_record("ana", LAB, submission="sha256:earlier-attempt",
                                  submitted_at="2026-11-20T10:00:00.250000Z")  # same time
    final = make_pending_record("ana", LAB, submission=graded, submitted_at=None)
    outbox = delivered(tmp_path, attempt, final)
    report = sync(outbox, course / "gradebook.db", COURSE)
    assert report.updated == ["ana/lab-one"] and report.stale == ["ana/lab-one"]
    (key,) = outbox.pending()
    update = json.loads((outbox.folder / "pending" / f"{key}.json").read_bytes())
    assert update["submission_id"] == graded and update["pending_points"] == 0


@pytest.mark.parametrize("case", ["not-noted", "other-submission", "symlink"])
def test_an_unknown_or_different_identity_is_stale(tmp_path, course, case):
    record = make_pending_record("ana", LAB, submission="sha256:mine", submitted_at=None)
    if case == "other-submission":  # resubmitted, autograded: the grades are the new one's
        autograded(course, "ana", "sha256:next")
    elif case == "symlink":
        target = tmp_path / "elsewhere"
        target.write_text("sha256:mine")
        path = graded_path(course, LAB, "ana", "lab-one")
        path.parent.mkdir(parents=True)
        path.symlink_to(target)
    outbox = delivered(tmp_path, record)
    report = sync(outbox, course / "gradebook.db", COURSE)
    assert report.updated == [] and outbox.pending() == []
    assert report.stale == ["ana/lab-one"]


def test_a_sent_copy_a_group_member_wrote_is_never_requeued(tmp_path, course):
    """outbox/sent/ of an outbox instructors share: a record forged there (as a member of
    the group would write it) is refused, not re-queued by the root sync."""
    graded = autograded(course, "ana", "sha256:final")
    outbox = Outbox(tmp_path / "outbox")
    forged = make_pending_record("ana", LAB, auto=98, manual=2, submission=graded)
    path = outbox.folder / "sent" / "forged.json"
    path.write_text(json.dumps(forged))
    os.chown(path, NOBODY, -1)
    report = sync(outbox, course / "gradebook.db", COURSE)
    assert report.updated == [] and outbox.pending() == []
    assert report.refused == [f"forged.json: written by uid {NOBODY}, not by the deliverer"]


def test_delivery_keeps_its_own_copy_and_the_group_cannot_write_sent(tmp_path):
    folder = tmp_path / "outbox"
    folder.mkdir()
    os.chmod(folder, 0o2770)  # shared with the instructors' group
    outbox = Outbox(folder)
    assert stat.S_IMODE((folder / "pending").stat().st_mode) == 0o3770
    for sub in ("sent", "rejected"):
        assert stat.S_IMODE((folder / sub).stat().st_mode) == 0o2750
    record = make_pending_record("ana", LAB)
    queued = outbox.put(record)
    os.chown(queued, NOBODY, -1)  # an instructor's autograde queued it
    assert outbox.deliver(lambda record: 201).sent
    copy = folder / "sent" / queued.name
    assert copy.stat().st_uid == os.geteuid() and json.loads(copy.read_bytes()) == record


def test_a_conflicting_update_is_rejected_not_retried(tmp_path):
    outbox = Outbox(tmp_path / "outbox")
    outbox.put(make_pending_record("ana", LAB))
    report = outbox.deliver(lambda record: 409)
    assert report.rejected and outbox.pending() == []
    (reason,) = (tmp_path / "outbox" / "rejected").glob("*.reason.txt")
    assert "HTTP 409" in reason.read_text()


def test_extra_credit_is_cut_at_the_parts_points_and_reported(tmp_path, course):
    with contextlib.closing(sqlite3.connect(course / "gradebook.db")) as db:
        db.execute("UPDATE grade SET extra_credit = 1.5")  # formgrader's extra credit box
        db.commit()
    record = make_pending_record("ana", LAB, submission=autograded(course, "ana", "sha256:a"))
    outbox = delivered(tmp_path, record)
    report = sync(outbox, course / "gradebook.db", COURSE)
    assert report.capped == ["ana/lab-one: explain 3.5 > 2"]
    (key,) = outbox.pending()
    update = json.loads((outbox.folder / "pending" / f"{key}.json").read_bytes())
    assert (update["tests"][1]["points"], update["score"]) == (2, 10)


def test_a_course_folder_with_a_space_hash_or_percent_in_its_path(tmp_path, gradebook_db):
    course = tmp_path / "Cours #2 à 100% ?" / COURSE
    course.mkdir(parents=True)
    shutil.copy(gradebook_db, course / "gradebook.db")
    graded = autograded(course, "ana", "sha256:final")
    outbox = delivered(tmp_path, make_pending_record("ana", LAB, submission=graded,
                                                     submitted_at=None))
    report = sync(outbox, course / "gradebook.db", COURSE)
    assert report.updated == ["ana/lab-one"]
