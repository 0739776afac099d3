"""The feedback service's web API and its main loop.

Route (under the service prefix, ``/services/feedback/``)::

    GET api/feedback[?course_id=]   the caller's submissions graded on submit, oldest first

Each entry: ``course``, ``lab``, ``state`` (``queued`` with ``position``, ``grading``,
``graded`` with ``score``/``max_score``/``tests``/``error``, or ``limit``: no attempt left),
``attempt`` and ``attempts`` (0: no limit), and ``message``: the state in one sentence per
language; ``on_submit`` lists the assignments graded on submit. There is no route that
grades or resets anything: submissions reach the service only through the exchange.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
from urllib.parse import urlparse

from jupyterhub.services.auth import HubAuth
from tornado import ioloop, web

from graders.outbox import Outbox
from hub.services import lifeline
from hub.services.exchange.hubconfig import store_path as exchange_store
from hub.services.feedback.grading import Graders, Watcher
from hub.services.feedback.spool import Spool
from hub.services.feedback.view import message
from northlab.settings import FeedbackSettings, load

LOG = logging.getLogger("northlab.feedback")
SERVICE_NAME = "feedback"
#: What a request holds that its learner is not shown (server paths, timings).
PRIVATE = ("folder", "id", "copy_error", "learner_seconds")
#: Seconds between two looks into the exchange for new submissions.
SCAN_SECONDS = 0.5


class FeedbackHandler(web.RequestHandler):
    """``GET api/feedback``: the token owner's own entries, never anyone else's."""

    def check_xsrf_cookie(self) -> None:
        """Token-authenticated API: no cookies, so no cross-site request forgery."""

    async def get(self) -> None:
        hub_auth: HubAuth = self.settings["hub_auth"]
        model = await hub_auth.get_user(self, sync=False)
        if not model or model.get("kind", "user") != "user":
            raise web.HTTPError(403)
        course = self.get_argument("course_id", "") or None
        spool: Spool = self.settings["spool"]
        entries = await asyncio.get_running_loop().run_in_executor(
            None, spool.entries, model["name"], course)
        shown = [{**{k: v for k, v in e.items() if k not in PRIVATE}, "message": message(e)}
                 for e in entries]
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        on_submit = sorted(self.settings["watcher"].labs())
        self.finish(json.dumps({"user": model["name"], "entries": shown,
                                "on_submit": on_submit}, ensure_ascii=False))


def make_app(spool: Spool, watcher: Watcher, hub_auth: HubAuth,
             prefix: str) -> web.Application:
    return web.Application([(prefix.rstrip("/") + "/api/feedback", FeedbackHandler)],
                           spool=spool, watcher=watcher, hub_auth=hub_auth)


def main() -> None:
    """Start the service: recover the spool, warm the graders, watch, grade and answer."""
    logging.basicConfig(level=logging.INFO, format="[feedback %(levelname)s] %(message)s")
    settings = load(FeedbackSettings)
    spool = Spool(settings.data_root / "feedback")
    recovered = spool.recover()
    if recovered:
        LOG.info("%d request(s) left running by the last run are queued again", recovered)
    graders = Graders(spool, settings.labs_root, Outbox(settings.data_root / "outbox"),
                      concurrency=settings.concurrency)
    watcher = Watcher(settings.exchange_root, settings.labs_root, spool,
                      exchange_store(settings.data_root))
    url = urlparse(os.environ.get("JUPYTERHUB_SERVICE_URL", "http://127.0.0.1:10106"))
    prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", f"/services/{SERVICE_NAME}/")
    lifeline.listen(make_app(spool, watcher, HubAuth(), prefix), url.hostname or "127.0.0.1",
                    url.port or 80)
    loop = ioloop.IOLoop.current()
    graders.start()
    loop.run_in_executor(None, graders.warm,
                         [lab for labs in watcher.labs().values() for lab in labs])

    async def watch() -> None:
        while not graders.stopping.is_set():
            try:
                if await loop.run_in_executor(None, watcher.scan):
                    graders.wake.set()
            except Exception:  # the next pass tries again; grading never stops for good
                LOG.exception("the exchange could not be scanned")
            await asyncio.sleep(SCAN_SECONDS)

    def stop(*_: object) -> None:
        loop.add_callback_from_signal(loop.stop)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    loop.add_callback(watch)
    try:
        loop.start()
    finally:
        graders.stop()
