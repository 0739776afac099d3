"""northlab's hub pages (``hub/templates``): login, sign-up, authorize, error, track, start-up.

Every text comes from the hub catalogue (``page.*`` messages of ``hub/locale``). A page
carries each text in every language; a few bytes of inline script show the one named by the
``northlab-lang`` cookie (:mod:`northlab.language`), or the browser's language, and the page's
language buttons set that cookie for every northlab page (hub, JupyterLab, services).
"""

from __future__ import annotations

from typing import Any

from hub.pages.language import FONT_FAMILY, FONTS, FONTS_PATH
from hub.people.roles import GRADEBOOK
from hub.tracks import HUB_DIR, LOCALE
from northlab.groups import COHORT_PREFIX, cohort_of_group
from northlab.i18n import DEFAULT_LANGUAGE, Catalog
from northlab.language import COOKIE, SWITCH_PATH

TEMPLATES = HUB_DIR / "templates"
PREFIX = "page."
#: The admin panel's controls (JupyterHub 5's page, hub/templates/admin.html) and the scope
#: each needs: a control the viewer's scopes forbid would only show an error.
ADMIN_CONTROLS = (
    ("admin:users", ".add-users-button"),  # Add Users
    ("admin:users", "td.actions > .btn:last-child"),  # Edit User, last of a user's actions
    ("admin:groups", 'a[href$="/groups"]'),  # Manage Groups
    ("shutdown", "#shutdown-button"),  # Shutdown Hub
)


class PageTexts:
    """The templates' ``nl``: ``nl.text("sign_in", "fr")``, languages and page settings."""

    def __init__(self, catalog: Catalog = LOCALE, *, password_min: int = 1,
                 approvals: bool = False) -> None:
        self.catalog = catalog
        self.languages = catalog.languages
        self.cookie = COOKIE
        self.switch_path = SWITCH_PATH
        self.font_family = FONT_FAMILY
        self.password_min = password_min
        #: NativeAuthenticator's sign-up approval page (/hub/authorize) exists.
        self.approvals = approvals

    def text(self, key: str, language: str, **values: Any) -> str:
        """``page.<key>`` in ``language`` (English when missing), ``{name}`` filled in."""
        return self.catalog.text(PREFIX + key, language, **values)

    def lang_of(self, key: str, language: str) -> str:
        """The language ``page.<key>`` is shown in for ``language`` (English if untranslated)."""
        return self.catalog.language_of(PREFIX + key, language)

    def all(self, key: str, **values: Any) -> dict[str, str]:
        """``page.<key>`` in every language."""
        return {lang: self.text(key, lang, **values) for lang in self.languages}

    def is_staff(self, user: Any, scopes: set[str] | None) -> bool:
        """Admins, and whoever may read a gradebook (leads, instructors: filtered scopes)."""
        if user is None:
            return False
        return bool(user.admin) or any(s.split("!")[0] == GRADEBOOK for s in scopes or ())

    def classes_to_open(self, scopes: set[str] | None) -> list[str]:
        """Cohorts whose learners' servers the viewer may start (``servers`` filtered to
        ``group=cohort-<id>``: a course's instructors), for the "Open the class" button."""
        prefix = f"servers!group={COHORT_PREFIX}"
        return sorted(cohort for scope in scopes or () if scope.startswith(prefix)
                      and (cohort := cohort_of_group(scope.split("=", 1)[1])))

    def forbidden_admin_controls(self, scopes: set[str]) -> list[str]:
        """CSS selectors of the admin panel's controls that ``scopes`` (the viewer's, as
        JupyterHub's ``parsed_scopes``) do not allow: only unfiltered scopes count."""
        return [selector for scope, selector in ADMIN_CONTROLS if scope not in scopes]

    def font_faces(self, base_url: str) -> str:
        """hub/fonts/fonts.css, inline, its fonts served under the hub's ``base_url``."""
        css = (FONTS / "fonts.css").read_text(encoding="utf-8")
        return css.replace('url("', f'url("{base_url}{FONTS_PATH}')

    def name(self, language: str) -> str:
        """A language's own name (the button that chooses it)."""
        return self.catalog.text("language.name", language)

    @property
    def default(self) -> str:
        return DEFAULT_LANGUAGE


def configure_pages(c: Any) -> None:
    """northlab's templates before JupyterHub's own, and their texts."""
    native = c.NativeAuthenticator
    password_min = native.minimum_password_length if "minimum_password_length" in native else 1
    c.JupyterHub.template_paths = [str(TEMPLATES)]
    approvals = "nativeauthenticator" in str(c.JupyterHub.get("authenticator_class", ""))
    c.JupyterHub.template_vars = {
        "nl": PageTexts(password_min=password_min, approvals=approvals)
    }
