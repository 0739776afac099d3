"""The kit service's tornado application (see the package docstring)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import tarfile
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import IO
from urllib.parse import urlparse

from jupyterhub.services.auth import HubAuth
from tornado import ioloop, web

from graders.lab import LabError, load_lab
from hub.config.settings import Settings, load_settings
from hub.kit.build import LOCALE
from hub.kit.collect import HandIn, check_kit, grade_hand_in, hand_in, take_attempt
from hub.kit.manifest import ManifestError
from hub.services import archives, lifeline
from northlab.groups import cohort_group

log = logging.getLogger("northlab.kit")
MAX_UPLOAD = 48 * 1024 * 1024
MAX_MEMBERS = 4000


class BadUpload(ValueError):
    """The body is not a kit archive within the limits."""


def unpack(body: bytes, into: Path) -> None:
    """Write the regular files of the gzipped tar ``body`` under ``into``: only
    ``manifest.json`` and ``work/...``, no links, no ``..``, within the size limits
    (read by :func:`hub.services.archives.walk`: bounded memory whatever the headers say)."""

    def keep(member: tarfile.TarInfo, content: IO[bytes] | None) -> None:
        parts = PurePosixPath(member.name).parts
        if content is None or member.name.startswith("/") or ".." in parts or not parts \
                or (parts != ("manifest.json",) and parts[0] != "work"):
            return  # folders are implied; links and devices are never made
        target = into.joinpath(*parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "wb") as out:
            shutil.copyfileobj(content, out)

    try:
        archives.walk(body, keep, max_bytes=MAX_UPLOAD, max_members=MAX_MEMBERS)
    except archives.ArchiveLimit as exc:
        raise BadUpload(exc.reason) from None
    except OSError:  # a file over a folder, a name the file system refuses: the upload's fault
        raise BadUpload("unreadable") from None


class GradingQueue:
    """The one grading thread. Per learner and lab at most one job waits: a newer hand-in
    is graded by the waiting job (it reads the newest landing when it starts), so one
    learner cannot queue grading in front of everyone. Each job is one graded attempt,
    within the lab's ``[feedback] attempts``."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kit-grade")
        self.waiting: set[tuple[str, str, str]] = set()
        self.lock = threading.Lock()

    def add(self, result: HandIn) -> None:
        """Queue the landed labs of ``result``; a lab whose attempts are used becomes
        ``no_attempts`` (it stays handed in for the instructor)."""
        cohort, track = result.manifest["cohort"], result.manifest["track"]
        for outcome in result.labs:
            if outcome.status != "collected":
                continue
            key = (cohort, result.learner, outcome.lab)
            try:
                attempts = load_lab(self.settings.labs_root / track / outcome.lab
                                    ).feedback.attempts
            except LabError:  # handed in all the same; the instructor's grading says why
                log.exception("lab %s of track %s cannot be loaded", outcome.lab, track)
                continue
            with self.lock:
                if key in self.waiting:
                    continue
                if not take_attempt(self.settings, cohort, result.learner, outcome.lab,
                                    attempts):
                    outcome.status = "no_attempts"
                    outcome.values["attempts"] = attempts
                    continue
                self.waiting.add(key)
            self.pool.submit(self._grade, replace(result, labs=[outcome]), key)

    def _grade(self, result: HandIn, key: tuple[str, str, str]) -> None:
        with self.lock:
            self.waiting.discard(key)
        try:
            grade_hand_in(self.settings, result)
        except Exception:  # the hand-in is safe in submitted/; `northlab grade` can redo it
            log.exception("grading the kit hand-in of %s failed", result.learner)


class HandInHandler(web.RequestHandler):
    """``POST handin``: the learner's token, a kit archive as the body."""

    @property
    def kit_settings(self) -> Settings:
        return self.settings["kit_settings"]

    def check_xsrf_cookie(self) -> None:
        """Token-authenticated API: no cookies, so no cross-site request forgery."""

    def answer(self, status: int, messages: list[dict[str, str]]) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"messages": messages}, ensure_ascii=False))

    def refuse(self, status: int, message_id: str, **values: object) -> None:
        self.answer(status, [LOCALE.all_languages(message_id, **values)])

    async def post(self) -> None:
        hub_auth: HubAuth = self.settings["hub_auth"]
        model = await hub_auth.get_user(self, sync=False)
        if not model or model.get("kind", "user") != "user":
            raise web.HTTPError(403)
        learner = model["name"]
        if len(self.request.body) > MAX_UPLOAD:
            self.refuse(413, "launcher.too_big")
            return
        loop = asyncio.get_running_loop()
        scratch = Path(tempfile.mkdtemp(prefix="northlab-kit-sync-"))
        try:
            await loop.run_in_executor(self.settings["pool"], unpack, self.request.body,
                                       scratch)
            result = await loop.run_in_executor(self.settings["pool"], self._hand_in,
                                                scratch, learner,
                                                set(model.get("groups") or []))
            if result.landed:
                await loop.run_in_executor(self.settings["pool"], self.settings["grading"].add,
                                           result)
        except BadUpload as exc:
            self.refuse(400, "kit.error.bad_upload" if str(exc) == "unreadable"
                        else "kit.error.upload_limit")
            return
        except ManifestError as exc:
            self.refuse(400 if exc.message_id != "kit.error.not_in_cohort" else 403,
                        exc.message_id, **exc.values)
            return
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        self.answer(200, [LOCALE.all_languages(lab.message_id, **lab.values)
                          for lab in result.labs])

    def _hand_in(self, kit: Path, learner: str, groups: set[str]) -> HandIn:
        body, _ = check_kit(self.kit_settings, kit, learner)
        if body["learner"] is None and cohort_group(body["cohort"]) not in groups:
            raise ManifestError("kit.error.not_in_cohort", learner=learner,
                                cohort=body["cohort"])
        return hand_in(self.kit_settings, kit, learner=learner, via="sync")


def make_app(settings: Settings, hub_auth: HubAuth, prefix: str) -> web.Application:
    return web.Application(
        [(prefix.rstrip("/") + "/handin", HandInHandler)],
        kit_settings=settings, hub_auth=hub_auth,
        pool=ThreadPoolExecutor(max_workers=2, thread_name_prefix="kit-handin"),
        grading=GradingQueue(settings),
    )


def main() -> None:
    logging.basicConfig(level=logging.INFO)
    url = urlparse(os.environ.get("JUPYTERHUB_SERVICE_URL", "http://127.0.0.1:10105"))
    prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/services/kit/")
    app = make_app(load_settings(), HubAuth(), prefix)
    lifeline.listen(app, url.hostname or "127.0.0.1", url.port or 80,
                    max_body_size=MAX_UPLOAD + 1024 * 1024)
    ioloop.IOLoop.current().start()
