"""The exchange service: a tornado app behind the hub, authenticated by hub API tokens.

Routes (under the service prefix, e.g. ``/services/exchange/``)::

    GET    api/courses                                  courses the caller belongs to
    GET    api/assignments[?course_id=]                 released assignments visible to caller
    PUT    api/assignments/<course>/<assignment>[?force=1]   release (instructors; gzip tar body)
    DELETE api/assignments/<course>/<assignment>        unrelease (instructors)
    GET    api/assignments/<course>/<assignment>/archive     fetch the release
    POST   api/submissions/<course>/<assignment>        submit (the course's learners)
    GET    api/submissions/<course>[?assignment_id=&student_id=]  instructors: all; learners: own
    GET    api/submissions/<course>/<assignment>/<learner>/<submission>/archive
    PUT    api/feedback/<course>/<assignment>/<learner>/<submission>/<notebook>  (instructors)
    GET    api/feedback/<course>[?assignment_id=&student_id=]  instructors: all; learners: own
    GET    api/feedback/<course>/<assignment>/<learner>/<submission>/<notebook>

"Instructors" are those of that course (hub group ``instructors-<course>``) and hub admins;
learners are the members of ``cohort-<course>`` (see :mod:`hub.services.exchange.access`).

Errors answer ``{"message": "<English>", "messages": {"en": ..., "fr": ...}}`` with 400
(bad input), 403 (not allowed), 404, 409 (already released) or 413 (too large).
"""

from __future__ import annotations

import asyncio
import json
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from jupyterhub.services.auth import HubAuth
from tornado import web
from tornado.httpclient import AsyncHTTPClient, HTTPRequest

from hub.services.exchange.access import Person, courses_of_groups
from hub.services.exchange.messages import translate
from hub.services.exchange.store import Store, StoreError, check_id

#: Seconds a hub answer (a token's owner and groups, the group list) is reused.
HUB_CACHE_SECONDS = 30


class Refusal(web.HTTPError):
    """An answered error: ``status`` with its sentence in every language."""

    def __init__(self, status: int, message_id: str, **values: object) -> None:
        super().__init__(status)
        self.messages = translate(message_id, **values)


class Groups:
    """The hub's cohort groups, read with the service's own token and cached briefly."""

    def __init__(self, hub_auth: HubAuth) -> None:
        self.hub_auth = hub_auth
        self._names: list[str] = []
        self._read_at = 0.0

    async def names(self) -> list[str]:
        if time.monotonic() - self._read_at > HUB_CACHE_SECONDS:
            names: list[str] = []
            offset: int | None = 0
            while offset is not None:
                request = HTTPRequest(
                    f"{self.hub_auth.api_url}/groups?offset={offset}",
                    headers={
                        "Authorization": f"token {self.hub_auth.api_token}",
                        "Accept": "application/jupyterhub-pagination+json",
                    },
                )
                page = json.loads((await AsyncHTTPClient().fetch(request)).body)
                names += [group["name"] for group in page["items"]]
                following = (page.get("_pagination") or {}).get("next")
                offset = following["offset"] if following else None
            self._names, self._read_at = names, time.monotonic()
        return self._names

    async def courses(self) -> list[str]:
        return courses_of_groups(await self.names())


class ApiHandler(web.RequestHandler):
    """Identifies the caller from their hub API token and answers JSON."""

    person: Person

    @property
    def store(self) -> Store:
        return self.settings["store"]

    @property
    def hub_auth(self) -> HubAuth:
        return self.settings["hub_auth"]

    @property
    def groups(self) -> Groups:
        return self.settings["groups"]

    async def prepare(self) -> None:
        model = await self.hub_auth.get_user(self, sync=False)
        if not model or model.get("kind", "user") != "user":
            raise Refusal(403, "exchange.token_required")
        scopes = self.hub_auth.access_scopes
        if scopes and not self.hub_auth.check_scopes(scopes, model):
            raise Refusal(403, "exchange.token_scope")
        self.person = Person.from_model(model)

    def check_xsrf_cookie(self) -> None:
        """Token-authenticated API: no cookies, so no cross-site request forgery."""

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """Answer ``{"message": <English>, "messages": {<language>: <text>}}``."""
        exc = kwargs.get("exc_info", (None, None, None))[1]
        messages = exc.messages if isinstance(exc, Refusal) else {"en": self._reason}
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"message": messages.get("en", ""), "messages": messages}))

    def send_json(self, value: object, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(value))

    def send_bytes(self, data: bytes, content_type: str) -> None:
        self.set_header("Content-Type", content_type)
        self.set_header("Cache-Control", "no-store")
        self.finish(data)

    async def require_course(self, course: str) -> None:
        check_id("course", course)
        if course not in await self.groups.courses():
            raise Refusal(404, "exchange.no_course", course=course)

    async def require_reader(self, course: str) -> None:
        await self.require_course(course)
        if not self.person.can_read(course):
            raise Refusal(403, "exchange.not_in_course", course=course)

    async def require_instructor(self, course: str) -> None:
        await self.require_course(course)
        if not self.person.teaches(course):
            raise Refusal(403, "exchange.instructors_only", course=course)

    def allowed_learner(self, course: str, learner: str | None) -> str | None:
        """The course's instructors see everyone (or ``learner``); learners only themselves."""
        if self.person.teaches(course):
            return learner
        if learner not in (None, self.person.name):
            raise Refusal(403, "exchange.own_only")
        return self.person.name

    def _execute_store(self, call: Any, *args: Any) -> Any:
        try:
            return call(*args)
        except StoreError as exc:
            raise Refusal(exc.status, exc.message_id, **exc.values) from None

    async def _execute_store_aside(self, call: Any, *args: Any) -> Any:
        """:meth:`_execute_store` on the archive workers: reading an uploaded archive never
        holds the event loop, so one upload does not stall other people's requests."""
        return await asyncio.get_running_loop().run_in_executor(
            self.settings["archive_workers"], self._execute_store, call, *args)


