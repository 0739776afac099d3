"""Manual grading end to end: records awaiting a person's grades go through the outbox to the
credential service, the gradebook shows them as awaiting grading; an instructor grades in
nbgrader's gradebook.db (as formgrader saves a grade); `northlab manual sync` and the
delivery loop's watcher carry the grades back, the record is replaced and the credential
that waited is issued."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from nbgrader.api import Gradebook
from sqlalchemy import select
from tornado.httpclient import AsyncHTTPClient

from graders.manual_grades import (
    CourseWatcher,
    assignment_names,
    delivered_records,
    graded_path,
    sync,
)
from graders.outbox import Outbox, http_sender
from hub.services.credentials.service import Credentials
from hub.services.gradebook.app import Gradebook as GradebookService
from hub.services.gradebook.config import GradebookConfig
from hub.services.gradebook.roster import StaticRoster
from hub.services.records import Result, ResultUpdate, open_database
from northlab.settings import REPO
from tests.gradebook.stub import StubAuth, scopes_for  # tests/gradebook: the stand-in hub OAuth

from .conftest import make_pending_record, make_record

pytestmark = pytest.mark.slow
COURSE = "test-2026"  # make_record's course
PREFIX = "/services/gradebook/"


ASSIGNMENT = "week1"  # lab-one's nbgrader assignment (lab.toml ``assignment``)
STAMP = "2026-11-20 10:00:00 UTC"  # when collect received the submissions


def nbgrader_course(courses: Path) -> Path:
    """An nbgrader gradebook as autograde leaves it: week1's notebook problem1 with the
    manually graded answer ``explain`` (2 points), submissions of ana, bob and cy."""
    folder = courses / COURSE
    folder.mkdir(parents=True, exist_ok=True)
    with Gradebook(f"sqlite:///{folder / 'gradebook.db'}") as gradebook:
        gradebook.add_assignment(ASSIGNMENT)
        gradebook.add_notebook("problem1", ASSIGNMENT)
        gradebook.add_grade_cell("explain", "problem1", ASSIGNMENT, max_score=2,
                                 cell_type="markdown")
        gradebook.add_solution_cell("explain", "problem1", ASSIGNMENT)
        for learner in ("ana", "bob", "cy"):
            gradebook.add_student(learner)
            gradebook.add_submission(ASSIGNMENT, learner, timestamp=STAMP)
    return folder


def collected(courses: Path, learner: str) -> str:
    """The id of ``learner``'s submission, noted as the bridge notes it once autograde
    stored its grades in the gradebook: what a person's grades there belong to."""
    submission = f"sha256:{learner}-autograded"
    path = graded_path(courses / COURSE, ASSIGNMENT, learner, "problem1")
    path.parent.mkdir(parents=True)
    path.write_text(f"{submission}\nexplain\n")  # its id, then the parts reset for it
    return submission


def formgrader_grades(folder: Path, learner: str, score: float, extra: float | None = None,
                      comment: str | None = None) -> None:
    """What formgrader's grade and comment API do when an instructor saves."""
    with Gradebook(f"sqlite:///{folder / 'gradebook.db'}") as gradebook:
        grade = gradebook.find_grade("explain", "problem1", ASSIGNMENT, learner)
        grade.manual_score, grade.extra_credit = score, extra
        grade.needs_manual_grade = False
        if comment is not None:
            gradebook.find_comment("explain", "problem1", ASSIGNMENT, learner).manual_comment = \
                comment
        gradebook.db.commit()


def manual_sync(course_dir: Path, outbox: Path, labs_root: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-c", "import sys; from northlab.cli import main; sys.exit(main())",
         "manual", "sync", str(course_dir), ASSIGNMENT, "--outbox", str(outbox),
         "--labs-root", str(labs_root)],
        capture_output=True, text=True, timeout=120, cwd=REPO)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
async def gradebook_get(service):
    engine = open_database(service.settings.db_url, migrate=False)
    users = {"boss": scopes_for(admin=True), "bob": scopes_for()}
    app = GradebookService(GradebookConfig(), engine=engine,
                           roster=StaticRoster({COURSE: ["ana", "bob", "cy"]}),
                           hub_auth=StubAuth(users)).application()
    server = app.listen(0, "127.0.0.1")
    port = next(iter(server._sockets.values())).getsockname()[1]
    client = AsyncHTTPClient()

    async def get(user: str, path: str) -> str:
        response = await client.fetch(f"http://127.0.0.1:{port}{PREFIX}{path}",
                                      headers={"X-Stub-User": user}, raise_error=False)
        assert response.code == 200, (path, response.code)
        return response.body.decode()

    yield get
    server.stop()
    engine.dispose()


