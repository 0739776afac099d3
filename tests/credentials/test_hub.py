"""The credential service under a real JupyterHub + configurable-http-proxy: hub OAuth for
people, hub API tokens with the custom scope for graders, 403 between learners, and staff
limited to their courses.

People: alice, bob and nina learn in course north, sam in south; prof teaches north
(instructors-north), sol teaches south, uma is only in the umbrella group ``instructors``;
ada is a hub admin. The service gets the token scopes and OAuth scopes northlab gives it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from graders.manual_grades import PersonGrade, with_grades
from hub.managed import SERVICE_APPS
from northlab.settings import REPO
from tests.support.hub import base_config, log_in
from tests.support.ports import free_port

from .conftest import make_pending_record, make_record

pytestmark = pytest.mark.slow
GRADER_TOKEN = "grader-" + os.urandom(12).hex()
BOT_TOKEN = "bot-" + os.urandom(12).hex()
PASSWORD = "correct horse battery"
GROUPS = {
    "cohort-north": ["alice", "bob", "nina"],
    "cohort-south": ["sam"],
    "instructors": ["prof", "sol", "uma"],
    "instructors-north": ["prof"],
    "instructors-south": ["sol"],
}
[(TOKEN_SCOPES, OAUTH_SCOPES)] = [
    (list(token), list(oauth)) for name, _, token, oauth in SERVICE_APPS if name == "credentials"
]


def hub_config(tmp: Path, port: int, labs_root: Path) -> str:
    service_port, hub_port, proxy_api = free_port(), free_port(), free_port()
    public = f"http://127.0.0.1:{port}/services/credentials"
    base = base_config(tmp, port=port, hub_port=hub_port, proxy_api_port=proxy_api)
    return f"""
import os
from hub.services import lifeline

