"""What the feedback service takes from the exchange's inbound, which learners write: a
copy made without following links, names it cannot read, attempts across courses."""

from __future__ import annotations

import logging
import os
import pwd
import threading
from pathlib import Path

import pytest

from hub.services.feedback import snapshot
from hub.services.feedback.grading import Watcher
from hub.services.feedback.spool import Spool
from tests.hub.smoke_lab import LAB_ID, SOLUTION

from .conftest import COURSE, LEARNER, feedback_lab, hand_in


@pytest.fixture
def root(tmp_path: Path) -> Path:
    tmp_path.chmod(0o755)
    feedback_lab(tmp_path / "labs", "[feedback]\non_submit = true\nattempts = 1\n")
    return tmp_path


def watcher(root: Path) -> Watcher:
    """A watcher with its own spool object over ``root``'s (as a second service has)."""
    return Watcher(root / "exchange", root / "labs", Spool(root / "feedback"))


def test_links_and_other_owners_files_are_not_copied(root: Path):
    folder = hand_in(root / "exchange", SOLUTION)
    secret = root / "secret.txt"
    secret.write_text("root only")
    secret.chmod(0o600)
    (folder / "link.txt").symlink_to(secret)
    (folder / "linked-folder").symlink_to(root / "labs", target_is_directory=True)
    (folder / "theirs.txt").write_text("planted")
    os.mkfifo(folder / "pipe")
    (folder / "work").mkdir()
    (folder / "work" / "data.csv").write_text("a,b\n")
    nobody = pwd.getpwnam(LEARNER).pw_uid
    for path in (folder / "pipe", folder / "work", folder / "work" / "data.csv"):
        os.chown(path, nobody, -1)
    fd = snapshot.open_folder(None, folder, nobody)
    try:
        snapshot.copy_submission(fd, root / "copy", nobody)
    finally:
        os.close(fd)
    copied = sorted(p.relative_to(root / "copy").as_posix() for p in (root / "copy").rglob("*"))
    assert copied == ["smoke-lab.ipynb", "submission_secret.txt", "timestamp.txt", "work",
                      "work/data.csv"]
    link = folder.with_name("link")
    link.symlink_to(folder)
    with pytest.raises(snapshot.Replaced):  # a link in the folder's place is never opened
        snapshot.open_folder(None, link, nobody)


def test_one_bad_entry_never_stops_the_watcher(root: Path, caplog: pytest.LogCaptureFixture):
    inbound = root / "exchange" / COURSE / "inbound"
    hand_in(root / "exchange", SOLUTION)
    for name in (b"!+x+\xff", f"{LEARNER}+{LAB_ID}+".encode() + b"\xff", b"no-plus-signs"):
        os.mkdir(os.fsencode(inbound) + b"/" + name)
    os.mkfifo(inbound / f"{LEARNER}+{LAB_ID}+2026-11-30 08:00:00.000000 UTC")
    watching = watcher(root)
    with caplog.at_level(logging.WARNING, logger="northlab.feedback"):
        assert watching.scan() == 1
        assert watching.scan() == 0
    skipped = [r for r in caplog.records if r.getMessage().startswith("skipped")]
    assert len(skipped) == 4, [r.getMessage() for r in skipped]  # each one once


def test_attempts_count_across_courses_and_unreleased_labs_get_nothing(root: Path):
    exchange = root / "exchange"
    hand_in(exchange, SOLUTION, course="c1")
    hand_in(exchange, SOLUTION, course="c2")
    hand_in(exchange, SOLUTION, course="c3", released=False)
    spool = Spool(root / "feedback")
    assert Watcher(exchange, root / "labs", spool).scan() == 1
    states = sorted((e["course"], e["state"]) for e in spool.entries(LEARNER))
    assert states == [("c1", "queued"), ("c2", "limit")]


def test_two_services_count_and_queue_in_one_step(root: Path):
    """While one service copies a submission it has counted, a second service on the same
    data root cannot count the learner's other submission: one attempt, one queued."""
    hand_in(root / "exchange", SOLUTION, course="c1")
    hand_in(root / "exchange", SOLUTION, course="c2")
    first, second = watcher(root), watcher(root)
    copying, second_done = threading.Event(), threading.Event()
    real_copy = snapshot.copy_submission

    def slow_copy(folder: int, dest: Path, uid: int) -> None:
        if not copying.is_set():
            copying.set()
            second_done.wait(2)  # the second service scans meanwhile
        real_copy(folder, dest, uid)

    counts: list[int] = []
    other = threading.Thread(target=lambda: (copying.wait(30), counts.append(second.scan()),
                                             second_done.set()))
    other.start()
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr("hub.services.feedback.grading.copy_submission", slow_copy)
            counts.append(first.scan())
    finally:
        other.join(60)
    assert sum(counts) == 1, counts
    assert sorted(e["state"] for e in first.spool.entries(LEARNER)) == ["limit", "queued"]