def lab_one_cells(page: str) -> dict[str, str]:
    """The cohort grid's lab-one cell of each learner row."""
    header, *rows = page.split("<tr>")[1:]
    labs = re.findall(r'class="lab".*?>([a-z0-9-]+)</a></th>', header)
    cells = {}
    for row in rows:
        learner = re.search(r'learner/([^"]+)"', row).group(1)
        cells[learner] = re.findall(r"<td.*?</td>", row, re.S)[3 + labs.index("lab-one")]
    return cells


async def test_grades_from_formgrader_flow_into_results_gradebook_and_credentials(
        service, tmp_path, gradebook_get):
    labs_root = service.settings.labs_root
    with (labs_root / "cybersecurity" / "lab-one" / "lab.toml").open("a") as lab_toml:
        lab_toml.write(f'assignment = "{ASSIGNMENT}"\n')
    assignments = assignment_names(labs_root)
    outbox = Outbox(tmp_path / "outbox")
    send = http_sender(service.base + "api/results", service.token)
    for lab in ("lab-two", "lab-three"):
        outbox.put(make_record("ana", lab, 9))
    courses = tmp_path / "courses"
    ana_pending = make_pending_record("ana", "lab-one", auto=8, manual=2, notebook="problem1",
                                      submission=collected(courses, "ana"))
    outbox.put(ana_pending)
    outbox.put(make_pending_record("bob", "lab-one", auto=2, manual=2,  # single notebook
                                   submission=collected(courses, "bob")))
    collected(courses, "cy")
    outbox.put(make_pending_record("cy", "lab-one", submitted_at="2026-11-19T08:00:00Z"))
    assert len(outbox.deliver(send).sent) == 5
    library = Credentials(service.settings, migrate=False)
    assert library.credentials_of("ana") == []  # 80 %, but a person has not graded yet

    cohort = lab_one_cells(await gradebook_get("boss", f"cohort/{COURSE}?status=awaiting"))
    assert set(cohort) == {"ana", "bob", "cy"}
    assert all("awaiting grading: 2 pts" in cell for cell in cohort.values())

    course_dir = nbgrader_course(courses)
    assert sync(outbox, course_dir / "gradebook.db", COURSE,
                assignments=assignments).updated == []  # nothing graded yet
    formgrader_grades(course_dir, "ana", 1.5, extra=1, comment="Clear: name the risk too.")
    formgrader_grades(course_dir, "cy", 2)  # of cy's next submission, not this record's
    out = manual_sync(course_dir, outbox.folder, labs_root)
    assert "1 record(s) updated" in out and "resubmitted: cy/lab-one" in out
    assert sync(outbox, course_dir / "gradebook.db", COURSE,
                assignments=assignments).updated == []  # idempotent
    assert len(outbox.deliver(send).sent) == 1
    assert send(ana_pending) == 409  # a replay of the old record never reopens the grading

    (credential,) = library.credentials_of("ana")
    assert credential.achievement == "cybersecurity-foundations"
    with library.sessions() as session:
        row = session.scalars(select(Result).where(
            Result.learner == "ana", Result.lab == "lab-one")).one()
        assert (row.score, row.pending_points) == (10, 0)  # 1.5 + 1 extra, capped at 2
        assert row.tests[1].points == 2 and not row.tests[1].pending
        audit = session.scalars(select(ResultUpdate)).one()
        assert audit.result_id == row.id and audit.updated_by == "report-token"

    cohort = lab_one_cells(await gradebook_get("boss", f"cohort/{COURSE}"))
    assert "awaiting" not in cohort["ana"] and "100" in cohort["ana"]
    assert "awaiting grading: 2 pts" in cohort["bob"]
    ana = await gradebook_get("boss", "learner/ana?lang=fr")
    assert "Noté par votre formateur, qui écrit : Clear: name the risk too." in ana
    mine = await gradebook_get("bob", "me?lang=fr")
    assert "en attente de correction" in mine and "2 points" in mine
    lab = await gradebook_get("boss", f"lab/lab-one?cohort={COURSE}")
    assert "2 learners have work awaiting grading." in lab
    rows = {r["username"]: r for r in csv.DictReader(io.StringIO(
        (await gradebook_get("boss", f"cohort/{COURSE}/grades.csv")).lstrip("\ufeff")))
        if r["lab"] == "lab-one"}
    assert (rows["bob"]["status"], rows["bob"]["pending_points"]) == ("awaiting", "2.0")
    assert (rows["ana"]["status"], rows["ana"]["pending_points"]) == ("completed", "0.0")

    # on the hub, the grader service's delivery loop watches every course's gradebook.db
    watcher = CourseWatcher(outbox, courses, labs_root)
    assert watcher.run()[COURSE].updated == []  # first pass: nothing new since the CLI
    assert watcher.run() == {}  # unchanged gradebook: not even opened
    formgrader_grades(course_dir, "bob", 0)
    assert watcher.run()[COURSE].updated == ["bob/lab-one"]
    assert len(outbox.deliver(send).sent) == 1
    cohort = lab_one_cells(await gradebook_get("boss", f"cohort/{COURSE}"))
    assert "awaiting" not in cohort["bob"]
    library.engine.dispose()


