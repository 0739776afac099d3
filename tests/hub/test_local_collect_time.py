"""Local mode's collect: a submission's time is one the learner cannot write.

The learner owns their inbound folder, so its name, its ``timestamp.txt`` and its files'
mtimes are theirs to choose. The collector takes the kernel's change time (ctime, which only
moves forward) instead: for ``submitted/<learner>/<lab>/timestamp.txt``, for lateness and
for choosing which of a learner's submissions is collected (review 10, F2).
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from nbgrader.api import Gradebook
from nbgrader.auth import Authenticator
from nbgrader.coursedir import CourseDirectory
from nbgrader.utils import parse_utc
from traitlets.config import Config

from graders.submissions import find_submissions
from hub.courses.local_exchange import NorthlabCollect, configure_exchange

COURSE, LAB = "north", "lab1"
EARLY = "2026-01-01 00:00:00.000000 UTC"  # what the learner claims: long before any due date
FAR = "2099-01-01 00:00:00.000000 UTC"


@pytest.fixture(scope="module")
def empty_gradebook(tmp_path_factory) -> Path:
    """A new nbgrader gradebook, made once (its migrations take seconds)."""
    path = tmp_path_factory.mktemp("gradebook") / "gradebook.db"
    with Gradebook(f"sqlite:///{path}", COURSE):
        pass
    return path


@pytest.fixture
def site(tmp_path: Path, empty_gradebook: Path) -> dict[str, Path]:
    if os.geteuid() != 0:
        pytest.fail("needs root (submissions are chowned to learners), as in CI")
    exchange, course = tmp_path / "exchange", tmp_path / "course"
    (exchange / COURSE / "outbound" / LAB).mkdir(parents=True)
    (exchange / COURSE / "inbound").mkdir()
    course.mkdir()
    shutil.copy(empty_gradebook, course / "gradebook.db")
    return {"exchange": exchange, "course": course, "inbound": exchange / COURSE / "inbound"}


def drop(site: dict[str, Path], learner: str, claimed: str, *, owner: str | None = None,
         suffix: str = "x", text: str = "work") -> Path:
    """A submission as ``owner`` (default: the learner) makes it: folder name and
    timestamp.txt both claim ``claimed``."""
    folder = site["inbound"] / f"{learner}+{LAB}+{claimed}+{suffix}"
    folder.mkdir()
    (folder / f"{LAB}.ipynb").write_text(json.dumps(
        {"cells": [], "metadata": {"text": text}, "nbformat": 4, "nbformat_minor": 5}))
    (folder / "timestamp.txt").write_text(claimed)
    uid = pwd.getpwnam(owner or learner).pw_uid
    for path in (folder, *folder.iterdir()):
        os.chown(path, uid, uid)
    return folder


def collect(site: dict[str, Path], due: datetime | None = None, **options) -> None:
    c = Config()
    configure_exchange(c, str(site["exchange"]))
    c.CourseDirectory.root = str(site["course"])
    c.CourseDirectory.course_id = COURSE
    c.CourseDirectory.assignment_id = LAB
    for name, value in options.items():
        setattr(c.ExchangeCollect, name, value)
    coursedir = CourseDirectory(config=c)
    if due is not None:
        with Gradebook(coursedir.db_url, COURSE) as gradebook:
            gradebook.update_or_create_assignment(LAB, duedate=due.replace(tzinfo=None))
    NorthlabCollect(coursedir=coursedir, authenticator=Authenticator(config=c),
                    config=c).start()


def collected(site: dict[str, Path], learner: str = "nobody") -> tuple[datetime, str]:
    """The collected submission's stamped time (UTC) and its notebook's text."""
    folder = site["course"] / "submitted" / learner / LAB
    stamped = parse_utc((folder / "timestamp.txt").read_text()).replace(tzinfo=UTC)
    return stamped, json.loads((folder / f"{LAB}.ipynb").read_text())["metadata"]["text"]


def late(site: dict[str, Path], due: datetime, learner: str = "nobody") -> bool | None:
    found = {s.learner: s for s in find_submissions(site["course"] / "submitted", LAB, due=due)}
    return found[learner].late


def test_a_submission_named_and_stamped_early_is_stamped_when_it_arrived(site):
    before = datetime.now(UTC) - timedelta(seconds=1)  # the kernel's coarse clock lags a tick
    drop(site, "nobody", EARLY)
    collect(site)
    stamped, _ = collected(site)
    assert before <= stamped <= datetime.now(UTC)
    assert late(site, due=before - timedelta(days=1)) is True
    assert late(site, due=datetime.now(UTC) + timedelta(days=1)) is False


def test_file_and_folder_mtimes_set_back_do_not_make_it_early(site):
    before = datetime.now(UTC) - timedelta(seconds=1)
    folder = drop(site, "nobody", EARLY)
    early = datetime(2026, 1, 1, tzinfo=UTC).timestamp()
    for path in (*folder.iterdir(), folder):  # touch -d 2026-01-01
        os.utime(path, (early, early))
    collect(site)
    assert collected(site)[0] >= before
    assert late(site, due=before - timedelta(days=1)) is True


def test_the_submission_that_arrived_last_is_collected_whatever_its_name(site):
    drop(site, "nobody", FAR, suffix="a", text="first")
    time.sleep(0.05)
    drop(site, "nobody", EARLY, suffix="b", text="second")
    collect(site)
    assert collected(site)[1] == "second"


def test_before_duedate_picks_by_arrival_not_by_name(site):
    """--before-duedate: the last submission that arrived before the due date, however the
    learner named the ones before and after it."""
    drop(site, "nobody", FAR, suffix="a", text="on time")
    time.sleep(0.1)
    due = datetime.now(UTC)
    time.sleep(0.1)
    drop(site, "nobody", EARLY, suffix="b", text="late")
    collect(site, due=due, before_duedate=True)
    stamped, text = collected(site)
    assert text == "on time" and stamped <= due
    assert late(site, due=due) is False


def test_a_late_only_submission_stays_late_with_before_duedate(site):
    due = datetime.now(UTC) - timedelta(hours=1)
    drop(site, "nobody", EARLY)
    collect(site, due=due, before_duedate=True)
    assert late(site, due=due) is True


def test_a_folder_named_for_another_learner_never_hides_theirs(site):
    """daemon drops a later folder named as nobody's: nobody's own is collected."""
    drop(site, "nobody", EARLY, suffix="a", text="nobody's")
    time.sleep(0.05)
    drop(site, "nobody", FAR, suffix="b", owner="daemon", text="daemon's")
    collect(site)
    assert collected(site)[1] == "nobody's"


def test_a_name_that_is_no_time_does_not_stop_the_collect(site):
    """A learner's folder named ``<them>+lab1+not-a-time+x`` is theirs to waste; everyone
    else is still collected."""
    drop(site, "daemon", "not-a-time")
    drop(site, "nobody", EARLY)
    collect(site)
    assert collected(site)[1] == "work"
    assert collected(site, "daemon")[1] == "work"


def test_an_update_recollects_only_a_later_arrival(site):
    drop(site, "nobody", FAR, suffix="a", text="first")
    collect(site)
    first = collected(site)
    collect(site, update=True)
    assert collected(site) == first
    time.sleep(0.05)
    drop(site, "nobody", EARLY, suffix="b", text="second")
    collect(site, update=True)
    assert collected(site)[1] == "second" and collected(site)[0] > first[0]


def test_a_timestamp_txt_folder_is_replaced_by_the_stamp(site):
    before = datetime.now(UTC) - timedelta(seconds=1)
    folder = drop(site, "nobody", EARLY)
    (folder / "timestamp.txt").unlink()
    (folder / "timestamp.txt").mkdir()
    (folder / "timestamp.txt" / "x").write_text(EARLY)
    for path in (folder / "timestamp.txt", folder / "timestamp.txt" / "x"):
        os.chown(path, 65534, 65534)
    collect(site)
    assert collected(site)[0] >= before


def test_a_file_deep_inside_changed_later_dates_the_submission(site):
    """Rewriting a file changes its own ctime only, not its folders': the walk finds it."""
    folder = drop(site, "nobody", EARLY)
    deep = folder / "data" / "more"
    deep.mkdir(parents=True)
    (deep / "answer.txt").write_text("early")
    for path in (folder / "data", deep, deep / "answer.txt"):
        os.chown(path, 65534, 65534)
    time.sleep(0.1)
    changed = datetime.now(UTC) - timedelta(seconds=0.05)  # the coarse clock's lag, at most
    (deep / "answer.txt").write_text("later")
    early = datetime(2026, 1, 1, tzinfo=UTC).timestamp()
    os.utime(deep / "answer.txt", (early, early))
    collect(site)
    assert collected(site)[0] >= changed
