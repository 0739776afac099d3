"""The admin's day: someone signs up, cannot log in yet, the admin approves them, they can;
an instructor's admin panel shows only the controls their scopes allow."""

from __future__ import annotations

import pytest
import requests

from .conftest import SLOW

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("language", ["en", "fr"])
def test_admin_approves_a_sign_up(world, visit, language):
    newcomer = visit(f"newcomer-{language}", language)
    name, password = newcomer.name, "Caribou-trail-2026"
    page = newcomer.page
    page.goto(f"{world.url}/hub/login")
    page.click(f".langs button[data-lang={language}]")
    page.click("a[href$='/hub/signup']")
    newcomer.check("signup")
    page.fill("#username_input", name)
    page.fill("#password_input", password)
    page.fill("#password_confirmation_input", password)
    page.click("#signup_submit")
    newcomer.check("signed-up")
    world.passwords[name] = password
    newcomer.log_in()
    assert "/hub/login" in page.url  # not approved yet
    newcomer.check("login-refused")

    admin = visit("admin", language)
    admin.log_in()
    admin.page.goto(f"{world.url}/hub/authorize")
    admin.check("authorize")
    admin.page.click(f"a[href$='/hub/authorize/{name}']")
    admin.page.wait_for_load_state()
    admin.check("authorized")
    assert admin.page.locator(f"a[href$='/hub/authorize/{name}']").count() == 1

    newcomer.log_in()
    assert "/hub/login" not in page.url
    newcomer.check("first-login")


def test_instructor_admin_panel_shows_only_what_they_may_do(world, visit):
    instructor = visit("instructor")
    instructor.log_in()
    page = instructor.page
    page.goto(f"{world.url}/hub/admin")
    page.locator("td.actions .btn").first.wait_for(timeout=SLOW)  # their learners' rows
    visible = "els => els.filter(e => e.offsetParent !== null).length"
    for control in ("Add Users", "Manage Groups", "Edit User", "Shutdown Hub"):
        assert page.get_by_text(control, exact=True).evaluate_all(visible) == 0, control
    # what their course scopes allow stays: start, stop, open their learners' servers
    assert page.locator("td.actions .btn").evaluate_all(visible) > 0


def whoami(world, token: str) -> requests.Response:
    """The hub's answer to ``token`` alone (no browser cookie)."""
    return requests.get(f"{world.url}/hub/api/user", timeout=60,
                        headers={"Authorization": f"token {token}"})


@pytest.mark.parametrize("language", ["en", "fr"])
def test_token_page_asks_lists_and_revokes(world, visit, language):
    learner = visit("learner-en", language)
    learner.log_in()
    page = learner.page
    page.goto(f"{world.url}/hub/token")
    learner.check("token")
    expected = {"en": "API tokens", "fr": "Jetons d'API"}[language]
    assert page.locator("h1").inner_text() == expected
    assert page.locator("#token-expiration-seconds option").first.inner_text() == {
        "en": "1 hour", "fr": "1 heure"}[language]
    page.fill("#token-note", f"browser-{language}")
    page.click("#request-token-form [type=submit]")
    page.locator("#token-result").wait_for(timeout=SLOW)
    token = page.locator("#token-result").inner_text()
    learner.check("token-given")
    answer = whoami(world, token)
    assert answer.ok and answer.json()["name"] == learner.name

    page.reload()
    row = page.locator("#api-tokens-table tr", has_text=f"browser-{language}")
    learner.check("token-listed")
    with page.expect_response(lambda r: r.request.method == "DELETE"):
        row.locator("button").click()
    assert row.count() == 0
    assert whoami(world, token).status_code == 403
