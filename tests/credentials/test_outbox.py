"""The grading-side outbox against the real service: an hour-long outage, then every result
arrives exactly once (the hour is simulated with a controllable clock, not slept)."""

from __future__ import annotations

import json
import os
import stat

import pytest
from sqlalchemy import func, select

from graders.outbox import BACKOFF_MAX, Outbox, backoff, http_sender
from hub.services.credentials.service import Credentials
from hub.services.records import Result
from tests.support.ports import free_port

from .conftest import ServiceProcess, make_record


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def stored_results(settings) -> dict[tuple[str, str, str], int]:
    library = Credentials(settings)
    try:
        with library.sessions() as session:
            rows = session.execute(
                select(Result.learner, Result.lab, Result.submission_id, func.count()).group_by(
                    Result.learner, Result.lab, Result.submission_id
                )
            ).all()
        return {(a, b, c): n for a, b, c, n in rows}
    finally:
        library.engine.dispose()


def test_put_is_atomic_private_and_idempotent(tmp_path):
    outbox = Outbox(tmp_path / "outbox")
    record = make_record("ana", "lab-one", 9)
    path = outbox.put(record)
    assert json.loads(path.read_text()) == record
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert outbox.put(dict(record)) == path  # same (learner, lab, submission): one file
    assert outbox.put(make_record("ana", "lab-one", 9, "other-submission")) != path
    assert outbox.status()["pending"] == 2
    assert not [p for p in (tmp_path / "outbox" / "pending").iterdir() if p.name.startswith(".")]


def test_backoff_doubles_and_is_capped():
    delays = [backoff(n) for n in range(1, 12)]
    assert delays[:4] == [2, 4, 8, 16]
    assert max(delays) == BACKOFF_MAX and delays == sorted(delays)


@pytest.mark.slow
def test_hour_long_outage_then_every_result_arrives_exactly_once(tmp_path, settings):
    clock = FakeClock()
    outbox = Outbox(tmp_path / "outbox", clock=clock)
    records = [
        make_record(learner, lab, 8, submission)
        for learner in ("ana", "bob", "cy")
        for lab in ("lab-one", "lab-two", "lab-three")
        for submission in ("s1", "s2")
    ]
    for record in records:
        outbox.put(record)
    port = free_port()  # nothing listens yet: the service is down
    token = "grader-secret-token"
    send = http_sender(f"http://127.0.0.1:{port}/services/credentials/api/results", token, 2)

    attempts = 0
    start = clock.now
    while clock.now - start < 3600:  # one simulated hour of failures
        report = outbox.deliver(send)
        assert not report.sent and not report.rejected
        attempts += bool(report.failed)
        clock.now = max(clock.now + 1, outbox.next_due())
    outbox = Outbox(tmp_path / "outbox", clock=clock)  # the deliverer restarts: state is on disk
    status = outbox.status()
    assert status["pending"] == len(records) and status["sent"] == 0
    assert status["max_attempts"] == attempts
    assert "ConnectionRefused" in status["last_error"] or "URLError" in status["last_error"]
    # backoff: about log2(300/2)+1 growing waits, then one try per 5 minutes
    assert 10 <= attempts <= 25, attempts

    # simulate a lost acknowledgement: one result reached the service, the reply was lost
    from dataclasses import replace

    served = replace(settings, public_url=f"http://127.0.0.1:{port}/services/credentials")
    service = ServiceProcess(served, port, token)
    service.start()
    try:
        assert send(records[0]) == 201
        clock.now += BACKOFF_MAX  # everything is due again
        report = outbox.deliver(send)
        assert len(report.sent) == len(records) and not report.failed
        assert outbox.status() == {
            "pending": 0,
            "sent": len(records),
            "rejected": 0,
            "max_attempts": 0,
            "last_error": None,
        }
        assert outbox.deliver(send).sent == []  # nothing left to send twice
    finally:
        service.stop()
    counts = stored_results(served)
    assert counts == {(r["learner"], r["lab"], r["submission_id"]): 1 for r in records}


@pytest.mark.slow
def test_invalid_result_is_rejected_with_reason_and_not_retried(tmp_path, service):
    outbox = Outbox(tmp_path / "outbox")
    bad = make_record("ana", "lab-one", 9)
    bad["score"] = 99  # above max_score: the service answers 400
    outbox.put(bad)
    good = outbox.put(make_record("ana", "lab-two", 9))
    send = http_sender(service.base + "api/results", service.token)
    report = outbox.deliver(send)
    assert len(report.rejected) == 1 and len(report.sent) == 1
    reason = next((tmp_path / "outbox" / "rejected").glob("*.reason.txt")).read_text()
    assert "400" in reason
    assert not good.exists() and outbox.status()["pending"] == 0


@pytest.mark.slow
def test_bad_token_is_retried_not_dropped(tmp_path, service):
    outbox = Outbox(tmp_path / "outbox")
    outbox.put(make_record("ana", "lab-one", 9))
    report = outbox.deliver(http_sender(service.base + "api/results", "wrong-token"))
    assert len(report.failed) == 1
    assert outbox.status()["pending"] == 1 and outbox.status()["last_error"] == "HTTP 403"
    assert os.listdir(tmp_path / "outbox" / "rejected") == []


