"""Page handlers: every page checks the viewer's scopes before reading anything.

Denials are HTTP 403 (a localized page); unknown things are 404; a page needing login
sends the browser through the hub's OAuth login.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlencode

import requests
from jupyterhub.services.auth import HubOAuthenticated, UserNotAllowed
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError
from tornado import web
from tornado.log import app_log

from northlab.language import Marked, choose_language, switch_url

from . import charts, exports, queries, views
from .access import Viewer
from .openclass import ClassNotOpened, labs_ready, warm_cohort
from .roster import RosterUnavailable, Snapshot

if TYPE_CHECKING:
    from .app import Gradebook

T = TypeVar("T")
LEARNER_NAME = re.compile(r"^[^/\x00-\x1f]{1,128}$")
CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; font-src 'self'; "
       "form-action 'self'; "
       "frame-ancestors 'self'; base-uri 'none'")


class BaseHandler(HubOAuthenticated, web.RequestHandler):
    """Identifies the viewer through the hub, picks the language, renders pages."""

    api = False

    def initialize(self, gradebook: Gradebook) -> None:
        self.gb = gradebook
        self.hub_auth = gradebook.hub_auth
        self.started = time.perf_counter()
        self.db_ms = 0.0
        self.language = "en"
        self.viewer = Viewer(name="")

    def set_default_headers(self) -> None:
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Content-Security-Policy", CSP)
        self.set_header("Referrer-Policy", "same-origin")

    async def prepare(self) -> None:
        self.language = self._choose_language()
        model = await self.hub_auth.get_user(self, sync=False)
        if model is not None:
            try:
                model = self.check_hub_user(model)
            except UserNotAllowed:
                raise web.HTTPError(403) from None
        self._hub_auth_user_cache = model
        if model is None:
            if self.api or self.request.method not in ("GET", "HEAD"):
                raise web.HTTPError(403)
            self.redirect(self.get_login_url())
            return
        self.viewer = Viewer.from_model(model)

    # -- helpers for subclasses ---------------------------------------------------------

    def t(self, message_id: str, **values: object) -> str:
        return self.gb.messages.text(message_id, self.language, **values)

    def require_staff(self) -> None:
        if not self.viewer.is_staff:
            raise web.HTTPError(403)

    async def snapshot(self) -> Snapshot:
        try:
            return await self.gb.roster.snapshot()
        except RosterUnavailable:
            raise web.HTTPError(503) from None

    async def program_view(self) -> views.ProgramView:
        """The program overview of the cohorts this (staff) viewer may see."""
        self.require_staff()
        snapshot = await self.snapshot()
        gb = self.gb
        return await self.read(lambda conn: views.program(
            conn, snapshot, self.viewer, gb.labs, gb.config.pass_percent, gb.marks))

    async def read(self, work: Callable[[Connection], T]) -> T:
        started = time.perf_counter()
        try:
            return await self.gb.read(work)
        except OperationalError:
            # e.g. the credential service has not created the results database yet
            app_log.exception("gradebook: cannot read the results database")
            raise web.HTTPError(503) from None
        finally:
            self.db_ms += (time.perf_counter() - started) * 1000

    async def call_hub(self, work: Callable[..., T], *args: object) -> T:
        """``work(<the gradebook's hub client>, *args)`` in a thread; 503 if the hub fails."""
        try:
            return await asyncio.get_running_loop().run_in_executor(
                None, work, self.gb.hub, *args)
        except (ClassNotOpened, requests.RequestException):
            app_log.exception("gradebook: the hub did not answer")
            raise web.HTTPError(503) from None

    def check_cohort(self, snapshot: Snapshot, cohort: str) -> None:
        if not self.viewer.may_see_cohort(cohort):
            raise web.HTTPError(403)
        if cohort not in snapshot.members:
            raise web.HTTPError(404)

    def check_learner(self, snapshot: Snapshot, name: str) -> None:
        """Staff may open learners of their cohorts; admins anyone."""
        if not LEARNER_NAME.match(name):
            raise web.HTTPError(404)
        if self.viewer.sees_all:
            return
        if not any(self.viewer.may_see_cohort(c) for c in snapshot.cohorts_of(name)):
            raise web.HTTPError(403)

    def url(self, path: str = "", **params: object) -> str:
        query = {k: v for k, v in params.items() if v not in (None, "")}
        return self.gb.config.prefix + path + (f"?{urlencode(query)}" if query else "")

    def switch_language(self, language: str) -> str:
        """Through the hub, which remembers the choice for the viewer."""
        return switch_url(self.hub_auth.hub_prefix, language, self.request.uri)

    def percent(self, value: float | None) -> str:
        return "—" if value is None else self.t("format.percent", value=f"{value:.0f}")

    def timing(self) -> None:
        total = (time.perf_counter() - self.started) * 1000
        self.set_header("Server-Timing", f"db;dur={self.db_ms:.1f}, total;dur={total:.1f}")

    def get_template_namespace(self) -> dict[str, Any]:
        namespace = super().get_template_namespace()
        namespace.update(
            _=self.t, m=Marked(self.gb.messages, self.language), lang=self.language,
            viewer=self.viewer, url=self.url,
            switch_language=self.switch_language, pct=self.percent, when=_when,
            hub_url=self.hub_auth.hub_prefix,
            languages=[(code, self.gb.messages.text("language.name", code))
                       for code in self.gb.messages.languages],
        )
        return namespace

    def render_page(self, template: str, **values: object) -> None:
        html = self.render_string(template, **values)
        self.timing()
        self.set_header("Cache-Control", "private, no-store")
        self.finish(html)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        key = status_code if status_code in (400, 403, 404, 503) else 500
        self.set_header("Cache-Control", "no-store")
        self.finish(self.render_string(
            "error.html", status=status_code, title=self.t(f"error.{key}.title"),
            message=self.t(f"error.{key}.text"),
        ))

    def _choose_language(self) -> str:
        return choose_language(self, self.gb.messages.languages)


class HomeHandler(BaseHandler):
    def get(self) -> None:
        self.redirect(self.url("program" if self.viewer.is_staff else "me"))


class ProgramHandler(BaseHandler):
    async def get(self) -> None:
        view = await self.program_view()
        opened = self.get_query_argument("opened", "")
        ready = None
        if opened and self.viewer.may_see_cohort(opened):
            ready = await self.call_hub(labs_ready, opened)
        failed = self.get_query_argument("failed", "0")
        self.render_page("program.html", view=view, layouts=exports.LMS_LAYOUTS,
                         opened=opened, ready=ready, failed=int(failed) if failed.isdigit() else 0)


class OpenClassHandler(BaseHandler):
    """Open the class: start the labs of a cohort's learners (staff of that cohort only;
    HubOAuth refuses a POST without the page's XSRF token)."""

    async def post(self, cohort: str) -> None:
        self.require_staff()
        self.check_cohort(await self.snapshot(), cohort)
        warmed = await self.call_hub(warm_cohort, cohort)
        self.redirect(self.url("program", opened=cohort, failed=len(warmed.failed) or None),
                      status=303)


class CohortHandler(BaseHandler):
    async def get(self, cohort: str) -> None:
        self.require_staff()
        snapshot = await self.snapshot()
        self.check_cohort(snapshot, cohort)
        sort = self.get_query_argument("sort", "learner")
        if sort not in views.SORT_KEYS and not sort.startswith("lab:"):
            raise web.HTTPError(400)
        direction = self.get_query_argument("dir", "asc")
        status = self.get_query_argument("status", "all")
        query = self.get_query_argument("q", "").strip()[:64]
        if direction not in ("asc", "desc") or status not in views.STATUSES:
            raise web.HTTPError(400)
        gb = self.gb
        view = await self.read(lambda conn: views.cohort(
            conn, snapshot, cohort, gb.labs, gb.config.pass_percent, gb.marks,
            sort=sort, direction=direction, query=query, status=status))

        def sort_url(key: str) -> str:
            flip = "desc" if key == sort and direction == "asc" else "asc"
            return self.url(f"cohort/{cohort}", sort=key, dir=flip, q=query,
                            status=None if status == "all" else status)

        def aria_sort(key: str) -> str:
            return ("ascending" if direction == "asc" else "descending") if key == sort else ""

        self.render_page("cohort.html", view=view, statuses=views.STATUSES,
                         pass_percent=gb.config.pass_percent, layouts=exports.LMS_LAYOUTS,
                         sort_url=sort_url, aria_sort=aria_sort)


class LearnerHandler(BaseHandler):
    async def get(self, name: str) -> None:
        if name == self.viewer.name:
            self.redirect(self.url("me"))
            return
        self.require_staff()
        snapshot = await self.snapshot()
        self.check_learner(snapshot, name)
        gb = self.gb
        view = await self.read(lambda conn: views.learner(
            conn, snapshot, name, gb.labs, gb.config.pass_percent, hidden_detail=True))
        if not view.labs and not view.cohorts:
            raise web.HTTPError(404)
        self.render_page("learner.html", view=view, mine=False,
                         pass_percent=gb.config.pass_percent)


class MyProgressHandler(BaseHandler):
    async def get(self) -> None:
        snapshot = await self.snapshot()
        gb = self.gb
        name = self.viewer.name
        view = await self.read(lambda conn: views.learner(
            conn, snapshot, name, gb.labs, gb.config.pass_percent, hidden_detail=False))
        self.render_page("learner.html", view=view, mine=True,
                         pass_percent=gb.config.pass_percent)


class LabHandler(BaseHandler):
    async def get(self, lab: str) -> None:
        self.require_staff()
        snapshot = await self.snapshot()
        cohort = self.get_query_argument("cohort", "") or None
        if cohort is not None:
            self.check_cohort(snapshot, cohort)
        gb = self.gb
        view = await self.read(lambda conn: views.lab(
            conn, snapshot, self.viewer, lab, gb.labs, cohort))
        if not view.marks and lab not in gb.labs.labs:
            raise web.HTTPError(404)
        title = view.lab.title_in(self.language)
        bins = charts.histogram_bins(view.marks)
        histogram = charts.histogram_svg(
            bins, chart_id="marks", title=self.t("lab.histogram.title", lab=title),
            desc=self.t("lab.histogram.desc", count=len(view.marks)),
            axis_label=self.t("lab.histogram.axis"))
        rates = charts.pass_rate_svg(
            [(test.name, test.pass_rate) for test in view.tests], chart_id="tests",
            title=self.t("lab.tests.title", lab=title), desc=self.t("lab.tests.desc"))
        self.render_page("lab.html", view=view, bins=bins, histogram=histogram, rates=rates)


class ExportHandler(BaseHandler):
    """CSV downloads of one cohort (``cohort/<id>/...``) or every visible cohort."""

    async def cohort_views(self, cohort: str | None) -> list[views.CohortView]:
        self.require_staff()
        snapshot = await self.snapshot()
        if cohort is not None:
            self.check_cohort(snapshot, cohort)
            ids = [cohort]
        else:
            ids = self.viewer.visible_cohorts(snapshot.cohorts)
        gb = self.gb
        return await self.read(lambda conn: views.cohorts(
            conn, snapshot, ids, gb.labs, gb.config.pass_percent, gb.marks))

    def send_csv(self, body: str, filename: str) -> None:
        self.timing()
        self.set_header("Content-Type", "text/csv; charset=utf-8")
        self.set_header("Content-Disposition", f'attachment; filename="{filename}"')
        self.set_header("Cache-Control", "private, no-store")
        self.finish(body.encode("utf-8"))


class GradesCsvHandler(ExportHandler):
    async def get(self, cohort: str | None = None) -> None:
        found = await self.cohort_views(cohort)
        rows = exports.grade_rows(found, self.language, self.gb.config.pass_percent)
        self.send_csv(exports.grade_rows_csv(rows), f"grades-{cohort or 'program'}.csv")


class SummaryCsvHandler(ExportHandler):
    async def get(self, cohort: str | None = None) -> None:
        layout = self.get_query_argument("layout", "generic")
        if layout not in exports.LMS_LAYOUTS:
            raise web.HTTPError(400)
        found = await self.cohort_views(cohort)
        learners = sorted({row.learner for view in found for row in view.rows})
        earned = await self.read(lambda conn: queries.credential_counts(conn, learners))
        body = exports.summary_for(found, earned, self.language, layout)
        self.send_csv(body, f"summary-{cohort or 'program'}-{layout}.csv")


class NotFoundHandler(BaseHandler):
    def get(self) -> None:
        raise web.HTTPError(404)




def _when(value: datetime | None) -> str:
    return "—" if value is None else value.strftime("%Y-%m-%d %H:%M")
