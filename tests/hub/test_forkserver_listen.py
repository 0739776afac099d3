"""A starting server is handed to JupyterHub once it listens (hub.forkserver.process), and a
server that ends while starting is a failed start at once."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from hub.forkserver.process import ServerProcess
from tests.support.ports import free_port_block

REPO = Path(__file__).resolve().parents[2]

#: listens on the port given only after a line on stdin, then stays until killed
LISTENER = ("import socket, sys, time\nsys.stdin.readline()\n"
            "s = socket.create_server(('127.0.0.1', int(sys.argv[1])))\n"
            "print('up', flush=True)\ntime.sleep(600)\n")


def test_listening_waits_for_the_port_then_says_the_server_runs():
    port = free_port_block(1)
    child = subprocess.Popen([sys.executable, "-c", LISTENER, str(port)], text=True,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    process = ServerProcess.of_child(child.pid, os.getuid())
    assert process is not None

    async def check() -> bool:
        waiting = asyncio.create_task(process.listening("127.0.0.1", port, timeout=300))
        await asyncio.sleep(1)  # several checks: none may succeed before the port listens
        assert not waiting.done()
        child.stdin.write("go\n")
        child.stdin.flush()
        return await waiting

    try:
        assert asyncio.run(check())
        assert child.stdout.readline() == "up\n"
        socket.create_connection(("127.0.0.1", port), timeout=30).close()
    finally:
        child.kill()
        child.wait(60)
        process.close()


def test_listening_is_false_once_the_server_ended_while_starting():
    port = free_port_block(1)
    child = subprocess.Popen([sys.executable, "-c", "import sys\nsys.stdin.readline()\n"
                              "raise SystemExit(3)"], text=True, stdin=subprocess.PIPE)
    process = ServerProcess.of_child(child.pid, os.getuid())
    assert process is not None
    try:
        child.stdin.write("end\n")
        child.stdin.flush()
        assert not asyncio.run(process.listening("127.0.0.1", port, timeout=300))
    finally:
        assert child.wait(60) == 3
        process.close()


@pytest.mark.parametrize("role", ["learner", "instructor"])
def test_the_fork_server_preloads_every_server_extension_a_role_enables(role: str) -> None:
    """What a forked server imports after the fork is paid by every learner: each extension
    the role's server config turns on is imported once, before the fork."""
    from hub.forkserver.server import PRELOAD

    config = REPO / "hub" / "singleuser" / role / "jupyter_server_config.json"
    enabled = {name for name, on in json.loads(config.read_text())["ServerApp"][
        "jpserver_extensions"].items() if on}
    imported = {module.rsplit(".", depth)[0] for module in PRELOAD
                for depth in range(module.count(".") + 1)}  # a module imports its packages
    assert enabled - imported == set()
