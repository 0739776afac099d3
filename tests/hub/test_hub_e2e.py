"""End to end through the real hub: a learner in a cohort, a track server, nbgrader.

Everything goes through the JupyterHub REST API, the proxy and the single-user servers'
HTTP/WebSocket APIs, as a browser would; instructor work runs in the instructor's kernel.
"""

from __future__ import annotations

import json
import textwrap
import time
from pathlib import Path

import pytest
import requests
from nbgrader.api import Gradebook

from northlab.groups import INSTRUCTORS, cohort_group, instructors_group

from .conftest import processes_of
from .kernel import execute, start_kernel
from .smoke_lab import LAB_ID, SOLUTION

pytestmark = pytest.mark.slow


def _api(hub, name: str, token: str, method: str, path: str, **kwargs) -> requests.Response:
    response = requests.request(
        method, f"{hub.url}/user/{name}/{path}", headers={"Authorization": f"token {token}"},
        timeout=120, **kwargs,
    )
    assert response.status_code < 400, (path, response.status_code, response.text[:500])
    return response


def _run_as(hub, name: str, token: str, code: str) -> str:
    server = f"{hub.url}/user/{name}/"
    return execute(server, token, start_kernel(server, token), textwrap.dedent(code))


def test_learner_nbgrader_flow(hub):
    learner, other, teacher = hub.name("learner"), hub.name("other"), hub.name("teacher")
    for name in (learner, other, teacher):
        hub.client.ensure_user(name)
    hub.client.add_to_group(cohort_group(hub.cohort), learner, other)
    hub.client.add_to_group(INSTRUCTORS, teacher)
    hub.client.add_to_group(instructors_group(hub.cohort), teacher)  # teaches this course
    course_root = hub.settings.courses_root / hub.cohort

    # The instructor's server: formgrader is there; it releases the lab from its kernel,
    # copying it from the labs folder that only instructors can read.
    teacher_token = hub.start_server(teacher, "cybersecurity")
    _api(hub, teacher, teacher_token, "GET", "formgrader")
    _api(hub, teacher, teacher_token, "GET", "formgrader/api/assignments")
    lab_source = hub.settings.labs_root / "cybersecurity" / LAB_ID / "source"
    out = _run_as(hub, teacher, teacher_token, f"""
        import shutil, subprocess
        shutil.copytree({str(lab_source)!r}, {str(course_root / 'source' / LAB_ID)!r})
        for step in ("generate_assignment", "release_assignment"):
            r = subprocess.run(["nbgrader", step, {LAB_ID!r}], cwd={str(course_root)!r},
                               capture_output=True, text=True)
            print(step, r.returncode, r.stderr[-300:] if r.returncode else "")
    """)
    assert "generate_assignment 0" in out and "release_assignment 0" in out, out

    # The learner: a track server, the Assignments list, fetch, work, submit.
    token = hub.start_server(learner, "ai-data")
    # joined in a hub group (as in the admin panel): named in formgrader, not "None, None"
    with Gradebook(f"sqlite:///{course_root / 'gradebook.db'}") as gradebook:
        student = gradebook.find_student(learner)
        assert (student.first_name, student.last_name) == ("", learner)
    formgrader = requests.get(f"{hub.url}/user/{learner}/formgrader",
                              headers={"Authorization": f"token {token}"}, timeout=30)
    assert formgrader.status_code == 404
    listing = _api(hub, learner, token, "GET", "assignments", params={"course_id": hub.cohort})
    assert [a["assignment_id"] for a in listing.json()["value"]] == [LAB_ID]
    _api(hub, learner, token, "POST", "assignments/fetch",
         data={"course_id": hub.cohort, "assignment_id": LAB_ID})
    nb_path = f"ai-data/{LAB_ID}/{LAB_ID}.ipynb"
    model = _api(hub, learner, token, "GET", f"api/contents/{nb_path}").json()
    released = "".join(model["content"]["cells"][1]["source"])
    assert "return 2 * x" not in released and "NotImplementedError" in released
    assert "double(21)" not in json.dumps(model["content"])  # hidden test stripped
    model["content"]["cells"][1]["source"] = SOLUTION
    _api(hub, learner, token, "PUT", f"api/contents/{nb_path}",
         json={"type": "notebook", "format": "json", "content": model["content"]})
    _api(hub, learner, token, "POST", "assignments/submit",
         data={"course_id": hub.cohort, "assignment_id": LAB_ID})

    # The instructor collects and autogrades; the score lands in nbgrader's gradebook.
    out = _run_as(hub, teacher, teacher_token, f"""
        import subprocess
        for step in (["collect", {LAB_ID!r}], ["autograde", {LAB_ID!r}]):
            r = subprocess.run(["nbgrader", *step], cwd={str(course_root)!r},
                               capture_output=True, text=True)
            print(step[0], r.returncode, r.stderr[-600:] if r.returncode else "")
    """)
    assert "collect 0" in out and "autograde 0" in out, out
    with Gradebook(f"sqlite:///{course_root / 'gradebook.db'}") as gradebook:
        submission = gradebook.find_submission(LAB_ID, learner)
        assert (submission.score, submission.max_score) == (2.0, 2.0)
    # Graded through the northlab sandbox (the course's nbgrader bridge): the result record
    # goes into the outbox, and the hub's grader service delivers it to the credential
    # service, which acknowledges it (the record moves to sent/).
    sent = hub.settings.data_root / "outbox" / "sent"
    deadline = time.monotonic() + 90
    while not list(sent.glob("*.json")) and time.monotonic() < deadline:
        time.sleep(1)
    records = [json.loads(p.read_text()) for p in sent.glob("*.json")]
    assert [(r["learner"], r["lab"], r["score"]) for r in records] == [(learner, LAB_ID, 2)]

    # Stop the servers: nothing of the learner keeps running.
    for name in (learner, teacher):
        hub.stop_server(name)
        assert_gone(name)


def assert_gone(name: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while processes_of(name) and time.monotonic() < deadline:
        time.sleep(0.5)
    left = {pid: Path(f"/proc/{pid}/cmdline").read_bytes() for pid in processes_of(name)}
    assert not left, f"{name} left processes running: {left}"
