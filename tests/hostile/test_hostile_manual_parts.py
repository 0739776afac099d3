"""The sync applies a person's grade of a part only when the bridge vouched that the
gradebook reset that very part for the record's submission (review 9, G1: the second
defence, in ``graders.manual_grades``). A note naming the right submission but not the
part (a part nbgrader never re-scored for it), or a note of the old one-line form, carries
nothing; the part stays awaiting a person."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from graders.manual_grades import graded_path, sync
from graders.outbox import Outbox
from tests.credentials.conftest import gradebook_with_a_manual_grade, make_pending_record

COURSE = "test-2026"
LAB = "lab-one"


@pytest.fixture(scope="module")
def gradebook_db(tmp_path_factory) -> Path:
    """A gradebook where a person gave ana's answer ``explain`` 2 points (made once:
    nbgrader's gradebook is slow to create)."""
    path = tmp_path_factory.mktemp("nbgrader") / "gradebook.db"
    return gradebook_with_a_manual_grade(path, LAB)


@pytest.fixture
def course(tmp_path: Path, gradebook_db: Path) -> Path:
    folder = tmp_path / COURSE
    folder.mkdir()
    shutil.copy(gradebook_db, folder / "gradebook.db")
    return folder


def run_sync(tmp_path: Path, course: Path, note: str):
    """Sync ana's delivered record of ``sha256:new`` with the bridge's ``note``."""
    path = graded_path(course, LAB, "ana", "lab-one")
    path.parent.mkdir(parents=True)
    path.write_text(note)
    outbox = Outbox(tmp_path / "outbox")
    outbox.put(make_pending_record("ana", LAB, submission="sha256:new"))
    outbox.deliver(lambda record: 201)
    return sync(outbox, course / "gradebook.db", COURSE), outbox


@pytest.mark.parametrize("note", ["sha256:new", "sha256:new\n", "sha256:new\nother\n",
                                  "sha256:new\nexplain_v2\nexplai\n"],
                         ids=["old-one-line-note", "no-part", "another-part", "near-names"])
def test_a_part_not_reset_for_the_submission_takes_no_grade(tmp_path, course, note) -> None:
    report, outbox = run_sync(tmp_path, course, note)
    assert report.updated == [] and outbox.pending() == []
    assert report.stale == ["ana/lab-one"]


def test_a_part_reset_for_the_submission_takes_the_grade(tmp_path, course) -> None:
    report, outbox = run_sync(tmp_path, course, "sha256:new\nexplain\n")
    assert report.updated == ["ana/lab-one"] and len(outbox.pending()) == 1