class CoursesHandler(ApiHandler):
    async def get(self) -> None:
        rows = []
        for course in await self.groups.courses():
            if self.person.teaches(course):
                rows.append({"course_id": course, "role": "instructor"})
            elif self.person.is_learner(course):
                rows.append({"course_id": course, "role": "learner"})
        self.send_json({"user": self.person.name, "courses": rows})


class AssignmentsHandler(ApiHandler):
    async def get(self) -> None:
        course = self.get_argument("course_id", "")
        if course:
            await self.require_reader(course)
            courses = [course]
        else:
            courses = [c for c in await self.groups.courses() if self.person.can_read(c)]
        self.send_json(self._execute_store(self.store.released, courses))


class AssignmentHandler(ApiHandler):
    async def put(self, course: str, assignment: str) -> None:
        await self.require_instructor(course)
        force = self.get_argument("force", "0") in ("1", "true", "yes")
        meta = await self._execute_store_aside(self.store.release, course, assignment,
                                               self.request.body, force)
        self.send_json(meta, 201)

    async def delete(self, course: str, assignment: str) -> None:
        await self.require_instructor(course)
        self._execute_store(self.store.unrelease, course, assignment)
        self.send_json({"removed": assignment})


class ReleaseArchiveHandler(ApiHandler):
    async def get(self, course: str, assignment: str) -> None:
        await self.require_reader(course)
        data = self._execute_store(self.store.release_archive, course, assignment)
        self.send_bytes(data, "application/gzip")


class SubmitHandler(ApiHandler):
    async def post(self, course: str, assignment: str) -> None:
        await self.require_course(course)
        if not self.person.is_learner(course):
            raise Refusal(403, "exchange.not_learner", course=course)
        meta = await self._execute_store_aside(
            self.store.submit, course, assignment, self.person.name, self.request.body
        )
        self.send_json(meta, 201)


class SubmissionsHandler(ApiHandler):
    async def get(self, course: str) -> None:
        await self.require_reader(course)
        learner = self.allowed_learner(course, self.get_argument("student_id", None))
        assignment = self.get_argument("assignment_id", None)
        self.send_json(self._execute_store(self.store.submissions, course, assignment, learner))


class SubmissionArchiveHandler(ApiHandler):
    async def get(self, course: str, assignment: str, learner: str, sub_id: str) -> None:
        await self.require_reader(course)
        self.allowed_learner(course, learner)
        data = self._execute_store(
            self.store.submission_archive, course, assignment, learner, sub_id
        )
        self.send_bytes(data, "application/gzip")


class FeedbackListHandler(ApiHandler):
    async def get(self, course: str) -> None:
        await self.require_reader(course)
        learner = self.allowed_learner(course, self.get_argument("student_id", None))
        assignment = self.get_argument("assignment_id", None)
        self.send_json(self._execute_store(self.store.feedback, course, assignment, learner))


class FeedbackHandler(ApiHandler):
    async def put(self, course: str, assignment: str, learner: str, sub_id: str, nb: str) -> None:
        await self.require_instructor(course)
        entry = self._execute_store(
            self.store.put_feedback, course, assignment, learner, sub_id, nb, self.request.body
        )
        self.send_json(entry, 201)

    async def get(self, course: str, assignment: str, learner: str, sub_id: str, nb: str) -> None:
        await self.require_reader(course)
        self.allowed_learner(course, learner)
        data = self._execute_store(
            self.store.feedback_html, course, assignment, learner, sub_id, nb
        )
        self.send_bytes(data, "text/html; charset=utf-8")


def make_app(store: Store, hub_auth: HubAuth, prefix: str) -> web.Application:
    """The tornado application serving the routes above under ``prefix``."""
    seg = r"([^/]+)"
    api = prefix.rstrip("/") + "/api"
    routes = [
        (rf"{api}/courses", CoursesHandler),
        (rf"{api}/assignments", AssignmentsHandler),
        (rf"{api}/assignments/{seg}/{seg}", AssignmentHandler),
        (rf"{api}/assignments/{seg}/{seg}/archive", ReleaseArchiveHandler),
        (rf"{api}/submissions/{seg}", SubmissionsHandler),
        (rf"{api}/submissions/{seg}/{seg}", SubmitHandler),
        (rf"{api}/submissions/{seg}/{seg}/{seg}/{seg}/archive", SubmissionArchiveHandler),
        (rf"{api}/feedback/{seg}", FeedbackListHandler),
        (rf"{api}/feedback/{seg}/{seg}/{seg}/{seg}/{seg}", FeedbackHandler),
    ]
    return web.Application(
        routes,
        store=store,
        hub_auth=hub_auth,
        groups=Groups(hub_auth),
        archive_workers=ThreadPoolExecutor(max_workers=2, thread_name_prefix="archives"),
    )