def test_an_undelivered_record_is_never_the_base_of_an_update(tmp_path):
    """A queued result has not passed delivery's checks (in local mode: who wrote it), so
    the sync never rewrites it as its own (root-owned) file."""
    outbox = Outbox(tmp_path / "outbox")
    pending = make_pending_record("ana", "lab-one")
    outbox.put(pending)
    assert delivered_records(outbox, COURSE) == []
    assert outbox.deliver(lambda record: 201).sent
    assert delivered_records(outbox, COURSE) == [pending]
    outbox.put({**pending, "duration": 2.0}, replace=True)  # a newer copy waits: skip
    assert delivered_records(outbox, COURSE) == []


def test_outbox_deliver_sync_manual_queues_the_graded_record(tmp_path, monkeypatch):
    """`northlab outbox deliver --sync-manual COURSES_ROOT` (the hub's grader service)
    carries a grade saved in formgrader into the outbox before delivering."""
    labs_root = tmp_path / "labs"
    (labs_root / "cybersecurity" / "lab-one").mkdir(parents=True)
    (labs_root / "cybersecurity" / "lab-one" / "lab.toml").write_text(
        f'id = "lab-one"\nassignment = "{ASSIGNMENT}"\n')
    monkeypatch.setenv("NORTHLAB_LABS_ROOT", str(labs_root))
    outbox = Outbox(tmp_path / "outbox")
    pending = make_pending_record("ana", "lab-one", notebook="problem1",
                                  submission=collected(tmp_path / "courses", "ana"))
    outbox.put(pending)
    outbox.deliver(lambda record: 201)
    course_dir = nbgrader_course(tmp_path / "courses")
    formgrader_grades(course_dir, "ana", 2)
    token = tmp_path / "token"
    token.write_text("t")
    from northlab.cli import main

    status = main(["outbox", "deliver", "--outbox", str(outbox.folder), "--url",
                   "http://127.0.0.1:9/unreachable", "--token-file", str(token),
                   "--sync-manual", str(tmp_path / "courses")])
    assert status == 1  # the service is unreachable: the update waits in pending/
    (queued,) = outbox.pending()
    record = json.loads((outbox.folder / "pending" / f"{queued}.json").read_text())
    assert (record["score"], record["pending_points"]) == (10, 0)


def test_a_grade_saved_while_its_record_waits_in_the_outbox_is_carried_in(tmp_path):
    """The grader service's loop syncs a course when its gradebook changes. A grade saved
    while the autograded record still waited to be delivered (a busy or failing service)
    is carried in once the record is delivered, with no further change of the gradebook."""
    labs_root = tmp_path / "labs"
    (labs_root / "cybersecurity" / "lab-one").mkdir(parents=True)
    (labs_root / "cybersecurity" / "lab-one" / "lab.toml").write_text(
        f'id = "lab-one"\nassignment = "{ASSIGNMENT}"\n')
    courses = tmp_path / "courses"
    outbox = Outbox(tmp_path / "outbox")
    outbox.put(make_pending_record("ana", "lab-one", notebook="problem1",
                                   submission=collected(courses, "ana")))
    course_dir = nbgrader_course(courses)
    watcher = CourseWatcher(outbox, courses, labs_root)
    formgrader_grades(course_dir, "ana", 2)
    assert watcher.run()[COURSE].updated == []  # the record is not delivered yet
    assert watcher.run() == {}  # nothing changed, nothing delivered: not even opened
    assert outbox.deliver(lambda record: 503).failed  # the service is busy: it still waits
    assert watcher.run() == {}
    outbox.clock = lambda: float("inf")  # the retry is due
    assert outbox.deliver(lambda record: 201).sent
    assert watcher.run()[COURSE].updated == ["ana/lab-one"]
    formgrader_grades(course_dir, "ana", 1)  # changed again before the update was sent
    assert watcher.run()[COURSE].updated == []  # the update waits: it is not the base
    assert outbox.deliver(lambda record: 201).sent
    assert watcher.run()[COURSE].updated == ["ana/lab-one"]
    (queued,) = outbox.pending()
    record = json.loads((outbox.folder / "pending" / f"{queued}.json").read_text())
    assert (record["score"], record["pending_points"]) == (9, 0)
    assert outbox.deliver(lambda record: 201).sent
    assert watcher.run() == {}
