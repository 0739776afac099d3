"""The hub's own pages and JupyterLab, on a real hub, in the language chosen once.

HTTP: login, sign-up (weak password), login error and error pages say it in our words.
Browser (Debian's Chromium): a learner who chose French on the login page gets French
JupyterLab, the northlab menu and nbgrader's Assignments tab in French; choosing English in
that menu brings every page back to English.
"""

from __future__ import annotations

import re
from html import unescape
from importlib.metadata import version
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from markupsafe import escape
from playwright.sync_api import expect, sync_playwright

from hub.people.manage import add_person
from hub.tracks import LOCALE
from tests.support.browser import launch_chromium

pytestmark = pytest.mark.slow
SHOTS = Path("/tmp/northlab-ui-screenshots")


def both(key: str, **values: object) -> list[str]:
    return [str(escape(LOCALE.text(f"page.{key}", lang, **values))) for lang in ("en", "fr")]


def html(response: requests.Response) -> str:
    """The page as the browser reads it (utf-8, from its meta tag)."""
    return response.content.decode("utf-8")


def form_session(hub, path: str) -> tuple[requests.Session, str]:
    session = requests.Session()
    session.get(f"{hub.url}/hub/{path}", timeout=30).raise_for_status()
    return session, session.cookies.get("_xsrf")


def test_login_page_says_an_admin_approves(hub):
    page = html(requests.get(f"{hub.url}/hub/login", timeout=30))
    for text in both("sign_up"):
        assert text in page
    assert "instructor approves" not in page and 'class="show-password"' in page


def test_login_form_keeps_where_the_person_was_going(hub):
    """A page that asked for a login (``?next=``) is where the person lands after it: the
    form posts that ``next`` encoded once (it was encoded twice and the hub dropped it)."""
    wanted = "/hub/northlab/language?lang=fr&next=/hub/home"
    page = html(requests.get(f"{hub.url}/hub/login", params={"next": wanted}, timeout=30))
    action = unescape(re.search(r'<form action="([^"]+)" method="post">', page).group(1))
    assert parse_qs(urlsplit(action).query)["next"] == [wanted]


def test_weak_password_gets_a_clear_message(hub):
    session, xsrf = form_session(hub, "signup")
    name = hub.name("weak")
    answer = session.post(f"{hub.url}/hub/signup", timeout=30, data={
        "_xsrf": xsrf, "username": name, "signup_password": "abc",
        "signup_password_confirmation": "abc"})
    assert answer.status_code == 200
    for text in both("signup_weak", length=8):
        assert text in html(answer)
    assert "Something went wrong" not in html(answer)


def test_wrong_password_and_unknown_page_in_our_words(hub):
    session, xsrf = form_session(hub, "login")
    answer = session.post(f"{hub.url}/hub/login", timeout=30, data={
        "_xsrf": xsrf, "username": hub.name("nobody"), "password": "not-this-one"})
    for text in both("login_invalid"):
        assert text in html(answer)
    missing = requests.get(f"{hub.url}/hub/no-such-page", timeout=30)
    assert missing.status_code == 404
    for text in both("error_404"):
        assert text in html(missing)


def test_french_chosen_once_is_french_everywhere(hub):
    name, password = hub.name("francais"), "aurore-boreale-42"
    add_person(hub.settings, hub.client, name, role="learner", cohort=hub.cohort,
               password=password)
    SHOTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            page = browser.new_page(locale="en-US")
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto(f"{hub.url}/hub/login")
            expect(page.locator("h1 .l-en")).to_be_visible()
            page.click(".langs button[data-lang=fr]")
            expect(page.locator("h1 .l-fr")).to_be_visible()
            expect(page.locator("h1 .l-en")).to_be_hidden()
            page.fill("#username_input", name)
            page.fill("#password_input", password)
            page.click(".show-password")
            assert page.get_attribute("#password_input", "type") == "text"
            page.screenshot(path=str(SHOTS / "login-fr.png"))
            page.click("#login_submit")
            page.wait_for_url("**/hub/spawn**")
            expect(page.locator("legend .l-fr")).to_be_visible()
            page.click("form button[type=submit]")
            page.wait_for_selector(".jp-LabShell", timeout=120_000)
            # JupyterLab's own menus in French (language pack), and ours
            expect(page.locator(".lm-MenuBar-itemLabel", has_text="Fichier")).to_be_visible(
                timeout=60_000)
            page.click(".lm-MenuBar-itemLabel >> text=northlab")
            for key in ("lab.progress", "lab.credentials", "lab.hub"):
                expect(page.locator(".lm-Menu-itemLabel",
                                    has_text=LOCALE.text(key, "fr"))).to_be_visible()
            expect(page.locator(".lm-Menu-itemLabel",
                                has_text=LOCALE.text("lab.gradebook", "fr"))).to_have_count(0)
            page.screenshot(path=str(SHOTS / "lab-menu-fr.png"))
            page.keyboard.press("Escape")
            page.click(".lm-MenuBar-itemLabel >> text=Nbgrader")
            page.click(".lm-Menu-itemLabel >> text=" + LOCALE.text("nbgrader.command", "fr"))
            expect(page.locator("#assignments .panel-heading").first).to_have_text(
                re.compile(LOCALE.text("nbgrader.released", "fr")), timeout=30_000)
            expect(page.locator(".jp-StatusBar-Widget", has_text="Assignments")).to_have_count(0)
            page.screenshot(path=str(SHOTS / "assignments-fr.png"))
            # our own Assignments-tab messages (hub.assignments) follow the same cookie
            answer = page.request.get(f"{hub.url}/user/{name}/nbgrader_version",
                                      params={"version": "0.0.1"}).json()
            assert answer["message"] == LOCALE.text(
                "assignments.version_mismatch", "fr", wanted="0.0.1", installed=version("nbgrader"))
            # English from the northlab menu: JupyterLab reloads in English, the cookie follows
            page.click(".lm-MenuBar-itemLabel >> text=northlab")
            page.click(".lm-Menu-itemLabel >> text=" + LOCALE.text("lab.language", "fr"))
            with page.expect_navigation(timeout=60_000):
                page.click(".lm-Menu-itemLabel >> text=English")
            expect(page.locator(".lm-MenuBar-itemLabel", has_text="File")).to_be_visible(
                timeout=60_000)
            cookies = {c["name"]: c["value"] for c in page.context.cookies()}
            assert cookies["northlab-lang"] == "en"
            assert errors == [], errors
            page.goto(f"{hub.url}/hub/no-such-page")
            expect(page.locator(".langs button[data-lang=en]")).to_have_attribute(
                "aria-pressed", "true")
        finally:
            browser.close()
    hub.stop_server(name)


def test_the_language_switch_refuses_an_unknown_language_in_the_persons_language(hub):
    answer = requests.get(f"{hub.url}/hub/northlab/language", params={"lang": "xx"},
                          cookies={"northlab-lang": "fr"}, timeout=30)
    assert answer.status_code == 400
    said = LOCALE.text("language.unknown", "fr", asked="'xx'",
                       languages=", ".join(LOCALE.languages))
    assert str(escape(said)) in html(answer)


@pytest.mark.parametrize("back", ["/\t/evil.example", "/\r\nX: y", "/\\evil.example"])
def test_the_language_switch_goes_back_to_this_site_only(hub, back):
    answer = requests.get(f"{hub.url}/hub/northlab/language",
                          params={"lang": "fr", "next": back}, allow_redirects=False, timeout=30)
    assert answer.status_code == 204 and "Location" not in answer.headers
