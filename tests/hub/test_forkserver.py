"""The fork-server (hub/forkserver): who may ask it, what it becomes, and the spawner's
fallback to a new process when it cannot answer."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from hub.forkserver import socket_path
from hub.forkserver.client import ForkFailed, fork_server

from .conftest import running

pytestmark = pytest.mark.slow

NOBODY = 65534


@contextlib.contextmanager
def standalone_fork_server() -> Iterator[tuple[subprocess.Popen, str]]:
    """A fork-server of its own (no hub) on a socket in a temp folder; stopped after."""
    folder = Path(tempfile.mkdtemp(prefix="northlab-forkserver-", dir="/tmp"))
    path = str(folder / "fs.sock")
    process = subprocess.Popen([sys.executable, "-P", "-m", "hub.forkserver", "--socket", path],
                               stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        ready = process.stdout.readline()  # type: ignore[union-attr]
        assert "ready" in ready, ready
        yield process, path
    finally:
        process.terminate()
        process.wait(60)
        assert not Path(path).exists()
        folder.rmdir()


def ask_as(uid: int, path: str) -> str:
    """Connect to ``path`` as ``uid`` (a child process) and return what it answered."""
    code = (f"import os, socket\nos.setgid({uid}); os.setuid({uid})\n"
            "s = socket.socket(socket.AF_UNIX)\n"
            f"try:\n    s.connect({path!r})\nexcept OSError as e:\n    print('OSError', e.errno)\n"
            "else:\n    try:\n        s.sendall(b'{}'); s.shutdown(socket.SHUT_WR)\n"
            "    except BrokenPipeError:\n        pass  # refused before it read: answer kept\n"
            "    print(s.makefile().readline().strip())\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, cwd="/")
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_only_root_may_ask_and_only_for_northlab_accounts():
    with standalone_fork_server() as (process, path):
        assert os.stat(path).st_mode & 0o777 == 0o600
        folder = Path(path).parent
        folder.chmod(0o755)
        assert ask_as(NOBODY, path).startswith("OSError 13")  # the file mode stops them
        os.chmod(path, 0o666)  # and were the mode wrong, the peer check still refuses
        assert json.loads(ask_as(NOBODY, path)) == {
            "error": "Only the hub (root) may start servers."}
        for account in ("root", "daemon", "no-such-learner"):
            with pytest.raises(ForkFailed, match="not a northlab account"):
                asyncio.run(fork_server(path, user=account, uid=0, env={}, args=[],
                                        umask=0o077))
        assert process.poll() is None  # refusals do not disturb it


def forked_by(pid: int) -> str:
    parent = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1]
    return Path(f"/proc/{parent}/cmdline").read_bytes().replace(b"\0", b" ").decode()


def server_pid(hub, name: str) -> int:
    """The server's process: the session leader among ``name``'s processes."""
    from .conftest import processes_of

    leaders = [pid for pid in processes_of(name) if running(pid) and os.getsid(pid) == pid
               and os.getpgid(pid) == pid and b"ipykernel" not in
               Path(f"/proc/{pid}/cmdline").read_bytes() and b"hub.kernel" not in
               Path(f"/proc/{pid}/cmdline").read_bytes()]
    assert len(leaders) == 1, leaders
    return leaders[0]


def test_servers_fork_from_the_fork_server_and_fall_back_without_it(hub):
    forked, fallback = hub.name("fork-a"), hub.name("fork-b")
    for name in (forked, fallback):
        hub.client.ensure_user(name)
    token = hub.start_server(forked, "cybersecurity")
    pid = server_pid(hub, forked)
    assert "hub.forkserver" in forked_by(pid)
    # JupyterLab's folders are computed at import (root's, in the fork-server): the
    # learner's workspace must still be saved in their own home
    workspace = {"data": {}, "metadata": {"id": "default"}}
    saved = requests.put(f"{hub.url}/user/{forked}/lab/api/workspaces/default", json=workspace,
                         headers={"Authorization": f"token {token}"}, timeout=60)
    assert saved.status_code == 204, saved.text
    assert list((hub.settings.home_root / forked / ".jupyter" / "lab").glob("workspaces/*"))
    status = Path(f"/proc/{pid}/status").read_text()
    assert "\nCapEff:\t0000000000000000" in status  # root's capabilities are gone
    assert os.stat(hub.settings.home_root / forked).st_mode & 0o777 == 0o700
    path = socket_path(hub.settings)
    os.rename(path, path + ".away")  # the fork-server cannot be reached: a new process
    try:
        hub.start_server(fallback, "robotics")
    finally:
        os.rename(path + ".away", path)
    assert "-m jupyterhub" in forked_by(server_pid(hub, fallback))  # the hub's own child
    assert f"Starting {fallback}'s server as a new process" in hub.log.read_text()
    for name in (forked, fallback):
        hub.stop_server(name)
    deadline = time.monotonic() + 60
    while running(pid) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not running(pid)  # the spawner's stop ended the forked server


def test_a_forked_server_cannot_reach_the_fork_server(hub):
    learner = hub.name("fork-c")
    hub.client.ensure_user(learner)
    token = hub.start_server(learner, "ai-data")
    from .kernel import execute, start_kernel

    server = f"{hub.url}/user/{learner}/"
    code = (f"import os, socket\ns = socket.socket(socket.AF_UNIX)\ntry:\n"
            f"    s.connect({socket_path(hub.settings)!r}); print('CONNECTED')\n"
            "except OSError as e:\n    print('refused', e.errno)\n")
    out = execute(server, token, start_kernel(server, token), code)
    assert out.startswith("refused 13"), out
    hub.stop_server(learner)
    with socket.socket(socket.AF_UNIX) as probe:
        probe.connect(socket_path(hub.settings))  # the hub's own access still works
