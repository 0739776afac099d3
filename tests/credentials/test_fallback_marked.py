"""A learner's credentials page in Inuktitut: the English shown for untranslated texts and
achievement names is marked ``lang="en"`` (screen readers switch voice)."""

from __future__ import annotations

import pytest
from tornado.httpclient import AsyncHTTPClient

from hub.services.credentials.app import make_app
from tests.gradebook.stub import StubAuth, scopes_for
from tests.i18n.marks import mismarked
from tests.support.web import listening

from .conftest import make_record

PREFIX = "/services/credentials/"


@pytest.fixture
async def page_of(library):
    """``page_of(learner, language)``: the learner's own credentials page (the hub's login
    stood in for by the gradebook tests' stub; every handler and template is real)."""
    app = make_app(library, prefix=PREFIX, hub=False)
    app.settings.update(hub=True, hub_auth=StubAuth({"ann": scopes_for()}))
    with listening(app) as url:
        async def fetch(learner: str, language: str) -> str:
            response = await AsyncHTTPClient().fetch(
                f"{url}{PREFIX}?lang={language}", headers={"X-Stub-User": learner},
                follow_redirects=False)
            return response.body.decode()

        yield fetch


async def test_the_inuktitut_credentials_page_marks_english(library, page_of):
    for lab in ("lab-one", "lab-two", "lab-three"):
        library.record_result(make_record("ann", lab, 9), reported_by="grader")
    (credential,) = library.credentials_of("ann")
    page = await page_of("ann", "iu")
    assert "Cybersecurity Foundations" in page
    dates = {credential.issued_at.date().isoformat()}
    assert mismarked(page, ["ann", credential.id, *dates]) == []
    assert '<span lang="en">Cybersecurity Foundations</span>' in page
    french = await page_of("ann", "fr")
    assert "Fondements de la cybersécurité" in french and '<span lang="en">' not in french
