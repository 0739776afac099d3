"""A learner logs in with a real browser (Debian's Chromium), starts a track and sees
JupyterLab with nbgrader's Assignments tab."""

from __future__ import annotations

import pytest
from playwright.sync_api import sync_playwright

from hub.people import add_person
from hub.roles import cohort_group

pytestmark = pytest.mark.slow

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]


def test_learner_logs_in_and_sees_assignments(hub):
    name, password = hub.name("browser"), "glacier-route-42"
    add_person(hub.settings, hub.client, name, role="learner", cohort=hub.cohort,
               password=password)
    assert name in hub.client.request("GET", f"/groups/{cohort_group(hub.cohort)}").json()[
        "users"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                             args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(f"{hub.url}/hub/login")
            page.fill("#username_input", name)
            page.fill("#password_input", password)
            page.click("#login_submit")
            page.wait_for_url("**/hub/spawn**")
            assert page.locator("input[name=track]").count() == 4
            page.check("input[value=gamedev]")
            page.click("form input[type=submit], form button[type=submit]")
            page.wait_for_url(f"**/user/{name}/lab/tree/gamedev**", timeout=120_000)
            page.wait_for_selector(".jp-LabShell", timeout=120_000)
            page.click(".lm-MenuBar-itemLabel >> text=Nbgrader")
            page.click(".lm-Menu-itemLabel >> text=Assignment List")
            tab = page.locator(".lm-TabBar-tabLabel", has_text="Assignments")
            tab.wait_for(timeout=30_000)
            page.wait_for_selector("text=Released assignments", timeout=30_000)
        finally:
            browser.close()
    hub.stop_server(name)
