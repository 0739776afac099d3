"""The six weeks' progress: activity states, weeks, and scores from the gradebook."""

from __future__ import annotations

import asyncio
import json
import socket

import pytest
from tornado import web
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets

from hub.foundations.handlers import gradebook_scores, scores_from, status_of, week_of

ME = {"learner": "ana", "labs": [
    {"lab": "files-and-folders", "attempts": [
        {"score": 3, "max_score": 6}, {"score": 5.5, "max_score": 6},
        {"score": 4, "max_score": 6}]},
    {"lab": "passphrases", "attempts": [{"score": 0, "max_score": 0}]},
    {"lab": "budget", "attempts": [{"score": "9", "max_score": 10}, "junk"]},
    {"lab": 7, "attempts": [{"score": 1, "max_score": 1}]},
]}


def activity(**state: object) -> dict:
    return {"fetched": False, "handed_in": 0, "feedback": False, **state}


def test_states_in_order_of_progress() -> None:
    assert status_of(activity()) == "new"
    assert status_of(activity(fetched=True)) == "fetched"
    assert status_of(activity(fetched=True, handed_in=2)) == "handed_in"
    assert status_of(activity(handed_in=1, feedback=True)) == "graded"
    assert status_of(activity(handed_in=1, score={"score": "5", "max_score": "6"})) == "graded"


@pytest.mark.parametrize(("meta", "week"), [
    ({"week": 1}, 1), ({"week": 6}, 6), ({"week": 0}, None), ({"week": 7}, None),
    ({"week": "2"}, None), ({"week": True}, None), ({}, None)])
def test_week_is_one_to_six_or_none(meta: dict, week: int | None) -> None:
    assert week_of({"meta": meta}) == week


def test_best_attempt_per_lab_and_nothing_malformed() -> None:
    assert scores_from(ME) == {"files-and-folders": {"score": 5.5, "max_score": 6}}
    for junk in (None, [], "x", {"labs": "x"}, {"labs": [None, 1]}):
        assert scores_from(junk) == {}


class Me(web.RequestHandler):
    def get(self) -> None:
        if self.request.headers.get("Authorization") != "token server-token":
            raise web.HTTPError(403)
        self.finish(self.settings["answer"])


def serve(answer: str) -> tuple[HTTPServer, int]:
    sockets = bind_sockets(0, "127.0.0.1")
    server = HTTPServer(web.Application([(r"/services/gradebook/api/me", Me)],
                                       answer=answer))
    server.add_sockets(sockets)
    return server, sockets[0].getsockname()[1]


@pytest.mark.parametrize(("answer", "token", "expected"), [
    (json.dumps(ME), "server-token", {"files-and-folders": {"score": 5.5, "max_score": 6}}),
    (json.dumps(ME), "someone-else", {}),
    ("<html>not json", "server-token", {}),
])
def test_scores_come_from_the_gradebook_with_the_servers_token(
        monkeypatch: pytest.MonkeyPatch, answer: str, token: str, expected: dict) -> None:
    async def ask() -> dict:
        server, port = serve(answer)
        monkeypatch.setenv("NORTHLAB_GRADEBOOK_URL", f"http://127.0.0.1:{port}/services/gradebook/")
        monkeypatch.setenv("JUPYTERHUB_API_TOKEN", token)
        try:
            return await gradebook_scores()
        finally:
            server.stop()

    assert asyncio.run(ask()) == expected


def test_no_gradebook_no_scores(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    monkeypatch.setenv("NORTHLAB_GRADEBOOK_URL", f"http://127.0.0.1:{port}/services/gradebook/")
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "server-token")
    assert asyncio.run(gradebook_scores()) == {}
    monkeypatch.delenv("NORTHLAB_GRADEBOOK_URL")
    assert asyncio.run(gradebook_scores()) == {}
