"""One language choice for every northlab page: the ``northlab-lang`` cookie.

Hub pages, JupyterLab (the ``@northlab/lab`` extension) and the services all read and write
the same cookie, on path ``/`` and readable by scripts (it holds only a language code), so a
language chosen once on any page is the language of every other page. The hub also remembers
each person's choice (:mod:`hub.user_language`): every page's switch goes through
:func:`switch_url`, and logging in puts the remembered language back in the cookie.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from tornado.web import RequestHandler

from graders.i18n import pick_language

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
