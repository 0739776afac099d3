"""A person's grade counts only for the submission (and answer) the person saw (review 9, G1).

An instructor grades a learner's written answer in formgrader; the learner resubmits and
hides that answer from nbgrader's ``SaveAutoGrades`` (flags set false, nbgrader metadata
deleted, the cell deleted, renamed or turned into code, or copied). With real
``nbgrader autograde`` through the bridge, the new submission's record must never take the
old grade: the part waits for a person (or is 0), and formgrader shows it as needing
grading. A person who then grades the new submission's part is carried in as usual.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from graders.lab import load_lab
from graders.manual_grades import graded_path, sync
from graders.nbgrader_course import NbgraderCourse
from graders.outbox import Outbox
from graders.release import release_notebook

LABS = Path(__file__).resolve().parents[2] / "labs"
LAB = LABS / "foundations" / "safe-computer-checklist"
NAME = "safe-computer-checklist"
PART = "explain_checklist"  # a markdown answer a person grades, 4 points
COURSE = "test-course"


def _answer(nb: dict) -> dict:
    return next(c for c in nb["cells"]
                if c["metadata"].get("nbgrader", {}).get("grade_id") == PART)


def hide_flags(nb: dict) -> None:
    _answer(nb)["metadata"]["nbgrader"].update(grade=False, solution=False)


def drop_metadata(nb: dict) -> None:
    del _answer(nb)["metadata"]["nbgrader"]


def delete_cell(nb: dict) -> None:
    nb["cells"].remove(_answer(nb))


def duplicate_cell(nb: dict) -> None:
    cell = _answer(nb)
    copy = json.loads(json.dumps(cell))
    copy["source"] = "an innocent second copy"
    copy.pop("id", None)
    nb["cells"].insert(nb["cells"].index(cell) + 1, copy)


def rename_grade_id(nb: dict) -> None:
    _answer(nb)["metadata"]["nbgrader"]["grade_id"] = "explain_checklist_v2"


def make_code(nb: dict) -> None:
    cell = _answer(nb)
    cell.update(cell_type="code", outputs=[], execution_count=None)
    cell.pop("attachments", None)


TRICKS = {"honest": lambda nb: None, "flags-false": hide_flags,
          "metadata-deleted": drop_metadata, "cell-deleted": delete_cell,
          "cell-duplicated": duplicate_cell, "grade-id-renamed": rename_grade_id,
          "cell-type-changed": make_code}


def submission(text: str, trick=lambda nb: None) -> dict[str, bytes]:
    nb = json.loads(json.dumps(release_notebook(LAB / "source" / f"{NAME}.ipynb")))
    _answer(nb)["source"] = text
    trick(nb)
    return {f"{NAME}.ipynb": json.dumps(nb).encode()}


def person_grades(db: Path, learner: str, points: float) -> None:
    """What formgrader writes when an instructor saves a grade."""
    with Gradebook(f"sqlite:///{db}", COURSE) as gradebook:
        grade = gradebook.find_grade(PART, NAME, NAME, learner)
        grade.manual_score, grade.needs_manual_grade = points, False
        gradebook.db.commit()


def needs_grading(db: Path, learner: str) -> bool:
    with Gradebook(f"sqlite:///{db}", COURSE) as gradebook:
        return gradebook.find_grade(PART, NAME, NAME, learner).needs_manual_grade


def sent(outbox: Path) -> dict[str, dict]:
    """submission_id -> its last delivered record."""
    out = {}
    for path in sorted((outbox / "sent").glob("*.json"), key=lambda p: p.stat().st_mtime_ns):
        if not path.name.endswith(".state.json"):
            record = json.loads(path.read_text())
            out[record["submission_id"]] = record
    return out


def part(record: dict) -> dict:
    return next(t for t in record["tests"] if t["name"] == PART)


@pytest.fixture(scope="module")
def course_run(tmp_path_factory) -> dict:
    """One course, one learner per trick: attempt 1 honest and graded 4/4 by a person,
    attempt 2 with the trick, autograded and synced; then a person grades attempt 2."""
    work = tmp_path_factory.mktemp("carryover")
    outbox = Outbox(work / "outbox")
    config = ("from graders.nbgrader_bridge import configure\n"
              f"configure(c, labs_dir={str(LABS)!r}, outbox={str(outbox.folder)!r})")
    course = NbgraderCourse(work / "course", load_lab(LAB), course=COURSE, extra_config=config)
    db = course.root / "gradebook.db"
    course.generate()
    for learner in TRICKS:
        course.add_submission(learner, submission("Strong passwords and updates keep me safe."),
                              timestamp="2026-01-15 12:00:00.000000 UTC")
    course.autograde()
    outbox.deliver(lambda record: 200)
    for learner in TRICKS:
        person_grades(db, learner, 4.0)
    first = sync(outbox, db, COURSE)
    attempt1 = {learner: graded_path(course.root, NAME, learner, NAME).read_text().split()[0]
                for learner in TRICKS}
    outbox.deliver(lambda record: 200)
    for learner, trick in TRICKS.items():
        course.add_submission(learner, submission("lorem ipsum (never read by anyone)", trick),
                              timestamp="2026-01-16 12:00:00.000000 UTC")
    try:
        course.autograde()
    except RuntimeError:  # a learner nbgrader could not grade: their test says so below
        pass
    outbox.deliver(lambda record: 200)
    second = sync(outbox, db, COURSE)
    outbox.deliver(lambda record: 200)
    after = sent(outbox.folder)
    notes = {learner: graded_path(course.root, NAME, learner, NAME).read_text().split()[0]
             for learner in TRICKS}
    attempt2 = {learner: after[notes[learner]] for learner in TRICKS}
    graded = {learner: notes[learner] != attempt1[learner] for learner in TRICKS}
    waiting = {learner: needs_grading(db, learner) for learner in TRICKS}
    for learner in TRICKS:  # a person now reads and grades attempt 2
        person_grades(db, learner, 2.0)
    third = sync(outbox, db, COURSE)
    outbox.deliver(lambda record: 200)
    regraded = {learner: sent(outbox.folder)[notes[learner]] for learner in TRICKS}
    return {"first": first, "second": second, "third": third, "attempt2": attempt2,
            "graded": graded,
            "waiting": waiting, "regraded": regraded}


@pytest.mark.slow
@pytest.mark.parametrize("trick", list(TRICKS))
def test_an_old_grade_never_reaches_a_new_submission(course_run: dict, trick: str) -> None:
    # the binding works at all: attempt 1's grade was carried in for every learner
    assert trick in {who.split("/")[0] for who in course_run["first"].updated}
    assert course_run["graded"][trick], "nbgrader did not grade the new submission"
    record = course_run["attempt2"][trick]
    assert part(record)["points"] == 0, part(record)
    assert record["score"] <= record["max_score"] - 4
    assert trick not in {who.split("/")[0] for who in course_run["second"].updated}
    assert course_run["waiting"][trick], "formgrader must show the part as needing grading"
    # the grade a person gives the new submission is the one that counts
    assert trick in {who.split("/")[0] for who in course_run["third"].updated}
    assert part(course_run["regraded"][trick])["points"] == 2
