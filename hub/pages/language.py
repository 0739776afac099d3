"""Each hub user's language, kept by the hub; the ``northlab-lang`` cookie is the browser's copy.

``GET /hub/northlab/language?lang=iu&next=/services/gradebook/me`` is every page's language
switch (hub pages, gradebook, credentials, JupyterLab): it remembers the choice for the
signed-in person, sets the cookie and goes back to ``next`` (no ``next``: 204, for a hub page
that switched in place). At login the hub puts the person's remembered language in the
cookie, so it follows them to another browser or a shared community computer; someone with
none yet keeps what they chose on the login page.

The hub also serves the fonts of ``hub/fonts`` (syllabics for Inuktitut) at
``/hub/northlab/fonts/``, so a browser without such a font still renders every language.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

from jupyterhub.handlers import BaseHandler
from tornado import web

from hub.config.settings import Settings
from hub.tracks import HUB_DIR, LOCALE
from northlab.language import COOKIE, SWITCH_PATH, choose_language, remember_in_cookie

FONTS = HUB_DIR / "fonts"
FONTS_PATH = "northlab/fonts/"
#: The font stack of northlab's pages: syllabics first (hub/fonts/fonts.css), then the system's.
FONT_FAMILY = '"Noto Sans Canadian Aboriginal", system-ui, sans-serif'


class LanguageChoices:
    """``{hub user: language}`` in a small SQLite file next to the hub's database."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, timeout=30)
        connection.execute("CREATE TABLE IF NOT EXISTS language "
                           "(user TEXT PRIMARY KEY, language TEXT NOT NULL)")
        return connection

    def get(self, user: str) -> str | None:
        with closing(self._connect()) as db:
            row = db.execute("SELECT language FROM language WHERE user = ?", (user,)).fetchone()
        return row[0] if row else None

    def set(self, user: str, language: str) -> None:
        with closing(self._connect()) as db, db:
            db.execute("INSERT INTO language (user, language) VALUES (?, ?) ON CONFLICT(user) "
                       "DO UPDATE SET language = excluded.language", (user, language))


def local_path(url: str) -> bool:
    """A path on this site (``/...``), never another host (``//host``, ``/\\host``, or
    ``/<tab>/host``: browsers drop tabs and newlines, then read ``//host``)."""
    unsafe = "\\" in url or any(ord(char) < 0x20 or ord(char) == 0x7F for char in url)
    return url.startswith("/") and not url.startswith("//") and not unsafe


class LanguageHandler(BaseHandler):
    """The language switch of every page (see the module docstring)."""

    def initialize(self, choices: LanguageChoices) -> None:
        self.choices = choices

    def get(self) -> None:
        language = self.get_query_argument("lang", "")
        if language not in LOCALE.languages:
            raise web.HTTPError(400, "%s", LOCALE.text(  # "%s": the text quotes the request
                "language.unknown", choose_language(self, LOCALE.languages),
                asked=repr(language[:20]), languages=", ".join(LOCALE.languages)))
        if self.current_user is not None:
            self.choices.set(self.current_user.name, language)
        remember_in_cookie(self, language)
        self.set_header("Cache-Control", "no-store")
        back = self.get_query_argument("next", "")
        if local_path(back):
            self.redirect(back)
        else:
            self.set_status(204)
            self.finish()


class FontHandler(web.StaticFileHandler):
    """The fonts of ``hub/fonts``, cached by browsers for a year (they never change name)."""

    def set_extra_headers(self, path: str) -> None:
        self.set_header("Cache-Control", "public, max-age=31536000, immutable")


def login_hook(choices: LanguageChoices):
    """``Authenticator.post_auth_hook``: the person's remembered language into the cookie,
    or, when they have none, the language the browser shows now becomes theirs."""

    def hook(authenticator: Any, handler: Any, authentication: dict | None) -> dict | None:
        if authentication:
            name, remembered = authentication["name"], choices.get(authentication["name"])
            browser = handler.get_cookie(COOKIE)
            if remembered in LOCALE.languages:
                remember_in_cookie(handler, remembered)
            elif browser in LOCALE.languages:
                choices.set(name, browser)
        return authentication

    return hook


def configure_language(c: Any, settings: Settings) -> None:
    """The language switch, the remembered languages and the fonts."""
    choices = LanguageChoices(settings.hub_dir / "languages.sqlite")
    c.JupyterHub.extra_handlers = [
        *c.JupyterHub.get("extra_handlers", []),
        (rf"/{SWITCH_PATH}", LanguageHandler, {"choices": choices}),
        (rf"/{FONTS_PATH}(.*)", FontHandler, {"path": str(FONTS)}),
    ]
    c.Authenticator.post_auth_hook = login_hook(choices)
