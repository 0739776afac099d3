"""End to end: a real JupyterHub + proxy + the gradebook service, driven by Chromium.

A cohort lead signs up and logs in through NativeAuthenticator, opens the cohort, sorts,
opens a learner, downloads the CSV and switches to French; a learner sees only their own
page; every other door answers 403 over real HTTP. axe-core runs on every page.
"""

from __future__ import annotations

import csv
import io

import pytest
import requests
from playwright.sync_api import sync_playwright

from hub.config.settings import REPO
from hub.services.records import open_database
from tests.support import synthetic
from tests.support.browser import launch_chromium

from . import realhub

pytestmark = pytest.mark.slow

AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
PLAN = synthetic.Plan(cohorts=2, learners_per_cohort=4, labs=4, attempts=2, missing_rate=0.15)
LEAD, LEARNER, PASSWORD = "lead1", "learner-01-002", "Tundra-lichen-42"
PREFIX = "/services/gradebook/"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gradebook-hub")
    url = f"sqlite:///{folder / 'records.sqlite'}"
    roster = synthetic.seed(open_database(url), PLAN)
    hub = realhub.start(folder, database_url=url, cohorts=roster,
                        leads={"site01-2026": [LEAD]}, admins=["boss"])
    try:
        yield hub, roster
    finally:
        hub.stop()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            yield browser
        finally:
            browser.close()


def new_page(browser):
    # bypass_csp lets the test inject axe-core into pages whose CSP forbids scripts
    context = browser.new_context(bypass_csp=True, accept_downloads=True,
                                  locale="en-CA")
    return context, context.new_page()