{base}c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = {PASSWORD!r}
c.Authenticator.allow_all = True
c.Authenticator.admin_users = {{"ada"}}
c.JupyterHub.custom_scopes = {{
    "custom:northlab:report-results": {{"description": "Report grade results."}},
}}
c.JupyterHub.load_groups = {{name: {{"users": users}} for name, users in {GROUPS!r}.items()}}
c.JupyterHub.services = [
    {{
        "name": "credentials",
        "url": "http://127.0.0.1:{service_port}",
        # as the hub starts it: its port bound before its imports (a loaded machine)
        "command": lifeline.command(os.getpid(), [{sys.executable!r}, "-m",
                                                  "hub.services.credentials"], serves=True),
        "cwd": {str(REPO)!r},
        "oauth_no_confirm": True,
        "oauth_client_allowed_scopes": {OAUTH_SCOPES!r},
        "environment": {{
            "NORTHLAB_DATA": "{tmp}/data",
            "NORTHLAB_LABS_ROOT": {str(labs_root)!r},
            "NORTHLAB_CONFIG": {os.devnull!r},
            "NORTHLAB_CREDENTIALS_PUBLIC_URL": "{public}",
            "NORTHLAB_CREDENTIALS_ALLOW_LOOPBACK": "1",
        }},
    }},
    {{"name": "northlab-grader", "api_token": {GRADER_TOKEN!r}}},
    {{"name": "test-bot", "api_token": {BOT_TOKEN!r}}},
]
c.JupyterHub.load_roles = [
    {{"name": "user", "scopes": ["self", "access:services!service=credentials"]}},
    {{"name": "grader", "scopes": ["custom:northlab:report-results"],
      "services": ["northlab-grader"]}},
    {{"name": "test-bot", "scopes": ["admin:users", "tokens"], "services": ["test-bot"]}},
    {{"name": "credentials-service", "scopes": {TOKEN_SCOPES!r}, "services": ["credentials"]}},
]
"""


@pytest.fixture(scope="module")
def hub(tmp_path_factory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("hub")
    labs = tmp / "labs" / "cybersecurity"
    for lab in ("lab-one", "lab-two", "lab-three"):
        (labs / lab).mkdir(parents=True)
        (labs / lab / "lab.toml").write_text(
            f'id = "{lab}"\ntrack = "cybersecurity"\ncredential = "cybersecurity-foundations"\n'
        )
    (labs / "achievement.toml").write_text(
        (REPO / "labs/cybersecurity/achievement.toml").read_text(encoding="utf-8")
    )
    port = free_port()
    config = tmp / "jupyterhub_config.py"
    config.write_text(hub_config(tmp, port, tmp / "labs"))
    env = dict(os.environ, PATH=f"{REPO / 'node_modules/.bin'}:{os.environ['PATH']}")
    log = open(tmp / "hub.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterhub", "-f", str(config)],
        cwd=tmp,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, (tmp / "hub.log").read_text()[-3000:]
            try:
                up = requests.get(base + "/services/credentials/verify", timeout=2)
                if up.status_code == 200:
                    break
            except (requests.ConnectionError, requests.Timeout):  # a loaded machine
                pass
            assert time.monotonic() < deadline, (tmp / "hub.log").read_text()[-3000:]
            time.sleep(0.5)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait()
        log.close()


def user_token(base: str, name: str) -> str:
    bot = {"Authorization": f"token {BOT_TOKEN}"}
    requests.post(f"{base}/hub/api/users/{name}", headers=bot, timeout=30)  # may already exist
    response = requests.post(
        f"{base}/hub/api/users/{name}/tokens", headers=bot, json={"note": "test"}, timeout=30
    )
    assert response.status_code == 201, response.text
    return response.json()["token"]


def report(base: str, token: str, record: dict) -> requests.Response:
    return requests.post(
        base + "/services/credentials/api/results",
        data=json.dumps(record),
        headers={"Authorization": f"token {token}"},
        timeout=60,
    )


def test_grader_token_with_custom_scope_reports_results(hub):
    for lab in ("lab-one", "lab-two"):
        assert report(hub, GRADER_TOKEN, make_record("alice", lab, 8)).status_code == 201
    third = report(hub, GRADER_TOKEN, make_record("alice", "lab-three", 9))
    assert third.status_code == 201 and len(third.json()["issued"]) == 1
    assert report(hub, GRADER_TOKEN, make_record("alice", "lab-three", 9)).status_code == 200
    # a learner's own token lacks custom:northlab:report-results
    learner = user_token(hub, "mallory")
    forged = report(hub, learner, make_record("mallory", "lab-one", 10))
    assert forged.status_code == 403
    assert report(hub, "not-a-token", make_record("mallory", "lab-one", 10)).status_code == 403


def test_only_the_grading_side_replaces_a_record_awaiting_grading(hub):
    for lab in ("lab-two", "lab-three"):
        report(hub, GRADER_TOKEN, make_record("pat", lab, 9))
    pending = make_pending_record("pat", "lab-one")
    assert report(hub, GRADER_TOKEN, pending).status_code == 201
    graded = with_grades(pending, {(None, "explain"): PersonGrade(2)},
                         graded_at=datetime(2026, 11, 21, tzinfo=UTC))  # as the grader does
    forged = report(hub, user_token(hub, "pat"), graded)  # the learner grades himself
    assert forged.status_code == 403
    unchanged = report(hub, GRADER_TOKEN, pending).json()
    assert unchanged["updated"] is False and unchanged["issued"] == []  # still the pending one
    mine = log_in(hub, "pat", PASSWORD).get(hub + "/services/credentials/?lang=fr", timeout=60).text
    assert "1 de ces laboratoires attendent la correction de votre formateur" in mine
    update = report(hub, GRADER_TOKEN, graded)
    assert update.status_code == 200 and update.json()["updated"] is True
    assert len(update.json()["issued"]) == 1


def test_learner_sees_own_credentials_only(hub):
    report(hub, GRADER_TOKEN, make_record("alice", "lab-one", 8))
    for lab in ("lab-one", "lab-two", "lab-three"):
        report(hub, GRADER_TOKEN, make_record("alice", lab, 8))
    alice = log_in(hub, "alice", PASSWORD)
    page = alice.get(hub + "/services/credentials/", timeout=60)
    assert page.status_code == 200 and "My credentials" in page.text
    french = alice.get(hub + "/services/credentials/?lang=fr", timeout=60)
    assert "Mes attestations" in french.text and "Learner Credential Wallet" in french.text
    remembered = alice.get(hub + "/services/credentials/", timeout=60)
    assert "Mes attestations" in remembered.text  # the choice is kept in a cookie
    alice.get(hub + "/services/credentials/?lang=en", timeout=60)
    mine = alice.get(hub + "/services/credentials/api/credentials", timeout=60).json()
    assert len(mine) == 1
    credential_id = mine[0]["id"].removeprefix("urn:uuid:")
    download = alice.get(f"{hub}/services/credentials/credentials/{credential_id}.json", timeout=60)
    assert download.status_code == 200 and download.json()["id"] == mine[0]["id"]
    png = alice.get(
        f"{hub}/services/credentials/credentials/{credential_id}/certificate.png", timeout=60
    )
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")

    bob = log_in(hub, "bob", PASSWORD)
    assert "You have no credentials yet" in bob.get(hub + "/services/credentials/").text
    for path in (
        f"credentials/{credential_id}.json",
        f"credentials/{credential_id}/certificate.png",
        "api/credentials?learner=alice",
    ):
        response = bob.get(f"{hub}/services/credentials/{path}", timeout=60)
        assert response.status_code == 403, path

    # an instructor of alice's course can revoke (with a reason); a learner cannot
    revoke = f"{hub}/services/credentials/api/credentials/{credential_id}/revoke"
    as_bob = requests.post(
        revoke,
        json={"reason": "x"},
        headers={"Authorization": f"token {user_token(hub, 'bob')}"},
        timeout=60,
    )
    assert as_bob.status_code == 403
    as_prof = requests.post(
        revoke,
        json={"reason": "submitted someone else's work"},
        headers={"Authorization": f"token {user_token(hub, 'prof')}"},
        timeout=60,
    )
    assert as_prof.status_code == 200, as_prof.text
    page = alice.get(hub + "/services/credentials/", timeout=60)
    assert "Revoked" in page.text and "submitted someone else" in page.text
    check = requests.get(f"{hub}/services/credentials/verify?id={credential_id}", timeout=60)
    assert 'data-code="revoked"' in check.text


def issue(base: str, learner: str) -> str:
    """Report three passing labs for ``learner``; the id of the credential issued."""
    for lab in ("lab-one", "lab-two", "lab-three"):
        response = report(base, GRADER_TOKEN, make_record(learner, lab, 9))
    [credential_id] = response.json()["issued"]
    return credential_id


def test_staff_act_only_for_learners_of_their_courses(hub):
    nina, sam = issue(hub, "nina"), issue(hub, "sam")
    service = f"{hub}/services/credentials/"

    def paths(learner: str, credential_id: str) -> list[str]:
        return [
            f"credentials/{credential_id}.json",
            f"credentials/{credential_id}/certificate.png",
            f"api/credentials?learner={learner}",
        ]

    def revoke(name: str, credential_id: str) -> requests.Response:
        return requests.post(
            f"{service}api/credentials/{credential_id}/revoke",
            json={"reason": "test"},
            headers={"Authorization": f"token {user_token(hub, name)}"},
            timeout=60,
        )

    prof, sol, uma, ada = (log_in(hub, name, PASSWORD) for name in ("prof", "sol", "uma", "ada"))
    for path in paths("nina", nina):
        assert prof.get(service + path, timeout=60).status_code == 200, path
        assert ada.get(service + path, timeout=60).status_code == 200, path
        for other in (sol, uma):
            refused = other.get(service + path, timeout=60)
            assert refused.status_code == 403, path
    for path in paths("sam", sam):
        assert sol.get(service + path, timeout=60).status_code == 200, path
        assert prof.get(service + path, timeout=60).status_code == 403, path
    listed = prof.get(service + "api/credentials?learner=nina", timeout=60).json()
    assert [c["id"] for c in listed] == [f"urn:uuid:{nina}"]
    french = sol.get(f"{service}credentials/{nina}.json?lang=fr", timeout=60).json()
    assert "cours que vous donnez" in french["error"]

    for name, credential_id in (("sol", nina), ("uma", nina), ("prof", sam), ("sam", sam)):
        refused = revoke(name, credential_id)
        assert refused.status_code == 403, (name, refused.text)
    assert "instructors of a course" in revoke("sol", nina).json()["error"]
    assert revoke("sol", "00000000-0000-4000-8000-000000000000").status_code == 404
    assert revoke("sol", sam).status_code == 200
    assert revoke("ada", nina).status_code == 200
    for credential_id in (nina, sam):
        check = requests.get(f"{service}verify?id={credential_id}", timeout=60)
        assert 'data-code="revoked"' in check.text