@pytest.mark.slow
def test_outbox_verbs_deliver_and_report_status(tmp_path, service, monkeypatch, capsys):
    from northlab.cli import main

    folder = tmp_path / "outbox"
    Outbox(folder).put(make_record("ana", "lab-one", 9))
    url = service.base + "api/results"
    monkeypatch.delenv("NORTHLAB_RESULTS_TOKEN", raising=False)
    monkeypatch.delenv("JUPYTERHUB_API_TOKEN", raising=False)
    monkeypatch.setenv("NORTHLAB_DATA", str(tmp_path / "no-hub-here"))
    assert main(["outbox", "deliver", "--outbox", str(folder), "--url", url]) == 2
    assert "no grader token" in capsys.readouterr().err
    monkeypatch.setenv("NORTHLAB_RESULTS_TOKEN", service.token)
    assert main(["outbox", "deliver", "--outbox", str(folder), "--url", url]) == 0
    assert "1 sent" in capsys.readouterr().out
    assert main(["outbox", "status", "--outbox", str(folder)]) == 0
    assert json.loads(capsys.readouterr().out)["sent"] == 1


def test_garbled_answers_and_server_errors_are_retried(tmp_path):
    import http.client

    clock = FakeClock()
    outbox = Outbox(tmp_path / "outbox", clock=clock)
    outbox.put(make_record("ana", "lab-one", 9))
    answers = iter(
        [http.client.RemoteDisconnected("eof"), http.client.BadStatusLine("x"), 500, 201]
    )

    def send(record):
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    for expected_attempts in (1, 2, 3):
        assert outbox.deliver(send).failed
        assert outbox.status()["max_attempts"] == expected_attempts
        assert outbox.deliver(send).waiting == 1  # not due before its backoff
        clock.now = outbox.next_due()
    assert outbox.deliver(send).sent and outbox.status()["sent"] == 1


@pytest.fixture
def instructors():
    """Two real Unix accounts teaching one course each, sharing an outbox group."""
    import grp
    import pwd
    import secrets
    import shutil
    import subprocess
    import tempfile
    from pathlib import Path

    tag = "t" + secrets.token_hex(3)
    staff, course_a, course_b = f"{tag}-staff", f"{tag}-ca", f"{tag}-cb"
    users = {"a": f"{tag}-ia", "b": f"{tag}-ib"}
    for group in (staff, course_a, course_b):
        subprocess.run(["groupadd", group], check=True)
    for key, name in users.items():
        subprocess.run(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", "-G",
                        f"{staff},{tag}-c{key}", name], check=True)
    root = Path(tempfile.mkdtemp(dir="/tmp"))
    root.chmod(0o711)
    folder = root / "outbox"
    folder.mkdir()
    os.chown(folder, 0, grp.getgrnam(staff).gr_gid)
    folder.chmod(0o2770)
    try:
        yield {"folder": folder, "prefix": f"{tag}-", "users": users,
               "uid": {k: pwd.getpwnam(n).pw_uid for k, n in users.items()}}
    finally:
        shutil.rmtree(root, ignore_errors=True)
        for name in users.values():
            subprocess.run(["userdel", name], check=False)
        for group in (staff, course_a, course_b):
            subprocess.run(["groupdel", group], check=False)


def run_as(user: str, code: str, *args: str):
    """Run Python ``code`` as Unix user ``user`` with exactly that account's groups."""
    import pwd
    import subprocess
    import sys

    gid = pwd.getpwnam(user).pw_gid
    return subprocess.run([sys.executable, "-c", code, *args], user=user, group=gid,
                          extra_groups=os.getgrouplist(user, gid), capture_output=True,
                          text=True, cwd="/")


def put_as(user: str, folder, record: dict) -> None:
    """Queue ``record`` as Unix user ``user`` (a real write by that account)."""
    done = run_as(user, "import json, sys; from graders.outbox import Outbox; "
                        "Outbox(sys.argv[1]).put(json.loads(sys.argv[2]))",
                  str(folder), json.dumps(record))
    assert done.returncode == 0, done.stderr


def test_only_a_courses_instructors_queue_its_results(instructors):
    from graders.outbox import course_writers

    folder, users = instructors["folder"], instructors["users"]
    (folder / "pending").mkdir()
    (folder / "pending").chmod(0o2770)  # as an older northlab left it: not sticky
    outbox = Outbox(folder)  # the deliverer (root) makes or updates the sub-folders
    assert stat.S_IMODE((folder / "pending").stat().st_mode) == 0o3770  # setgid + sticky
    own = {**make_record("ana", "lab-one", 9), "course": "ca"}
    forged = {**make_record("bo", "lab-one", 10), "course": "cb"}
    by_root = {**make_record("cy", "lab-one", 8), "course": "cb"}
    put_as(users["a"], folder, own)
    put_as(users["a"], folder, forged)
    outbox.put(by_root)
    # the other course's instructor cannot remove what the first one queued
    own_file = folder / "pending" / f"{Outbox.key(own)}.json"
    removal = run_as(users["b"], "import os, sys; os.remove(sys.argv[1])", str(own_file))
    assert removal.returncode != 0 and "PermissionError" in removal.stderr

    sent: list[dict] = []
    report = outbox.deliver(lambda r: sent.append(r) or 201,
                            course_writers(instructors["prefix"]))
    assert sorted(r["learner"] for r in sent) == ["ana", "cy"]
    assert report.rejected == [Outbox.key(forged)]
    reason = (folder / "rejected" / f"{Outbox.key(forged)}.reason.txt").read_text()
    assert f"written by {users['a']}, who does not teach course 'cb'" in reason


def test_an_instructor_queues_after_root_took_the_lock_first(instructors):
    folder, users = instructors["folder"], instructors["users"]
    outbox = Outbox(folder)
    outbox.put({**make_record("cy", "lab-one", 8), "course": "cb"})  # root made .lock
    put_as(users["a"], folder, {**make_record("ana", "lab-one", 9), "course": "ca"})
    assert len(outbox.pending()) == 2