def check_axe(page) -> None:
    """No serious or critical accessibility violations on the current page."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => (await axe.run(document)).violations"
                           ".map(v => ({id: v.id, impact: v.impact, help: v.help,"
                           " nodes: v.nodes.slice(0, 3).map(n => n.html)}))")
    bad = [v for v in result if v["impact"] in ("serious", "critical")]
    assert not bad, f"axe violations on {page.url}: {bad}"


def sign_up_and_log_in(page, hub_url: str, name: str) -> None:
    page.goto(f"{hub_url}/hub/signup")
    page.fill("#username_input", name)
    page.fill("#password_input", PASSWORD)
    page.fill("#password_confirmation_input", PASSWORD)
    page.click("#signup_submit")
    page.wait_for_load_state()
    page.goto(f"{hub_url}/hub/login?next={PREFIX}")
    page.fill("#username_input", name)
    page.fill("#password_input", PASSWORD)
    page.click("#login_submit")
    page.wait_for_url(f"**{PREFIX}*")


def column(page, index: int) -> list[str]:
    return page.eval_on_selector_all(
        "table.grid tbody tr", f"rows => rows.map(r => r.children[{index}].innerText.trim())")


def test_cohort_lead_journey(world, browser, tmp_path):
    hub, roster = world
    context, page = new_page(browser)
    sign_up_and_log_in(page, hub.url, LEAD)

    # landed on the program page through the hub's OAuth: only the lead's cohort
    assert page.url.endswith(PREFIX + "program")
    check_axe(page)
    assert page.locator("a", has_text="site01-2026").count() == 1
    assert page.locator("a", has_text="site02-2026").count() == 0

    page.click("text=site01-2026")
    page.wait_for_url("**/cohort/site01-2026")
    check_axe(page)
    learners = column(page, 0)
    assert learners == sorted(roster["site01-2026"])

    # sort by average, descending (server-side: plain links, no script)
    page.click("table.grid thead >> text=Average score")
    page.click("table.grid thead >> text=Average score")
    assert "sort=average" in page.url and "dir=desc" in page.url
    averages = [float(v.rstrip("%")) for v in column(page, 2) if v != "—"]
    assert averages == sorted(averages, reverse=True)
    assert page.get_attribute("th[aria-sort]", "aria-sort") == "descending"
    check_axe(page)

    # filter without JavaScript: the form is a GET
    page.fill("#q", LEARNER)
    page.click("form.filters button")
    assert column(page, 0) == [LEARNER]

    page.click(f"table.grid >> text={LEARNER}")
    page.wait_for_url(f"**/learner/{LEARNER}")
    assert page.locator("h1").inner_text() == f"Learner {LEARNER}"
    assert page.locator("text=Check step").count() > 0  # per-test feedback, English
    check_axe(page)

    page.goto(f"{hub.url}{PREFIX}cohort/site01-2026")
    with page.expect_download() as info:
        page.click("text=Grades: one row per learner and lab (CSV)")
    body = info.value.path().read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert {r["username"] for r in rows} == set(roster["site01-2026"])
    assert len(rows) == len(roster["site01-2026"]) * PLAN.labs
    assert {"missing", "completed"} & {r["status"] for r in rows}

    # a lab page with its SVG plots
    page.click("ul.columns >> text=lab-01")
    page.wait_for_url("**/lab/lab-01?cohort=site01-2026")
    check_axe(page)
    assert page.locator("svg[role=img]").count() == 2

    # French, remembered across pages
    page.click("text=Français")
    assert page.locator("html").get_attribute("lang") == "fr"
    check_axe(page)
    page.goto(f"{hub.url}{PREFIX}cohort/site01-2026")
    assert page.locator("h1").inner_text() == "Cohorte site01-2026"
    page.goto(f"{hub.url}{PREFIX}learner/{LEARNER}")
    assert page.locator("text=Vérifiez l'étape").count() > 0
    check_axe(page)

    # another cohort, its learners and its exports: 403 over real HTTP
    for path in ("cohort/site02-2026", "learner/learner-02-001", "cohort/site02-2026/grades.csv",
                 "lab/lab-01?cohort=site02-2026", "api/cohorts/site02-2026/grades"):
        response = page.goto(f"{hub.url}{PREFIX}{path}")
        assert response.status == 403, path
    page.goto(f"{hub.url}{PREFIX}cohort/site02-2026")
    assert page.locator("h1").inner_text() == "Accès refusé"
    check_axe(page)  # the 403 page itself
    context.close()

    # a deep link (say, from an e-mail) survives the hub login and the OAuth round trip;
    # in a fresh English browser the hub gives the lead back the French they chose
    context, page = new_page(browser)
    page.goto(f"{hub.url}{PREFIX}cohort/site01-2026?sort=average")
    page.fill("#username_input", LEAD)
    page.fill("#password_input", PASSWORD)
    page.click("#login_submit")
    page.wait_for_url("**/cohort/site01-2026?sort=average")
    assert page.locator("h1").inner_text() == "Cohorte site01-2026"
    context.close()


def test_learner_sees_only_their_own_page(world, browser):
    hub, roster = world
    context, page = new_page(browser)
    sign_up_and_log_in(page, hub.url, LEARNER)
    assert page.url.endswith(PREFIX + "me")
    assert page.locator("h1").inner_text() == "My progress"
    check_axe(page)
    html = page.content()
    others = [name for names in roster.values() for name in names if name != LEARNER]
    assert not [name for name in others if name in html]
    for path in ("program", "cohort/site01-2026", "learner/learner-01-001",
                 "lab/lab-01", "export/grades.csv", "api/cohorts"):
        response = page.goto(f"{hub.url}{PREFIX}{path}")
        assert response.status == 403, path
    response = page.goto(f"{hub.url}{PREFIX}api/me")
    assert response.status == 200 and response.json()["learner"] == LEARNER
    context.close()


def test_api_tokens_follow_the_same_scopes(world):
    hub, roster = world
    r = hub.api("POST", f"/users/{LEAD}/tokens", json={"note": "gradebook api test"})
    assert r.status_code == 201, r.text
    token = {"Authorization": f"token {r.json()['token']}"}
    base = f"{hub.url}{PREFIX}api"
    grades = requests.get(f"{base}/cohorts/site01-2026/grades", headers=token, timeout=30)
    assert grades.status_code == 200
    assert {g["username"] for g in grades.json()["grades"]} == set(roster["site01-2026"])
    assert len(grades.json()["grades"]) == len(roster["site01-2026"]) * PLAN.labs
    denied = requests.get(f"{base}/cohorts/site02-2026/grades", headers=token, timeout=30)
    assert denied.status_code == 403
    anonymous = requests.get(f"{base}/cohorts/site01-2026/grades", timeout=30)
    assert anonymous.status_code == 403
    # the program admin's role holds the unfiltered scope: every cohort
    r = hub.api("POST", "/users/boss/tokens", json={"note": "gradebook api test"})
    admin = {"Authorization": f"token {r.json()['token']}"}
    cohorts = requests.get(f"{base}/cohorts", headers=admin, timeout=30).json()["cohorts"]
    assert sorted(c["id"] for c in cohorts) == sorted(roster)
    assert requests.get(f"{base}/cohorts/site02-2026/grades", headers=admin,
                        timeout=30).status_code == 200
