"""What a person's day needs from their server and the hub: formgrader embeddable in
JupyterLab, the track's kernel only, nbgrader/northlab/alembic on PATH in terminals, and
the northlab command finding a hub started on another port."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from nbgrader.api import Gradebook
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

from hub.commands.runner import hub_env
from hub.people.manage import add_person

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent


def test_the_command_finds_a_hub_started_on_another_port(hub):
    env = hub_env(hub.settings)
    del env["NORTHLAB_PORT"]  # as in a new shell: only the data root is known
    name = hub.name("cli")
    result = subprocess.run([str(BIN / "northlab"), "learner", "add", name, "--cohort",
                             hub.cohort], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-1000:]
    assert hub.client.user(name) is not None
    # named in the course's gradebook from the moment they join (formgrader: not "None, None")
    course_root = hub.settings.courses_root / hub.cohort
    with Gradebook(f"sqlite:///{course_root / 'gradebook.db'}") as gradebook:
        assert gradebook.find_student(name).last_name == name


async def terminal_output(server: str, token: str, command: str, timeout: float = 60) -> str:
    """Run ``command`` in a new JupyterLab terminal; its output up to an end marker."""
    headers = {"Authorization": f"token {token}"}
    name = requests.post(f"{server}api/terminals", headers=headers, timeout=30).json()["name"]
    url = server.replace("http", "ws", 1) + f"terminals/websocket/{name}"
    connection = await websocket_connect(HTTPRequest(url, headers=headers))
    connection.write_message(json.dumps(["stdin", f"{command}; echo END-OF-$((6*7))\r"]))
    out = ""
    try:
        while "END-OF-42" not in out:
            message = await asyncio.wait_for(connection.read_message(), timeout)
            assert message is not None, f"terminal closed: {out}"
            kind, *data = json.loads(message)
            if kind == "stdout":
                out += data[0]
    finally:
        connection.close()
        requests.delete(f"{server}api/terminals/{name}", headers=headers, timeout=30)
    return out


def test_instructor_server_embeds_formgrader_offers_the_track_kernel_and_the_tools(hub):
    teacher = hub.name("journey")
    add_person(hub.settings, hub.client, teacher, role="instructor", cohort=hub.cohort,
               password=None)
    token = hub.start_server(teacher, "robotics")
    server = f"{hub.url}/user/{teacher}/"
    headers = {"Authorization": f"token {token}"}
    try:
        # formgrader inside JupyterLab: framed by the hub's own origin, nobody else's
        for page in ("formgrader", "lab"):
            policy = requests.get(server + page, headers=headers, timeout=60).headers[
                "Content-Security-Policy"]
            assert "frame-ancestors 'self'" in policy and "'none'" not in policy, policy
        # the launcher and new notebooks: the track's kernel only
        specs = requests.get(server + "api/kernelspecs", headers=headers, timeout=60).json()
        assert specs["default"] == "northlab-robotics"
        assert set(specs["kernelspecs"]) == {"northlab-robotics"}
        # docs/running.md's command-line route works in a terminal
        out = asyncio.run(terminal_output(server, token, "command -v nbgrader northlab alembic"))
        for tool in ("nbgrader", "northlab", "alembic"):
            assert f"{BIN}/{tool}" in out, out
    finally:
        hub.stop_server(teacher)
