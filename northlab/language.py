"""One language choice for every northlab page: the ``northlab-lang`` cookie.

Hub pages, JupyterLab (the ``@northlab/lab`` extension) and the services all read and write
the same cookie, on path ``/`` and readable by scripts (it holds only a language code), so a
language chosen once on any page is the language of every other page. The hub also remembers
each person's choice (:mod:`hub.pages.language`): every page's switch goes through
:func:`switch_url`, and logging in puts the remembered language back in the cookie.

A page shows English where its language has no translation yet (Inuktitut, mostly): such a
text is a :class:`Shown` that knows its language, and pages mark it ``lang="en"`` so that
screen readers switch voice (Jinja pages: the Foundations pages' ``finalize``; Tornado
pages: :class:`Marked`).
"""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from tornado.web import RequestHandler

from northlab.i18n import Catalog, Shown, pick, pick_language

COOKIE = "northlab-lang"
COOKIE_PATH = "/"
COOKIE_DAYS = 365
#: The hub's language switch, under the hub prefix (``/hub/northlab/language``).
SWITCH_PATH = "northlab/language"


def remember_in_cookie(handler: RequestHandler, language: str) -> None:
    """Set the shared cookie (nothing when it already says ``language``)."""
    if handler.get_cookie(COOKIE) != language:
        handler.set_cookie(COOKIE, language, path=COOKIE_PATH, expires_days=COOKIE_DAYS,
                           samesite="Lax")


def choose_language(handler: RequestHandler, available: list[str]) -> str:
    """``?lang=`` (then remembered in the cookie), the cookie, else Accept-Language."""
    asked = handler.get_query_argument("lang", None)
    if asked in available:
        remember_in_cookie(handler, asked)
        return asked
    remembered = handler.get_cookie(COOKIE)
    if remembered in available:
        return remembered
    return pick_language(handler.request.headers.get("Accept-Language"), available)


def switch_url(hub_prefix: str, language: str, here: str) -> str:
    """The link that chooses ``language`` for the signed-in person (remembered by the hub)
    and comes back to ``here``, a path with its query, minus any ``lang`` parameter."""
    parts = urlsplit(here)
    query = urlencode([(key, value) for key, value in parse_qsl(parts.query, True)
                       if key != "lang"])
    back = urlunsplit(("", "", parts.path, query, ""))
    return f"{hub_prefix}{SWITCH_PATH}?{urlencode({'lang': language, 'next': back})}"


def shown(catalog: Catalog, message_id: str, language: str, **values: object) -> Shown:
    """A catalogue's message in ``language``, or in English where it has no translation."""
    return Shown(catalog.text(message_id, language, **values),
                 catalog.language_of(message_id, language))


def other_language(language: str, text: Any) -> str | None:
    """The language of ``text`` when it is not the page's (None: the page's, or unknown)."""
    lang = getattr(text, "lang", None)
    return lang if lang and lang != language else None


def in_page(text: Any, language: str) -> str:
    """``text`` as HTML for a page in ``language``: escaped, inside ``<span lang>`` when it is
    in another language (screen readers switch voice)."""
    escaped = html.escape(str(text))
    lang = other_language(language, text)
    return f'<span lang="{lang}">{escaped}</span>' if lang else escaped


class Marked:
    """Texts of one catalogue for a Tornado page in ``language``, as HTML for ``{% raw %}``:
    ``{% raw m("key", name=x) %}``, ``{% raw m.pick(lab.title) %}``. Where a text is not in
    the page's language (not translated yet) it is marked with its own."""

    def __init__(self, catalog: Catalog, language: str) -> None:
        self.catalog, self.language = catalog, language

    def __call__(self, message_id: str, **values: object) -> str:
        return in_page(shown(self.catalog, message_id, self.language, **values), self.language)

    def pick(self, texts: Any, fallback: str = "") -> str:
        return in_page(pick(texts, self.language, fallback), self.language)
