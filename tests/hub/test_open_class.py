"""The gradebook's "Open the class" button: who may use it (the real gradebook app over HTTP,
its viewer stubbed as in tests/gradebook, a recording stand-in for the hub's REST API).

The browser test (tests/browser/test_open_class.py) clicks it as a lead against the real hub.
"""

from __future__ import annotations

import pytest
from tornado import web
from tornado.httpclient import AsyncHTTPClient

from hub.people.roles import GRADEBOOK_SERVICE_SCOPES, roles
from hub.services.gradebook.app import Gradebook
from hub.services.gradebook.config import GradebookConfig
from hub.services.gradebook.openclass import ServiceHubClient
from hub.services.gradebook.roster import StaticRoster
from hub.services.records import open_database
from tests.gradebook.stub import StubAuth, scopes_for
from tests.support import synthetic

PREFIX = "/services/gradebook/"
COHORT, OTHER = "site01-2026", "site02-2026"


class FakeHubApi(web.RequestHandler):
    """The hub's REST API as the gradebook uses it: groups, users, server starts (recorded)."""

    def initialize(self, roster: dict[str, list[str]], started: list[str]) -> None:
        self.roster, self.started = roster, started

    def get(self, kind: str, name: str) -> None:
        if kind == "groups":
            self.finish({"users": self.roster[name.removeprefix("cohort-")]})
        else:
            ready = name in self.started
            self.finish({"name": name, "servers": {"": {"ready": True}} if ready else {}})

    def post(self, kind: str, name: str) -> None:
        self.started.append(name)
        self.set_status(202)


@pytest.fixture
async def site(tmp_path):
    """(fetch(user, method, path), names whose servers the hub was asked to start)."""
    engine = open_database(f"sqlite:///{tmp_path / 'records.sqlite'}")
    roster = synthetic.seed(engine, synthetic.Plan(cohorts=2, learners_per_cohort=2, labs=1))
    started: list[str] = []
    hub_api = web.Application([(r"/hub/api/(groups|users)/([^/]+)(?:/server)?", FakeHubApi,
                                {"roster": roster, "started": started})]).listen(0, "127.0.0.1")
    hub_port = next(iter(hub_api._sockets.values())).getsockname()[1]
    users = {"lead1": scopes_for(cohorts=(COHORT,)), "lead2": scopes_for(cohorts=(OTHER,)),
             "learner-01-001": scopes_for()}
    gradebook = Gradebook(GradebookConfig(), engine=engine, roster=StaticRoster(roster),
                          hub_auth=StubAuth(users))
    gradebook.hub = ServiceHubClient(f"http://127.0.0.1:{hub_port}/hub/api", "service-token")
    server = gradebook.application().listen(0, "127.0.0.1")
    port = next(iter(server._sockets.values())).getsockname()[1]
    client = AsyncHTTPClient()

    async def fetch(user: str, method: str, path: str):
        return await client.fetch(
            f"http://127.0.0.1:{port}{PREFIX}{path}", method=method,
            body=b"" if method == "POST" else None, headers={"X-Stub-User": user},
            follow_redirects=False, raise_error=False)

    yield fetch, started
    server.stop()
    hub_api.stop()


async def test_a_learner_cannot_open_a_class(site):
    fetch, started = site
    assert (await fetch("learner-01-001", "POST", f"cohort/{COHORT}/open")).code == 403
    assert "Open the class" not in (await fetch("learner-01-001", "GET", "me")).body.decode()
    assert started == []


async def test_a_lead_opens_only_their_own_cohort(site):
    fetch, started = site
    assert (await fetch("lead2", "POST", f"cohort/{COHORT}/open")).code == 403
    assert started == []
    page = (await fetch("lead1", "GET", "program")).body.decode()
    assert f'action="{PREFIX}cohort/{COHORT}/open"' in page and OTHER not in page
    answer = await fetch("lead1", "POST", f"cohort/{COHORT}/open")
    assert answer.code == 303
    assert answer.headers["Location"] == f"{PREFIX}program?opened={COHORT}"
    assert sorted(started) == ["learner-01-001", "learner-01-002"]
    status = (await fetch("lead1", "GET", f"program?opened={COHORT}")).body.decode()
    assert f"Class {COHORT}: 2 of 2 labs ready." in status
    assert (await fetch("lead1", "GET", f"cohort/{COHORT}/open")).code == 405
    french = (await fetch("lead1", "GET", f"program?opened={COHORT}&lang=fr")).body.decode()
    assert f"Ouvrir la classe {COHORT}" in french
    assert f"Classe {COHORT} : 2 labos prêts sur 2." in french
    # not yet in Inuktitut: shown in English, marked so (screen readers switch voice)
    syllabics = (await fetch("lead1", "GET", "program?lang=iu")).body.decode()
    assert f'<span lang="en">Open the class {COHORT}</span>' in syllabics


def test_the_gradebook_service_may_start_servers_of_cohorts_learners_only():
    named = {role["name"]: role for role in roles({COHORT: {}})}
    opener = named[f"gradebook-opens-{COHORT}"]
    assert opener["services"] == ["gradebook"]
    assert opener["scopes"] == [f"{scope}!group=cohort-{COHORT}"
                                for scope in GRADEBOOK_SERVICE_SCOPES]
    lead_scopes = [s.split("!")[0] for s in named[f"cohort-lead-{COHORT}"]["scopes"]]
    assert "servers" not in lead_scopes
