"""A learner's server in the container modes, started as a track image starts it, without
containers: the profile's environment, the image's config path, a fresh (empty) home."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from traitlets.config.loader import PyFileConfigLoader

from hub.assignments.handlers import run_worker
from hub.config.settings import REPO
from hub.modes.profiles import HOME_IN_IMAGE
from hub.tracks import SINGLEUSER_CONFIG_DIR

#: What images/base/Dockerfile gives a server: its JUPYTER_CONFIG_PATH, then the exchange
#: routing it copies to /etc/jupyter.
IMAGE_CONFIG_PATH = [SINGLEUSER_CONFIG_DIR / "learner", SINGLEUSER_CONFIG_DIR / "common",
                     REPO / "hub" / "services" / "exchange"]


@pytest.fixture
def exchange_calls() -> Iterator[tuple[str, list[tuple[str, str]]]]:
    """(URL, calls): a listener at the exchange's address that records each request's path
    and token and answers 503, as a service that is not ready yet would."""
    calls: list[tuple[str, str]] = []

    class Recorder(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            calls.append((self.path, self.headers.get("Authorization", "")))
            self.send_error(503)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/services/exchange/", calls
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=60)


@pytest.mark.parametrize("mode", ["docker", "kubernetes"])
def test_a_fresh_home_lists_assignments_from_the_exchange_service(
        hub_config, mode: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        exchange_calls: tuple[str, list[tuple[str, str]]]) -> None:
    """The Assignments tab of a first start asks the exchange service: the server makes
    the track folder nbgrader lists from (NORTHLAB_ASSIGNMENT_DIR). A fresh home volume has
    no such folder, and nbgrader's list died on it (FileNotFoundError) before asking the
    exchange (the container e2e test's learner saw a failure instead of the lab)."""
    url, calls = exchange_calls
    c = hub_config(mode)
    environment = ({**c.Spawner.environment,
                    **c.TrackDockerSpawner.track_profiles["cybersecurity"]["environment"]}
                   if mode == "docker" else
                   {**c.Spawner.environment, **c.KubeSpawner.profile_list[0][
                       "kubespawner_override"]["environment"]})
    home = tmp_path / "home"
    home.mkdir()
    for name in [n for n in os.environ if n.startswith(("NORTHLAB_", "JUPYTER"))]:
        monkeypatch.delenv(name)
    for name, value in environment.items():
        monkeypatch.setenv(name, value.replace(HOME_IN_IMAGE, str(home)))
    monkeypatch.setenv("NORTHLAB_EXCHANGE_URL", url)
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "learner-token")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("JUPYTER_CONFIG_PATH", os.pathsep.join(map(str, IMAGE_CONFIG_PATH)))
    monkeypatch.chdir(home)

    PyFileConfigLoader("jupyter_server_config.py",
                       path=str(SINGLEUSER_CONFIG_DIR / "common")).load_config()
    answer = asyncio.run(run_worker(str(home), {"action": "list", "course_id": "c1"}, "en"))

    assert calls and all(path.startswith("/services/exchange/api/") and
                         token == "token learner-token" for path, token in calls), answer
