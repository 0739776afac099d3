"""A learner logs in with a real browser (Debian's Chromium), starts a track, sees
JupyterLab with nbgrader's Assignments tab and fetches a released lab from it."""

from __future__ import annotations

import pytest
from playwright.sync_api import sync_playwright

from graders.lab import TRACKS
from hub.courses.folders import release_lab
from hub.people.manage import add_cohort, add_person
from northlab.groups import cohort_group
from tests.support.browser import launch_chromium

from .smoke_lab import LAB_ID

pytestmark = pytest.mark.slow

def test_learner_logs_in_and_sees_assignments(hub):
    name, password = hub.name("browser"), "glacier-route-42"
    cohort = hub.name("browser-cohort")  # its own course: the e2e test releases in hub.cohort
    add_cohort(hub.settings, cohort)
    release_lab(hub.settings, cohort, LAB_ID,
                hub.settings.labs_root / "cybersecurity" / LAB_ID / "source", "cybersecurity")
    add_person(hub.settings, hub.client, name, role="learner", cohort=cohort,
               password=password)
    assert name in hub.client.request("GET", f"/groups/{cohort_group(cohort)}").json()[
        "users"]
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            page = browser.new_page()
            page.goto(f"{hub.url}/hub/login")
            page.fill("#username_input", name)
            page.fill("#password_input", password)
            page.click("#login_submit")
            page.wait_for_url("**/hub/spawn**")
            assert page.locator("input[name=track]").count() == len(TRACKS)
            page.check("input[value=cybersecurity]")
            page.click("form input[type=submit], form button[type=submit]")
            page.wait_for_url(f"**/user/{name}/lab/tree/cybersecurity**", timeout=120_000)
            page.wait_for_selector(".jp-LabShell", timeout=120_000)
            page.click(".lm-MenuBar-itemLabel >> text=Nbgrader")
            page.click(".lm-Menu-itemLabel >> text=Assignment List")
            tab = page.locator(".lm-TabBar-tabLabel", has_text="Assignments")
            tab.wait_for(timeout=30_000)
            page.wait_for_selector("text=Released assignments", timeout=30_000)
            # the list comes from hub.assignments' worker: the released lab, then fetched
            released = page.locator("#released_assignments_list .list_item", has_text=LAB_ID)
            released.wait_for(timeout=60_000)
            released.locator("button", has_text="Fetch").click()
            page.locator("#fetched_assignments_list .list_item",
                         has_text="Submit").wait_for(timeout=60_000)
            assert page.locator("#released_assignments_list_error").is_hidden()
        finally:
            browser.close()
    hub.stop_server(name)
