"""Instant feedback through the real hub: a learner submits from the Assignments tab, the
hub's feedback service grades it, the record reaches the outbox, the tab shows the score;
the attempt limit holds whatever the learner calls."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

import tests.hub.conftest as hub_tests
from hub.courses.folders import release_lab
from northlab.groups import cohort_group
from tests.hub.smoke_lab import LAB_ID, SOLUTION
from tests.hub.smoke_lab import write_lab as write_smoke_lab
from tests.support.waiting import wait_for

pytestmark = pytest.mark.slow
TRACK = "cybersecurity"


@pytest.fixture(scope="module")
def hub(monkeypatch_module: pytest.MonkeyPatch) -> Iterator[hub_tests.Hub]:
    """A hub whose smoke lab is graded on submit, two attempts per learner."""

    def write_lab(labs_root: Path) -> Path:
        lab = write_smoke_lab(labs_root)
        with open(lab / "lab.toml", "a", encoding="utf-8") as handle:
            handle.write("\n[feedback]\non_submit = true\nattempts = 2\n")
        return lab

    monkeypatch_module.setattr(hub_tests, "write_lab", write_lab)
    with hub_tests.running_hub() as running:
        yield running


@pytest.fixture(scope="module")
def monkeypatch_module() -> Iterator[pytest.MonkeyPatch]:
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def _call(hub, name: str, token: str, method: str, path: str, **kwargs) -> dict:
    response = requests.request(method, f"{hub.url}/user/{name}/{path}", timeout=120,
                                headers={"Authorization": f"token {token}",
                                         **kwargs.pop("headers", {})}, **kwargs)
    assert response.status_code == 200, (path, response.status_code, response.text[:300])
    return response.json()


def test_submit_from_the_assignments_tab_is_graded_within_seconds(hub):
    learner = hub.name("quick")
    hub.client.ensure_user(learner)
    hub.client.add_to_group(cohort_group(hub.cohort), learner)
    release_lab(hub.settings, hub.cohort, LAB_ID,
                hub.settings.labs_root / TRACK / LAB_ID / "source", TRACK)
    token = hub.start_server(learner, TRACK)
    lab = {"course_id": hub.cohort, "assignment_id": LAB_ID}
    _call(hub, learner, token, "POST", "assignments/fetch", data=lab)
    path = f"{TRACK}/{LAB_ID}/{LAB_ID}.ipynb"
    model = _call(hub, learner, token, "GET", f"api/contents/{path}")
    model["content"]["cells"][1]["source"] = SOLUTION
    response = requests.put(f"{hub.url}/user/{learner}/api/contents/{path}", timeout=60,
                            headers={"Authorization": f"token {token}"},
                            json={"type": "notebook", "format": "json",
                                  "content": model["content"]})
    assert response.status_code == 200, response.text[:300]
    _call(hub, learner, token, "POST", "assignments/submit", data=lab)

    def instant(language: str = "en") -> list[dict]:
        answer = _call(hub, learner, token, "GET", "assignments/instant",
                       params={"course_id": hub.cohort}, headers={"Accept-Language": language})
        assert answer["success"], answer
        return answer["value"]

    first = wait_for(lambda: [e for e in instant() if e["state"] == "graded"],
                     f"the instant grade (see {hub.log})", timeout=120)[0]
    assert (first["score"], first["max_score"], first["message"]) == (2, 2, "Score: 2 / 2.")
    assert first["title"] == "Attempt 1 of 2"
    outbox = hub.settings.data_root / "outbox"
    records = wait_for(lambda: [json.loads(p.read_text()) for sub in ("pending", "sent")
                                for p in (outbox / sub).glob("*.json")
                                if not p.name.endswith(".state.json")], "the record", timeout=60)
    assert [(r["learner"], r["lab"], r["course"], r["score"]) for r in records] == [
        (learner, LAB_ID, hub.cohort, 2)]

    # Two more submissions straight through the API: the second attempt is graded, the
    # third is refused in the learner's language, and nothing the learner calls grades it.
    _call(hub, learner, token, "POST", "assignments/submit", data=lab)
    _call(hub, learner, token, "POST", "assignments/submit", data=lab)
    shown = wait_for(lambda: (e := instant("fr")) and len(e) == 3 and all(
        x["state"] in ("graded", "limit") for x in e) and e, "three answers", timeout=120)
    assert [x["state"] for x in shown] == ["limit", "graded", "graded"]  # newest first
    assert "2 tentatives" in shown[0]["message"], shown[0]
    service = f"{hub.url}/services/feedback/api/feedback"
    headers = {"Authorization": f"token {token}"}
    for method in ("POST", "PUT", "DELETE"):
        assert requests.request(method, service, headers=headers, timeout=30).status_code == 405
    mine = requests.get(service, headers=headers, timeout=30).json()
    assert mine["user"] == learner and len(mine["entries"]) == 3
    assert not any("folder" in e for e in mine["entries"])  # no server paths for learners
    hub.stop_server(learner)
