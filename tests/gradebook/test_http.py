"""Access control, parameters and formats over real HTTP (hub identity stubbed)."""

from __future__ import annotations

import csv
import io
import json

from tornado.httpclient import AsyncHTTPClient

from tests.support.web import listening

from .conftest import PREFIX

ADMIN_ONLY = ["cohort/site02-2026", "learner/learner-02-001", "cohort/site02-2026/grades.csv",
              "cohort/site02-2026/summary.csv", "api/cohorts/site02-2026/grades",
              "api/cohorts/site02-2026/summary", "api/learners/learner-02-001",
              "lab/lab-01?cohort=site02-2026"]
STAFF_ONLY = ["program", "cohort/site01-2026", "learner/learner-01-002", "lab/lab-01",
              "export/grades.csv", "export/summary.csv", "api/cohorts"]


async def test_access_matrix(get):
    for path in ADMIN_ONLY:
        assert (await get("boss", path)).code == 200, path
        assert (await get("lead1", path)).code == 403, path
    for path in STAFF_ONLY:
        assert (await get("lead1", path)).code == 200, path
        assert (await get("learner-01-001", path)).code == 403, path
    for path in ["me", "api/me"]:
        assert (await get("learner-01-001", path)).code == 200
    # a hub user without access:services!service=gradebook gets nothing
    assert (await get("stranger", "me")).code == 403
    # no login: pages go to the hub's OAuth, the API answers 403
    login = await get(None, "program")
    assert login.code == 302 and "/hub/api/oauth2/authorize" in login.headers["Location"]
    assert (await get(None, "api/me")).code == 403


async def test_lead_of_two_cohorts_sees_both_only(get):
    page = (await get("lead13", "program")).body.decode()
    assert "site01-2026" in page and "site03-2026" in page and "site02-2026" not in page
    rows = list(csv.DictReader(io.StringIO(
        (await get("lead13", "export/grades.csv")).body.decode("utf-8-sig"))))
    assert {r["cohort"] for r in rows} == {"site01-2026", "site03-2026"}


async def test_home_redirects_by_role(get):
    assert (await get("lead1", "")).headers["Location"] == PREFIX + "program"
    assert (await get("learner-01-001", "")).headers["Location"] == PREFIX + "me"
    assert (await get("learner-01-001", "learner/learner-01-001")).headers["Location"] == \
        PREFIX + "me"


async def test_my_progress_shows_nothing_of_others(get, seeded):
    _, roster = seeded
    page = (await get("learner-01-001", "me")).body.decode()
    others = [n for names in roster.values() for n in names if n != "learner-01-001"]
    assert "learner-01-001" in page and not [n for n in others if n in page]
    data = json.loads((await get("learner-01-001", "api/me")).body)
    assert data["learner"] == "learner-01-001" and data["labs"]


async def test_bad_parameters_are_400_and_unknown_things_404(get):
    for path in ["cohort/site01-2026?sort=evil", "cohort/site01-2026?dir=up",
                 "cohort/site01-2026?status=x", "export/summary.csv?layout=excel"]:
        assert (await get("lead1", path)).code == 400, path
    assert (await get("boss", "cohort/nowhere-2026")).code == 404
    assert (await get("boss", "learner/nobody")).code == 404
    assert (await get("boss", "lab/no-such-lab")).code == 404
    assert (await get("boss", "no/such/page")).code == 404


async def test_sorting_and_filtering_are_server_side(get):
    page = (await get("lead1", "cohort/site01-2026?sort=learner&dir=desc")).body.decode()
    order = [page.index(f">learner-01-00{n}<") for n in (4, 3, 2, 1)]
    assert order == sorted(order)
    page = (await get("lead1", "cohort/site01-2026?q=01-003")).body.decode()
    assert "learner-01-003" in page and "learner-01-001<" not in page


async def test_language_from_header_query_and_cookie(get):
    page = await get("lead1", "program", **{"Accept-Language": "fr-CA,fr;q=0.9,en;q=0.5"})
    assert '<html lang="fr">' in page.body.decode()
    switched = await get("lead1", "program?lang=en", **{"Accept-Language": "fr"})
    assert '<html lang="en">' in switched.body.decode()
    cookie = switched.headers["Set-Cookie"].split(";")[0]
    again = await get("lead1", "program", Cookie=cookie, **{"Accept-Language": "fr"})
    assert '<html lang="en">' in again.body.decode()
    denied = await get("learner-01-001", "program?lang=fr")
    assert denied.code == 403 and "Accès refusé" in denied.body.decode()


async def test_api_grades_match_the_csv(get):
    api = json.loads((await get("lead1", "api/cohorts/site01-2026/grades")).body)["grades"]
    rows = list(csv.DictReader(io.StringIO(
        (await get("lead1", "cohort/site01-2026/grades.csv")).body.decode("utf-8-sig"))))
    assert [(g["username"], g["lab"], g["status"]) for g in api] == \
        [(r["username"], r["lab"], r["status"]) for r in rows]
    assert {r["status"] for r in rows} >= {"missing"}


async def test_pages_are_light_and_locked_down(get):
    response = await get("lead1", "cohort/site01-2026", **{"Accept-Encoding": "gzip"})
    assert "script" not in response.body.decode().lower()
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["Server-Timing"].startswith("db;dur=")


async def test_missing_results_database_is_503_not_a_crash(tmp_path):
    from hub.services.gradebook.app import Gradebook
    from hub.services.gradebook.config import GradebookConfig
    from hub.services.gradebook.roster import StaticRoster
    from hub.services.records import open_database

    from .stub import StubAuth, scopes_for

    empty = open_database(f"sqlite:///{tmp_path / 'not-created-yet.sqlite'}", migrate=False)
    gradebook = Gradebook(GradebookConfig(), engine=empty, roster=StaticRoster({"a": ["x"]}),
                          hub_auth=StubAuth({"boss": scopes_for(admin=True)}))
    with listening(gradebook.application()) as url:
        response = await AsyncHTTPClient().fetch(
            f"{url}{PREFIX}program", headers={"X-Stub-User": "boss"}, raise_error=False)
    assert response.code == 503 and "Try again in a minute" in response.body.decode()
