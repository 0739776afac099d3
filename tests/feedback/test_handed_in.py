"""What a learner's server shows right after a hand-in (Foundations pages): the service's
real API over a spool, a token the hub would have checked."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest
from tornado.httpserver import HTTPServer

from hub.assignments.handlers import handed_in_feedback
from hub.services.feedback.app import make_app
from hub.services.feedback.grading import Watcher
from hub.services.feedback.spool import Spool

from .conftest import LEARNER, feedback_lab


class KnownToken:
    """The hub's answer for the learner's token (the hub itself is in test_hub.py)."""

    access_scopes: set[str] = set()

    async def get_user(self, handler: Any, sync: bool = False) -> dict[str, Any] | None:
        token = handler.request.headers.get("Authorization", "")
        return {"kind": "user", "name": LEARNER} if token == "token learner-token" else None


@pytest.fixture
async def service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    feedback_lab(tmp_path / "labs", "[feedback]\non_submit = true\nattempts = 1\n")
    spool = Spool(tmp_path / "feedback")
    watcher = Watcher(tmp_path / "exchange", tmp_path / "labs", spool)
    server = HTTPServer(make_app(spool, watcher, KnownToken(), "/services/feedback/"))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    sock.setblocking(False)
    server.add_sockets([sock])
    port = sock.getsockname()[1]
    monkeypatch.setenv("NORTHLAB_FEEDBACK_URL", f"http://127.0.0.1:{port}/services/feedback/")
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "learner-token")
    yield spool
    server.stop()


def request(n: int) -> dict[str, Any]:
    return {"id": f"r{n}", "course": "c1", "lab": "smoke-lab", "track": "cybersecurity",
            "learner": LEARNER, "seen_ns": n, "attempts": 1}


async def test_a_hand_in_shows_the_grade_or_where_it_waits(service: Spool):
    assert service.admit(request(1), lambda folder: {}) == "queued"
    shown = await handed_in_feedback("c1", "smoke-lab", 0, "fr", wait_seconds=0.5)
    assert shown["state"] == "queued" and shown["message"].endswith("position 1.")
    service.finish({**service.claim(), "state": "graded", "score": 2.0, "max_score": 2.0,
                    "tests": [], "error": None, "hidden_points": 2.0, "hidden_max_points": 2.0})
    shown = await handed_in_feedback("c1", "smoke-lab", 0, "fr")
    assert (shown["title"], shown["message"]) == ("Tentative 1 sur 1", "Note : 2 / 2.")
    assert shown["hidden"] == "Tests cachés : 2 / 2 points."
    assert service.admit(request(2), lambda folder: {}) == "limit"  # no attempt left
    shown = await handed_in_feedback("c1", "smoke-lab", 1, "en")
    assert shown["state"] == "limit" and "all 1 graded attempts" in shown["message"]
    # a lab not graded on submit: nothing to wait for
    assert await handed_in_feedback("c1", "other-lab", 0, "en", wait_seconds=30) is None


async def test_without_the_service_nothing_is_shown(service: Spool,
                                                    monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "someone-elses")
    assert await handed_in_feedback("c1", "smoke-lab", 0, "en") is None
    monkeypatch.setenv("NORTHLAB_FEEDBACK_URL", "http://127.0.0.1:9/services/feedback/")
    assert await handed_in_feedback("c1", "smoke-lab", 0, "en") is None
