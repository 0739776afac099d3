"""The hub's memory of each person's language, its switch links and the login hook (the
browser test in tests/browser/test_languages.py walks the same thing through real pages)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from hub.pages.language import FONTS, LanguageChoices, local_path, login_hook
from northlab.language import COOKIE, switch_url


def test_switch_link_goes_through_the_hub_and_back_without_the_old_language():
    url = switch_url("/hub/", "iu", "/services/gradebook/cohort/c1?sort=name&lang=fr")
    assert url == ("/hub/northlab/language?lang=iu"
                   "&next=%2Fservices%2Fgradebook%2Fcohort%2Fc1%3Fsort%3Dname")


@pytest.mark.parametrize(("url", "local"), [
    ("/services/gradebook/me", True), ("/user/ana/lab?reset", True),
    ("//evil.example/", False), ("/\\evil.example/", False), ("https://evil.example/", False),
    ("", False), ("javascript:alert(1)", False),
    ("/\t/evil.example", False), ("/\n/evil.example", False), ("/a\rb", False),
    ("/a/\\b", False), ("/a\x7f", False),
])
def test_only_paths_on_this_site_are_followed_back(url, local):
    assert local_path(url) is local


def test_choices_are_kept_per_person(tmp_path):
    choices = LanguageChoices(tmp_path / "languages.sqlite")
    assert choices.get("ana") is None
    choices.set("ana", "iu")
    choices.set("ben", "fr")
    choices.set("ana", "fr")
    again = LanguageChoices(tmp_path / "languages.sqlite")  # a restarted hub
    assert (again.get("ana"), again.get("ben")) == ("fr", "fr")


class Handler:
    """The login handler as the hook sees it: the browser's cookie and what is sent back."""

    def __init__(self, cookie: str | None) -> None:
        self.cookies = {COOKIE: cookie} if cookie else {}
        self.sent: dict[str, str] = {}

    def get_cookie(self, name: str) -> str | None:
        return self.cookies.get(name)

    def set_cookie(self, name: str, value: str, **options: object) -> None:
        assert options["path"] == "/"
        self.sent[name] = value


def test_login_brings_back_the_persons_language_over_the_browsers(tmp_path):
    choices = LanguageChoices(tmp_path / "languages.sqlite")
    hook = login_hook(choices)
    choices.set("ana", "iu")
    shared_computer = Handler(cookie="fr")  # someone else chose French on this browser
    assert hook(None, shared_computer, {"name": "ana"}) == {"name": "ana"}
    assert shared_computer.sent == {COOKIE: "iu"} and choices.get("ana") == "iu"


def test_a_first_login_keeps_the_language_chosen_on_the_login_page(tmp_path):
    choices = LanguageChoices(tmp_path / "languages.sqlite")
    hook = login_hook(choices)
    handler = Handler(cookie="fr")
    hook(None, handler, {"name": "ben"})
    assert choices.get("ben") == "fr" and handler.sent == {}
    hook(None, Handler(cookie=None), {"name": "cy"})  # nothing chosen anywhere: nothing kept
    assert choices.get("cy") is None
    assert hook(None, Handler(cookie="xx"), None) is None  # a failed login


def test_the_font_and_its_licence_ship_together():
    css = (FONTS / "fonts.css").read_text(encoding="utf-8")
    assert "NotoSansCanadianAboriginal-Regular.woff2" in css and "U+1400-167F" in css
    assert (FONTS / "NotoSansCanadianAboriginal-Regular.woff2").read_bytes()[:4] == b"wOF2"
    assert "SIL OPEN FONT LICENSE Version 1.1" in (FONTS / "OFL.txt").read_text()


def test_the_hub_wires_the_switch_the_fonts_and_the_login_hook(tmp_path):
    from traitlets.config import Config

    from hub.pages.language import configure_language

    c = Config()
    configure_language(c, SimpleNamespace(hub_dir=tmp_path))
    paths = [handler[0] for handler in c.JupyterHub.extra_handlers]
    assert paths == ["/northlab/language", "/northlab/fonts/(.*)"]
    assert callable(c.Authenticator.post_auth_hook)
