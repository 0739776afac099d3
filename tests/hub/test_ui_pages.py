"""northlab's hub pages render from the catalogue, every text in every language."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest
from jinja2 import Environment, FileSystemLoader
from markupsafe import escape

from hub.pages.hub_pages import TEMPLATES, PageTexts
from hub.tracks import LOCALE

NL = PageTexts(password_min=8)
BASE = {"nl": NL, "base_url": "/hub/", "prefix": "/", "xsrf": "x", "user": None,
        "login_url": "/hub/login", "logout_url": "/hub/logout", "expanded_scopes": set()}


def render(name: str, **values: object) -> str:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True)
    return env.get_template(name).render(**{**BASE, **values})


def both(key: str, **values: object) -> list[str]:
    """The message in every language, as the page holds it (HTML-escaped)."""
    return [str(escape(NL.text(key, lang, **values))) for lang in NL.languages]


def test_login_says_an_admin_approves_accounts_in_both_languages():
    page = render("native-login.html", enable_signup=True, next="", username="",
                  login_error=None, two_factor_auth=False)
    assert "admin" in NL.text("sign_up", "en") and "instructor" not in NL.text("sign_up", "en")
    assert "administrateur" in NL.text("sign_up", "fr")
    for text in both("sign_up"):
        assert text in page
    assert 'class="show-password"' in page and 'data-targets="password_input"' in page


@pytest.mark.parametrize(("error", "key"), [
    ("Invalid username or password.", "login_invalid"),
    ("User ann has not been authorized by an administrator yet.", "login_not_approved"),
])
def test_login_errors_are_ours(error, key):
    page = render("native-login.html", enable_signup=False, next="", username="ann",
                  login_error=error, two_factor_auth=False)
    for text in both(key, user="ann"):
        assert text in page
    assert error not in page


@pytest.mark.parametrize(("alert", "message", "key"), [
    ("alert-danger", "Something went wrong!\nBe sure your username does not contain spaces, "
     "commas or slashes, your password has at least 8 characters and is not too common.",
     "signup_weak"),
    ("alert-danger", "Something went wrong!\nIt appears that this username is already in use.",
     "signup_taken"),
    ("alert-danger", "Your password did not match the confirmation. Please try again.",
     "signup_mismatch"),
    ("alert-info", "Your information has been sent to the admin.", "signup_sent"),
])
def test_signup_results_are_clear_messages(alert, message, key):
    page = render("signup.html", alert=alert, result_message=message, ask_email=False,
                  two_factor_auth=False, two_factor_auth_user=False, tos=None,
                  recaptcha_key=None, post_url="/hub/signup")
    for text in both(key, length=8):
        assert text in page
    assert "Something went wrong" not in page
    assert 'data-targets="password_input password_confirmation_input"' in page


def test_oauth_page_names_the_service_and_what_it_may_do():
    client = SimpleNamespace(description="Service gradebook", redirect_uri="/services/x")
    scopes = [{"scope": "custom:northlab:gradebook", "description": "Read the gradebook.",
               "filter": ""}, {"scope": "read:users:groups", "description": "x", "filter": "ann"}]
    page = render("oauth.html", oauth_client=client, scope_descriptions=scopes,
                  allowed_scopes=["custom:northlab:gradebook"])
    for key in ("oauth_title", "oauth_grants", "oauth_submit",
                "oauth_scope.custom:northlab:gradebook", "oauth_scope.read:users:groups"):
        for text in both(key):
            assert text in page
    for text in both("oauth_lead", service="Service gradebook"):
        assert text in page


def test_error_page_in_our_words_with_the_detail():
    page = render("error.html", status_code=404, status_message="Not Found",
                  message="No such page: /hub/nope")
    for text in both("error_404") + both("error_title", code=404):
        assert text in page
    assert "No such page: /hub/nope" in page


def test_signed_in_header_links_every_place_and_staff_see_the_gradebook():
    learner = SimpleNamespace(name="ann", admin=False)
    page = render("spawn_pending.html", user=learner, progress_url="/p")
    for path in ("/hub/home", "/services/gradebook/me", "/services/credentials/"):
        assert f'href="{path}"' in page
    assert "/services/gradebook/program" not in page
    lead = render("spawn_pending.html", user=SimpleNamespace(name="lee", admin=False),
                  progress_url="/p",
                  expanded_scopes={"custom:northlab:gradebook!group=cohort-a"})
    assert 'href="/services/gradebook/program"' in lead  # a lead's scope is per cohort
    staff = render("spawn_pending.html", user=SimpleNamespace(name="root", admin=True),
                   progress_url="/p")
    assert 'href="/services/gradebook/program"' in staff


@pytest.mark.parametrize("template", sorted(p.name for p in TEMPLATES.glob("*.html")))
def test_every_page_text_comes_from_the_catalogue(template):
    """Templates hold no English of their own: only t("...") of page.* messages."""
    source = re.sub(r"{#.*?#}", "", (TEMPLATES / template).read_text(), flags=re.S)
    for key in re.findall(r'\bt\("([^"]+)"', source):
        assert f"page.{key}" in LOCALE.messages["en"], key
        assert f"page.{key}" in LOCALE.messages["fr"], key
    # Between tags, once Jinja, scripts and styles are gone: nothing but our name.
    bare = re.sub(r"{[{%].*?[}%]}", "", source, flags=re.S)
    bare = re.sub(r"<(script|style)\b.*?</\1>", "", bare, flags=re.S)
    words = [w.strip() for w in re.findall(r">([^<]+)<", bare) if re.search(r"[A-Za-z]{2,}", w)]
    assert set(words) <= {"northlab"}


@pytest.mark.parametrize("active", [True, False])
def test_home_opens_or_starts_the_lab_and_lists_every_place(active):
    user = SimpleNamespace(name="ann", admin=False, escaped_name="ann")
    page = render("home.html", user=user, url="/user/ann/",
                  default_server=SimpleNamespace(active=active))
    for text in both("open_lab" if active else "start_lab") + both("welcome", user="ann"):
        assert text in page
    assert ('id="stop"' in page) is active
    for path in ("/services/gradebook/me", "/services/credentials/"):
        assert f'href="{path}"' in page
    assert "/hub/admin" not in page and "/services/gradebook/program" not in page


def test_approval_page_lists_accounts_with_their_actions():
    accounts = [SimpleNamespace(username="ann", email="", has_2fa=False, is_authorized=False),
                SimpleNamespace(username="bo", email="", has_2fa=False, is_authorized=True)]
    page = render("authorization-area.html", users=accounts, ask_email=False,
                  user=SimpleNamespace(name="root", admin=True))
    assert page.count('href="/hub/authorize/ann"') == 1 and 'href="/hub/discard/ann"' in page
    assert 'href="/hub/discard/bo"' not in page
    for text in both("approve", user="ann") + both("unapprove", user="bo"):
        assert text in page


def test_approval_by_email_message_is_ours():
    page = render("my_message.html", message="ann has been authorized!")
    for text in both("approved_message", user="ann"):
        assert text in page


def test_configured_pages_know_the_approval_page_and_password_length():
    from traitlets.config import Config

    from hub.pages.hub_pages import configure_pages

    c = Config()
    c.JupyterHub.authenticator_class = "nativeauthenticator.NativeAuthenticator"
    c.NativeAuthenticator.minimum_password_length = 8
    configure_pages(c)
    nl = c.JupyterHub.template_vars["nl"]
    assert nl.approvals and nl.password_min == 8
    admin = SimpleNamespace(name="root", admin=True, escaped_name="root")
    page = render("home.html", nl=nl, user=admin, url="/hub/spawn/root",
                  default_server=SimpleNamespace(active=False))
    assert 'href="/hub/authorize"' in page and 'href="/hub/admin"' in page


class Attributes(HTMLParser):
    """Every ``data-labels`` attribute of a page, as the browser parses it."""

    def __init__(self) -> None:
        super().__init__()
        self.labels: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.labels += [value or "" for name, value in attrs if name == "data-labels"]


def test_aria_labels_are_valid_json_in_every_language():
    page = render("spawn_pending.html", user=SimpleNamespace(name="ann", admin=False),
                  progress_url="/p")
    parser = Attributes()
    parser.feed(page)
    assert len(parser.labels) == 2
    for value in parser.labels:
        assert set(json.loads(value)) == set(NL.languages)
