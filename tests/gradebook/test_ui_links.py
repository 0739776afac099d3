"""The gradebook's way to every other place: credentials linked, one cookie, no '1 tries'."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from tornado.httpclient import AsyncHTTPClient

from hub.services.gradebook.app import Gradebook
from hub.services.gradebook.config import GradebookConfig
from hub.services.gradebook.roster import StaticRoster
from hub.services.records import Credential, open_database
from northlab.language import COOKIE
from tests.support import synthetic
from tests.support.web import listening

from .conftest import PREFIX
from .stub import StubAuth, scopes_for


def earner(seeded) -> tuple[str, str]:
    """(learner, credential id) of one credential of the seeded program."""
    engine, _ = seeded
    with engine.connect() as conn:
        return tuple(conn.execute(select(Credential.learner, Credential.id).limit(1)).one())


async def test_every_page_links_home_progress_and_credentials(get):
    page = (await get("learner-01-001", "me")).body.decode()
    for href in ("/services/gradebook/me", "/services/credentials/"):
        assert f'href="{href}"' in page
    assert re.search(r'<a href="/hub/[^"]*">', page)


async def test_a_learners_credentials_are_links_to_the_credential_and_certificate(get, seeded):
    learner, cid = earner(seeded)
    page = (await get("boss", f"learner/{learner}")).body.decode()
    assert f'href="/services/credentials/credentials/{cid}.json"' in page
    assert f'href="/services/credentials/credentials/{cid}/certificate.png?lang=en"' in page


async def test_language_is_the_shared_cookie_on_path_root(get):
    switched = await get("lead1", "program?lang=fr")
    cookie = switched.headers["Set-Cookie"]
    assert cookie.startswith(f"{COOKIE}=fr;") and "Path=/;" in cookie
    assert "httponly" not in cookie.lower()  # JupyterLab's extension and hub pages read it
    again = await get("lead1", "program", Cookie=f"{COOKIE}=fr", **{"Accept-Language": "en"})
    page = again.body.decode()
    assert '<html lang="fr">' in page and "Attestations" in page
    assert "Titres de compétences" not in page


@pytest.fixture
async def get_one_try(tmp_path):
    """A program where every lab was handed in once."""
    engine = open_database(f"sqlite:///{tmp_path / 'records.sqlite'}")
    roster = synthetic.seed(engine, synthetic.Plan(cohorts=1, learners_per_cohort=2, labs=2,
                                                   attempts=1))
    users = {"boss": scopes_for(admin=True)}
    app = Gradebook(GradebookConfig(), engine=engine, roster=StaticRoster(roster),
                    hub_auth=StubAuth(users)).application()
    with listening(app) as url:
        async def fetch(path: str) -> str:
            response = await AsyncHTTPClient().fetch(f"{url}{PREFIX}{path}",
                                                     headers={"X-Stub-User": "boss"})
            return response.body.decode()

        yield fetch, roster


async def test_one_try_is_singular(get_one_try):
    fetch, roster = get_one_try
    cohort = next(iter(roster))
    learner = roster[cohort][0]
    for lang, right, wrong in (("en", "1 try", "1 tries"), ("fr", "1 essai", "1 essais")):
        for page in (await fetch(f"cohort/{cohort}?lang={lang}"),
                     await fetch(f"learner/{learner}?lang={lang}")):
            assert right in page and wrong not in page
