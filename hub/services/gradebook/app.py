"""The gradebook tornado application: routes, shared state and the entry point."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from jupyterhub.services.auth import HubOAuth, HubOAuthCallbackHandler
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError
from tornado import web

from hub.services import lifeline
from hub.services.records import open_database
from northlab.i18n import Catalog
from northlab.settings import SettingsError

from . import api, handlers
from .catalogue import LabCatalogue
from .config import ConfigError, GradebookConfig, load_config
from .marks import MarkBook
from .openclass import ServiceHubClient
from .roster import HubRoster

HERE = Path(__file__).parent
T = TypeVar("T")
log = logging.getLogger("northlab.gradebook")


class Gradebook:
    """State shared by every request: config, database, roster, catalogues, hub auth."""

    def __init__(self, config: GradebookConfig, *, engine: Engine, roster, hub_auth: HubOAuth,
                 labs: LabCatalogue | None = None) -> None:
        self.config = config
        self.engine = engine
        self.roster = roster
        self.hub_auth = hub_auth
        self.labs = labs or LabCatalogue.from_folder(config.labs_root)
        self.messages = Catalog(HERE / "locale")
        self.marks = MarkBook()
        #: The gradebook's own hub client: opens classes (hub/services/gradebook/openclass.py)
        self.hub = ServiceHubClient(config.api_url, config.api_token)
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="gradebook-db")

    async def read(self, work: Callable[[Connection], T]) -> T:
        """Run ``work`` with a read connection in a worker thread."""

        def run() -> T:
            with self.engine.connect() as conn:
                return work(conn)

        return await asyncio.get_running_loop().run_in_executor(self._pool, run)

    def application(self) -> web.Application:
        prefix = self.config.prefix
        state = {"gradebook": self}
        routes = [
            (r"", handlers.HomeHandler),
            (r"program", handlers.ProgramHandler),
            (r"cohort/([a-z0-9][a-z0-9-]*)", handlers.CohortHandler),
            (r"cohort/([a-z0-9][a-z0-9-]*)/open", handlers.OpenClassHandler),
            (r"cohort/([a-z0-9][a-z0-9-]*)/grades\.csv", handlers.GradesCsvHandler),
            (r"cohort/([a-z0-9][a-z0-9-]*)/summary\.csv", handlers.SummaryCsvHandler),
            (r"export/grades\.csv", handlers.GradesCsvHandler),
            (r"export/summary\.csv", handlers.SummaryCsvHandler),
            (r"learner/([^/]+)", handlers.LearnerHandler),
            (r"lab/([a-z0-9][a-z0-9-]*)", handlers.LabHandler),
            (r"me", handlers.MyProgressHandler),
            (r"api/cohorts", api.CohortsApiHandler),
            (r"api/cohorts/([a-z0-9][a-z0-9-]*)/grades", api.GradesApiHandler),
            (r"api/cohorts/([a-z0-9][a-z0-9-]*)/summary", api.SummaryApiHandler),
            (r"api/learners/([^/]+)", api.LearnerApiHandler),
            (r"api/me", api.MeApiHandler),
        ]
        specs = [(prefix + pattern, handler, state) for pattern, handler in routes]
        specs.append((prefix + "oauth_callback", OAuthCallbackHandler, state))
        specs.append((prefix + r".*", handlers.NotFoundHandler, state))
        return web.Application(
            specs,
            template_path=str(HERE / "templates"),
            static_path=str(HERE / "static"),
            static_url_prefix=prefix + "static/",
            # signs only the short-lived OAuth state and token cookies: a restart just
            # sends people through the (silent) hub login again
            cookie_secret=os.urandom(32),
            hub_auth=self.hub_auth,
            compress_response=True,
            xsrf_cookies=False,
        )


class OAuthCallbackHandler(HubOAuthCallbackHandler):
    """JupyterHub's OAuth callback with the gradebook's own ``HubOAuth``: the page a person
    asked for before logging in is kept there (the stock handler would look it up in
    ``HubOAuth.instance()`` and send everyone to the home page)."""

    def initialize(self, gradebook: Gradebook) -> None:
        self.hub_auth = gradebook.hub_auth


def build(config: GradebookConfig) -> Gradebook:
    """The production wiring: hub OAuth, hub roster, the shared database (read only)."""
    hub_auth = HubOAuth(api_url=config.api_url, api_token=config.api_token,
                        cache_max_age=60)
    return Gradebook(
        config,
        engine=open_database(config.database_url, migrate=False),
        roster=HubRoster(config.api_url, config.api_token, ttl=config.roster_ttl),
        hub_auth=hub_auth,
    )


def main() -> None:
    """Start the service (the hub runs ``python -m hub.services.gradebook``)."""
    logging.basicConfig(level=logging.INFO, format="[gradebook %(levelname)s] %(message)s")
    try:
        config = load_config()
    except (ConfigError, SettingsError) as exc:
        sys.exit(f"gradebook: {exc}")
    if not config.api_token:
        sys.exit("gradebook: JUPYTERHUB_API_TOKEN is not set; the gradebook runs as a "
                 "JupyterHub-managed service (see hub/services/gradebook/__init__.py).")

    async def serve() -> None:
        gradebook = build(config)
        lifeline.listen(gradebook.application(), config.ip, config.port, xheaders=True)
        log.info("gradebook listening on %s%s", config.bind_url, config.prefix)
        try:
            await gradebook.read(gradebook.marks.refresh)  # warm up: read every result once
            log.info("gradebook marks loaded")
        except OperationalError as exc:  # no results database yet: pages answer 503 until then
            log.warning("results database not readable yet: %s", exc)
        await asyncio.Event().wait()  # until SIGTERM (from the hub, or its lifeline)

    asyncio.run(serve())
