"""The JSON API: the same data as the pages and CSV exports, for scripts and reports.

Authenticate with ``Authorization: token <hub API token>``; the token's scopes decide
what it may read exactly as for the pages (403 otherwise).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from typing import Any

from tornado import web

from . import exports, queries, views
from .handlers import BaseHandler


class ApiHandler(BaseHandler):
    api = True

    def send(self, data: object) -> None:
        self.timing()
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.set_header("Cache-Control", "private, no-store")
        self.finish(json.dumps(data, default=_json_default, ensure_ascii=False))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self.set_header("Content-Type", "application/json; charset=utf-8")
        key = status_code if status_code in (400, 403, 404, 503) else 500
        self.finish(json.dumps({"status": status_code,
                                "message": self.t(f"error.{key}.text")}, ensure_ascii=False))


class CohortsApiHandler(ApiHandler):
    async def get(self) -> None:
        view = await self.program_view()
        self.send({"cohorts": [asdict(c) for c in view.cohorts],
                   "labs": [{"id": t.lab.id, "track": t.lab.track, "title": t.lab.title,
                             "learners": t.learners, "completed": t.completed,
                             "average_percent": t.average} for t in view.labs]})


class GradesApiHandler(ApiHandler):
    async def get(self, cohort: str) -> None:
        self.require_staff()
        snapshot = await self.snapshot()
        self.check_cohort(snapshot, cohort)
        gb = self.gb
        found = await self.read(lambda conn: views.cohorts(
            conn, snapshot, [cohort], gb.labs, gb.config.pass_percent, gb.marks))
        self.send({"cohort": cohort,
                   "grades": exports.grade_rows(found, self.language, gb.config.pass_percent)})


class SummaryApiHandler(ApiHandler):
    async def get(self, cohort: str) -> None:
        self.require_staff()
        snapshot = await self.snapshot()
        self.check_cohort(snapshot, cohort)
        gb = self.gb
        members = list(snapshot.learners(cohort))

        def work(conn):
            found = views.cohorts(conn, snapshot, [cohort], gb.labs,
                                  gb.config.pass_percent, gb.marks)
            return exports.summary_rows(found, queries.credential_counts(conn, members))

        self.send({"cohort": cohort, "learners": await self.read(work)})


class LearnerApiHandler(ApiHandler):
    async def get(self, name: str) -> None:
        snapshot = await self.snapshot()
        if name != self.viewer.name:
            self.require_staff()
            self.check_learner(snapshot, name)
        await self.send_learner(name, snapshot)

    async def send_learner(self, name: str, snapshot) -> None:
        gb = self.gb
        view = await self.read(lambda conn: views.learner(
            conn, snapshot, name, gb.labs, gb.config.pass_percent,
            hidden_detail=name != self.viewer.name))
        if name != self.viewer.name and not view.labs and not view.cohorts:
            raise web.HTTPError(404)
        self.send({
            "learner": view.name, "cohorts": list(view.cohorts),
            "labs_completed": view.completed, "average_percent": view.average,
            "credentials": [asdict(c) for c in view.credentials],
            "labs": [{"lab": h.lab.id, "title": h.lab.title,
                      "attempts": [asdict(a) for a in h.attempts]} for h in view.labs],
        })


class MeApiHandler(LearnerApiHandler):
    async def get(self) -> None:  # type: ignore[override]
        await self.send_learner(self.viewer.name, await self.snapshot())


def _json_default(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, queries.TestOutcome):
        return asdict(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")
