"""One language choice for every northlab page: the ``northlab-lang`` cookie.

Hub pages, JupyterLab (the ``@northlab/lab`` extension) and the services all read and write
the same cookie, on path ``/`` and readable by scripts (it holds only ``en`` or ``fr``), so
a language chosen once on any page is the language of every other page.
"""

from __future__ import annotations

from tornado.web import RequestHandler

from graders.i18n import pick_language

COOKIE = "northlab-lang"
COOKIE_PATH = "/"
COOKIE_DAYS = 365


def choose_language(handler: RequestHandler, available: list[str]) -> str:
    """``?lang=`` (then remembered in the cookie), the cookie, else Accept-Language."""
    asked = handler.get_query_argument("lang", None)
    if asked in available:
        if handler.get_cookie(COOKIE) != asked:
            handler.set_cookie(COOKIE, asked, path=COOKIE_PATH, expires_days=COOKIE_DAYS,
                               samesite="Lax")
        return asked
    remembered = handler.get_cookie(COOKIE)
    if remembered in available:
        return remembered
    return pick_language(handler.request.headers.get("Accept-Language"), available)
