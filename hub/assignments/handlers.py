"""Tornado handlers for the Assignments tab: each request runs :mod:`hub.assignments.worker`.

URLs and answers are nbgrader 0.9's (``/assignments``, ``/assignments/<action>``,
``/assignments/validate``, ``/courses``, ``/nbgrader_version``), so the stock lab extension
works unchanged. The worker runs in a child process with the server's environment and
folder; unlike nbgrader's handlers, the server's event loop never waits on the exchange.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from importlib.metadata import version
from typing import Any
from urllib.parse import urlencode

from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.utils import url_path_join
from tornado import web
from tornado.httpclient import AsyncHTTPClient, HTTPClientError

from hub.services.feedback.view import learner_answer, learner_view, unreachable
from hub.tracks import LOCALE
from northlab.language import choose_language

#: Longest a request may run (a submission copies the learner's folder into the exchange).
TIMEOUT_SECONDS = 300
ACTIONS = ("fetch", "submit", "fetch_feedback")


def failure(message_id: str, language: str, **values: object) -> dict[str, Any]:
    """nbgrader's failure answer carrying one of our messages, in the learner's language."""
    return {"success": False, "value": LOCALE.text(message_id, language, **values)}


async def run_worker(root_dir: str, request: dict[str, Any], language: str,
                     module: str = "hub.assignments.worker") -> dict[str, Any]:
    """Run one request in a worker process (``python -m <module>``); its last stdout line
    is the JSON answer."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-P", "-m", module, json.dumps(request),
        cwd=root_dir, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), TIMEOUT_SECONDS)
    except TimeoutError:
        process.kill()
        await process.wait()
        return failure("assignments.timeout", language, seconds=TIMEOUT_SECONDS)
    lines = stdout.decode(errors="replace").strip().splitlines()
    try:
        return json.loads(lines[-1])
    except (IndexError, ValueError):
        tail = stderr.decode(errors="replace").strip().splitlines()[-1:] or ["?"]
        return failure("assignments.worker_failed", language, detail=tail[0])


class AssignmentsHandler(JupyterHandler):
    """Base: read the request like nbgrader does (query arguments, else a JSON body)."""

    @property
    def language(self) -> str:
        """The language chosen on any northlab page (northlab.language), else the browser's."""
        return choose_language(self, LOCALE.languages)

    def arguments(self, *names: str) -> dict[str, str]:
        try:
            return {name: self.get_argument(name) for name in names}
        except web.MissingArgumentError:
            body = self.get_json_body() or {}
            if not all(isinstance(body.get(name), str) for name in names):
                raise web.HTTPError(400, f"Expected {', '.join(names)}.") from None
            return {name: body[name] for name in names}

    async def answer(self, action: str, **arguments: str) -> None:
        result = await run_worker(self.settings["northlab_assignments_root"],
                                  {"action": action, **arguments}, self.language)
        self.finish(json.dumps(result))


class ListHandler(AssignmentsHandler):
    @web.authenticated
    async def get(self) -> None:
        await self.answer("list", **self.arguments("course_id"))


class ActionHandler(AssignmentsHandler):
    @web.authenticated
    async def post(self, action: str) -> None:
        await self.answer(action, **self.arguments("course_id", "assignment_id"))


class ValidateHandler(AssignmentsHandler):
    @web.authenticated
    async def post(self) -> None:
        await self.answer("validate", **self.arguments("path"))


class CoursesHandler(AssignmentsHandler):
    @web.authenticated
    async def get(self) -> None:
        await self.answer("courses")


async def instant_feedback(course: str) -> dict[str, Any] | None:
    """The feedback service's answer for this server's person in ``course`` (their
    submissions graded on submit), or None when it cannot be asked."""
    url = os.environ.get("NORTHLAB_FEEDBACK_URL", "")
    if not url:
        return None
    try:
        response = await AsyncHTTPClient().fetch(
            url.rstrip("/") + "/api/feedback?" + urlencode({"course_id": course}),
            request_timeout=20,
            headers={"Authorization": f"token {os.environ.get('JUPYTERHUB_API_TOKEN', '')}"})
        answer = json.loads(response.body)
        return answer if isinstance(answer.get("entries"), list) else None
    except (OSError, HTTPClientError, ValueError, AttributeError):
        return None


async def handed_in_feedback(course: str, assignment: str, before: int, language: str,
                             wait_seconds: float = 8.0) -> dict[str, Any] | None:
    """After a hand-in: the newest instant-feedback entry of ``assignment`` once there are
    more than ``before`` and it is graded (or refused), else as it stands after
    ``wait_seconds`` (queued, grading); None when the lab is not graded on submit."""
    deadline = asyncio.get_running_loop().time() + wait_seconds
    while True:
        answer = await instant_feedback(course)
        if answer is None or assignment not in answer.get("on_submit", []):
            return None
        mine = [e for e in answer["entries"] if e.get("lab") == assignment]
        settled = len(mine) > before and mine[-1].get("state") not in ("queued", "grading")
        if settled or asyncio.get_running_loop().time() > deadline:
            return learner_view(mine[before:], language)[0] if len(mine) > before else None
        await asyncio.sleep(0.3)


class InstantHandler(AssignmentsHandler):
    """``GET /assignments/instant[?course_id=]``: the learner's submissions graded on
    submit (queue position, score, feedback), from the feedback service, in their language."""

    @web.authenticated
    async def get(self) -> None:
        answer = await instant_feedback(self.get_argument("course_id", ""))
        if answer is None:
            self.finish(json.dumps(unreachable(self.language)))
            return
        self.finish(json.dumps(learner_answer(answer["entries"], self.language),
                               ensure_ascii=False))


class VersionHandler(AssignmentsHandler):
    """The lab extension checks that it talks to the nbgrader it was built with."""

    @web.authenticated
    def get(self) -> None:
        wanted, installed = self.get_argument("version"), version("nbgrader")
        if wanted == installed:
            self.finish(json.dumps({"success": True}))
        else:
            self.finish(json.dumps({"success": False, "message": LOCALE.text(
                "assignments.version_mismatch", self.language, wanted=wanted,
                installed=installed)}))


def add_handlers(serverapp: Any) -> None:
    """Register the handlers under the server's base URL."""
    webapp = serverapp.web_app
    webapp.settings["northlab_assignments_root"] = serverapp.root_dir
    routes = [
        (r"/assignments", ListHandler),
        (r"/assignments/validate", ValidateHandler),
        (rf"/assignments/(?P<action>{'|'.join(ACTIONS)})", ActionHandler),
        (r"/assignments/instant", InstantHandler),
        (r"/courses", CoursesHandler),
        (r"/nbgrader_version", VersionHandler),
    ]
    base = webapp.settings["base_url"]
    webapp.add_handlers(".*$", [(url_path_join(base, path), cls) for path, cls in routes])
