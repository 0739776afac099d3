"""The feedback service's core in process: watch the exchange, queue, grade with warm
graders, count attempts, keep a hostile submission from blocking the next learner."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from graders.outbox import Outbox
from graders.submissions import find_submissions
from hub.services.exchange import archive
from hub.services.exchange.store import Store
from hub.services.feedback.grading import Graders, Watcher
from hub.services.feedback.spool import Spool
from hub.services.feedback.view import learner_view, message
from tests.hub.smoke_lab import LAB_ID, SOLUTION
from tests.support.waiting import wait_for

from .conftest import FORK_BOMB, LEARNER, feedback_lab, hand_in, settled

WRONG = "def double(x):\n    return x\n"


class Service:
    """Watcher + graders over a temporary data root (what the service's main loop runs)."""

    def __init__(self, root: Path, table: str, concurrency: int) -> None:
        self.exchange = root / "exchange"
        feedback_lab(root / "labs", table)
        self.spool = Spool(root / "feedback")
        self.outbox = Outbox(root / "outbox")
        self.watcher = Watcher(self.exchange, root / "labs", self.spool)
        self.graders = Graders(self.spool, root / "labs", self.outbox, concurrency=concurrency)

    def scan(self) -> int:
        added = self.watcher.scan()
        self.graders.wake.set()
        return added

    def records(self) -> list[dict]:
        return [json.loads(p.read_text()) for p in (self.outbox.folder / "pending").glob(
            "*.json") if not p.name.endswith(".state.json")]


@pytest.fixture
def service(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Service]:
    table, concurrency = request.param
    tmp_path.chmod(0o755)
    running = Service(tmp_path, table, concurrency)
    running.graders.start()
    try:
        yield running
    finally:
        running.graders.stop()


@pytest.mark.parametrize("service", [("[feedback]\non_submit = true\nattempts = 2\n", 2)],
                         indirect=True)
def test_graded_on_submit_with_an_attempt_limit(service: Service):
    hand_in(service.exchange, WRONG)
    hand_in(service.exchange, SOLUTION)
    assert service.scan() == 2
    assert service.scan() == 0  # a submission seen again is not queued again
    entries = wait_for(lambda: settled(service.spool, 2), "two graded submissions", timeout=120)
    assert [(e["attempt"], e["state"], e["score"], e["max_score"]) for e in entries] == [
        (1, "graded", 0, 2), (2, "graded", 2, 2)]
    # the records went to the outbox like any other grade (the grader service delivers them)
    assert sorted((r["learner"], r["course"], r["score"]) for r in service.records()) == [
        (LEARNER, "c1", 0), (LEARNER, "c1", 2)]

    # a third submission: no attempt left; kept for the instructor, not graded, and said so
    hand_in(service.exchange, SOLUTION)
    assert service.scan() == 0
    third = wait_for(lambda: settled(service.spool, 3), "the refusal", timeout=10)[-1]
    assert (third["state"], third.get("score")) == ("limit", None)
    answered = {**third, "message": message(third)}  # as api/feedback answers it
    shown = {lang: learner_view([answered], lang)[0]["message"] for lang in ("en", "fr")}
    assert "2" in shown["en"] and "instructor" in shown["en"]
    assert "formateur" in shown["fr"] and shown["fr"] != shown["en"]
    assert len(service.records()) == 2


@pytest.mark.parametrize("service", [("[feedback]\non_submit = true\n", 1)], indirect=True)
def test_a_folder_named_for_someone_else_is_not_graded(service: Service):
    hand_in(service.exchange, SOLUTION, learner="daemon")  # owned by nobody, named daemon
    assert service.scan() == 0
    assert service.spool.entries("daemon") == [] and service.records() == []


@pytest.mark.parametrize("service", [("[feedback]\non_submit = true\nattempts = 0\n"
                                      "[limits]\nwall_seconds = 12\n", 2)], indirect=True)
def test_a_fork_bomb_gets_its_fault_and_does_not_block_the_next_learner(service: Service):
    hand_in(service.exchange, FORK_BOMB)
    service.scan()
    wait_for(lambda: [e for e in service.spool.entries(LEARNER) if e["state"] == "grading"],
             "the fork bomb to be graded", timeout=60)
    hand_in(service.exchange, SOLUTION)
    service.scan()
    entries = wait_for(lambda: settled(service.spool, 1), "the next submission", timeout=120)
    # graded while the fork bomb still holds its slot
    assert [(e["attempt"], e["state"], e.get("score")) for e in entries] == [
        (1, "grading", None), (2, "graded", 2)]
    bomb = wait_for(lambda: settled(service.spool, 2), "the fork bomb's record", timeout=120)[0]
    assert bomb["score"] == 0
    faults = [t for t in bomb["tests"] if t["name"] == "sandbox"]
    assert faults and "limit" in faults[0]["feedback"]["en"].lower(), bomb["tests"]


@pytest.mark.parametrize("service", [("[feedback]\non_submit = true\n", 1)], indirect=True)
def test_the_instructors_collect_and_autograde_is_the_same_submission(service: Service):
    folder = hand_in(service.exchange, SOLUTION)
    service.scan()
    instant = wait_for(lambda: settled(service.spool, 1), "the instant grade", timeout=120)[0]
    # nbgrader collect copies the inbound folder into submitted/<learner>/<assignment>/
    submitted = service.exchange.parent / "course" / "submitted"
    shutil.copytree(folder, submitted / LEARNER / LAB_ID)
    (collected,) = find_submissions(submitted, LAB_ID)
    record = service.graders.grader("cybersecurity", LAB_ID).grade(collected)
    assert record["submission_id"] == instant["submission_id"]
    assert service.outbox.key(record) == service.outbox.key(service.records()[0])
    service.outbox.put(record)  # the autograde's record adds nothing: one grade
    assert len(service.records()) == 1


@pytest.mark.parametrize("service", [("[feedback]\non_submit = true\n", 1)], indirect=True)
def test_submissions_to_the_exchange_service_are_graded_as_collect_sees_them(
        service: Service, tmp_path: Path):
    """Container modes: the submission arrives over HTTP into the exchange service's store,
    stamped with the learner the hub named (hub/services/exchange)."""
    store = Store(tmp_path / "exchange-service")
    service.watcher.service_store = store.root
    work = tmp_path / "work"
    folder = hand_in(service.exchange, SOLUTION)  # a notebook to send; not in the inbound
    shutil.copytree(folder, work)
    shutil.rmtree(folder)
    store.release("c1", LAB_ID, archive.pack(work), force=False)
    meta = store.submit("c1", LAB_ID, "learner7", archive.pack(work))
    assert service.scan() == 1 and service.scan() == 0
    entry = wait_for(lambda: service.spool.entries("learner7") if all(
        e["state"] == "graded" for e in service.spool.entries("learner7")) else None,
        "the grade", timeout=120)[0]
    assert (entry["course"], entry["score"], entry["max_score"]) == ("c1", 2, 2)
    # the exchange's collect writes the submission and these two files: the same submission
    collected = tmp_path / "submitted" / "learner7" / LAB_ID
    archive.unpack(store.submission_archive("c1", LAB_ID, "learner7", meta["submission_id"]),
                   collected)
    (collected / "timestamp.txt").write_text(meta["timestamp"])
    (collected / "submission_id.txt").write_text(meta["submission_id"])
    (again,) = find_submissions(tmp_path / "submitted", LAB_ID)
    assert again.submission_id == entry["submission_id"]


def test_what_is_graded_is_the_submission_as_first_seen(tmp_path: Path):
    """The learner owns their inbound folder: after it was queued they change its files
    (a long queue would extend the deadline) or swap it for a link to the lab's solutions.
    The copy taken when it was first seen is graded, nothing else."""
    tmp_path.chmod(0o755)
    service = Service(tmp_path, "[feedback]\non_submit = true\n", 1)
    edited = hand_in(service.exchange, WRONG)
    swapped = hand_in(service.exchange, WRONG)
    assert service.scan() == 2
    notebook = edited / f"{LAB_ID}.ipynb"
    notebook.write_text(notebook.read_text().replace("return x\\n", "return 2 * x\\n"))
    assert "return 2 * x" in notebook.read_text()
    swapped.rename(swapped.with_name("moved"))
    swapped.symlink_to(tmp_path / "labs" / "cybersecurity" / LAB_ID / "source")
    service.graders.start()
    try:
        entries = wait_for(lambda: settled(service.spool, 2), "the grades", timeout=120)
    finally:
        service.graders.stop()
    assert [(e["score"], e["error"]) for e in entries] == [(0, None), (0, None)], entries
    assert list((tmp_path / "feedback" / "files").iterdir()) == []  # copies gone once graded


def test_a_lab_broken_after_queueing_ends_in_error_and_the_next_is_graded(tmp_path: Path):
    """The instructor breaks the lab while a submission waits: that request ends in an
    error the learner can read (no attempt used), grading goes on."""
    tmp_path.chmod(0o755)
    service = Service(tmp_path, "[feedback]\non_submit = true\nattempts = 1\n", 1)
    hand_in(service.exchange, SOLUTION)
    assert service.scan() == 1
    lab_toml = tmp_path / "labs" / "cybersecurity" / LAB_ID / "lab.toml"
    good = lab_toml.read_text()
    lab_toml.write_text("id = [broken\n")
    service.graders.start()
    try:
        failed = wait_for(lambda: [e for e in service.spool.entries(LEARNER)
                                   if e["state"] == "error"], "the error", timeout=120)[0]
        lab_toml.write_text(good)
        hand_in(service.exchange, SOLUTION)
        assert service.scan() == 1  # the failed request used no attempt
        entries = wait_for(lambda: settled(service.spool, 1), "the next grade", timeout=120)
    finally:
        service.graders.stop()
    assert [(e["state"], e.get("score")) for e in entries] == [("error", None), ("graded", 2)]
    shown = {lang: learner_view([{**failed, "message": message(failed)}], lang)[0]["message"]
             for lang in ("en", "fr")}
    assert "instructor" in shown["en"] and "formateur" in shown["fr"]
    assert list((tmp_path / "feedback" / "running").iterdir()) == []


def test_one_broken_lab_leaves_the_others_graded_on_submit(
        tmp_path: Path, caplog: pytest.LogCaptureFixture):
    feedback_lab(tmp_path / "labs", "[feedback]\non_submit = true\n")
    broken = tmp_path / "labs" / "ai-data" / "aaa-broken"
    broken.mkdir(parents=True)
    (broken / "lab.toml").write_text("id = [broken\n")
    watcher = Watcher(tmp_path / "exchange", tmp_path / "labs", Spool(tmp_path / "feedback"))
    assert [lab.id for lab in watcher.labs()[LAB_ID]] == [LAB_ID]
    assert "aaa-broken" in caplog.text


def test_a_lab_the_instructor_changes_gets_a_new_grader(tmp_path: Path):
    tmp_path.chmod(0o755)
    service = Service(tmp_path, "[feedback]\non_submit = true\n", 1)
    lab_toml = tmp_path / "labs" / "cybersecurity" / LAB_ID / "lab.toml"
    try:
        first = service.graders.grader("cybersecurity", LAB_ID)
        assert service.graders.grader("cybersecurity", LAB_ID) is first  # kept while unchanged
        lab_toml.write_text(lab_toml.read_text().replace('"Smoke lab"', '"Smoke lab, fixed"'))
        fixed = service.graders.grader("cybersecurity", LAB_ID)
    finally:
        service.graders.stop()
    assert fixed is not first and fixed.lab.title["en"] == "Smoke lab, fixed"
