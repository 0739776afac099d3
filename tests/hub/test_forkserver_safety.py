"""The security review's findings on the fork-server, closed: a server is polled and stopped
only through a pidfd (a reused process id is never signalled, also after a hub restart), and
a start request the hub gave up on, or a late answer, starts nothing."""

from __future__ import annotations

import asyncio
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests

from hub.commands.runner import start_hub, stop_hub
from hub.forkserver.client import ForkFailed, accept, fork_server
from hub.forkserver.process import ServerProcess, start_time
from hub.people.accounts import ensure_user, remove_user
from hub.spawner import NorthlabSpawner

from .conftest import processes_of, running, running_hub
from .test_forkserver import forked_by, server_pid, standalone_fork_server

pytestmark = pytest.mark.slow

#: what ``jupyterhub-singleuser --help`` prints: a forked child that got to run its server
HELP_MARK = "A Jupyter Application"


def wait_until(condition, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} within {timeout} s")
        time.sleep(0.2)


@pytest.fixture
def learner() -> Iterator[pwd.struct_passwd]:
    """A northlab account of its own (home in a temp folder); nothing of it left after."""
    folder = Path(tempfile.mkdtemp(prefix="northlab-fs-", dir="/tmp"))
    folder.chmod(0o755)
    name = f"t{secrets.token_hex(2)}-fs"
    entry = ensure_user(name, folder / name, set())
    try:
        yield entry
    finally:
        deadline = time.monotonic() + 60
        while (left := [p for p in processes_of(name) if running(p)]) and \
                time.monotonic() < deadline:
            time.sleep(0.2)
        for pid in left:
            os.kill(pid, signal.SIGKILL)
        remove_user(name)
        shutil.rmtree(folder, ignore_errors=True)
        assert not left, f"processes of {name} left behind: {left}"


def spawner_of(entry: pwd.struct_passwd) -> NorthlabSpawner:
    return NorthlabSpawner(user=SimpleNamespace(name=entry.pw_name, groups=[]))


def learner_env(entry: pwd.struct_passwd) -> dict[str, str]:
    return {"HOME": entry.pw_dir, "USER": entry.pw_name, "PATH": "/usr/bin:/bin"}


def fork_help(path: str, entry: pwd.struct_passwd, timeout: float = 120) -> ServerProcess:
    """A forked ``jupyterhub-singleuser --help`` of ``entry`` (prints, then exits)."""
    return asyncio.run(fork_server(path, user=entry.pw_name, uid=entry.pw_uid,
                                   env=learner_env(entry), args=["--help"], umask=0o077,
                                   timeout=timeout))


def occupy(pid: int) -> subprocess.Popen:
    """A root process that got the process id ``pid`` (reused, through ns_last_pid)."""
    for _ in range(200):
        Path("/proc/sys/kernel/ns_last_pid").write_text(str(pid - 1))
        impostor = subprocess.Popen(["sleep", "300"], start_new_session=True)
        if impostor.pid == pid:
            return impostor
        impostor.kill()
        impostor.wait()
    pytest.fail(f"could not start a process with the reused id {pid}")


def test_a_reused_process_id_is_never_signalled(learner):
    with standalone_fork_server() as (_, path):
        process = fork_help(path, learner)
        spawner = spawner_of(learner)
        spawner.pid = process.pid
        spawner.hold(process)
        wait_until(lambda: not process.running(), "the forked --help did not end")
        impostor = occupy(process.pid)  # a root process now has the server's old id
        try:
            assert asyncio.run(spawner._signal(signal.SIGTERM)) is False
            assert asyncio.run(spawner.poll()) == 0
            asyncio.run(spawner.stop(now=True))
            assert impostor.poll() is None  # never signalled
        finally:
            impostor.kill()
            impostor.wait()


def test_after_a_hub_restart_only_the_same_process_is_adopted(learner):
    """JupyterHub restores each spawner from the state it stored (pid and start time): the
    spawner adopts the process only when it still is the one that started; anything else
    counts as stopped and is not signalled."""
    server = subprocess.Popen(["sleep", "300"], user=learner.pw_uid, group=learner.pw_gid,
                              start_new_session=True)
    root_process = subprocess.Popen(["sleep", "300"], start_new_session=True)
    try:
        before = spawner_of(learner)
        before.pid = server.pid
        before.hold(ServerProcess.of_child(server.pid, learner.pw_uid))
        state = before.get_state()
        assert state == {"pid": server.pid, "started": start_time(server.pid)}
        not_adopted = [
            {**state, "started": state["started"] - 1},  # another process with that id
            {"pid": server.pid},  # stored before start times were: not provable
            {"pid": root_process.pid, "started": start_time(root_process.pid)},  # not theirs
        ]
        for stored in not_adopted:
            restored = spawner_of(learner)
            restored.load_state(stored)
            assert asyncio.run(restored.poll()) == 0, stored
            asyncio.run(restored.stop(now=True))
        assert server.poll() is None and root_process.poll() is None  # never signalled
        restored = spawner_of(learner)
        restored.load_state(state)
        assert asyncio.run(restored.poll()) is None  # adopted
        asyncio.run(restored.stop(now=True))  # SIGTERM through the adopted pidfd
        assert server.wait(60) == -signal.SIGTERM
        assert root_process.poll() is None
    finally:
        for process in (server, root_process):
            process.kill()
            process.wait()


def test_a_request_the_hub_gave_up_on_starts_nothing(learner, capfd):
    """A request waiting while the fork-server is busy (stopped here): the hub stops waiting
    (and starts the server as a new process); the fork-server, once it goes on, must not
    serve it."""
    with standalone_fork_server() as (fork_server_process, path):
        os.kill(fork_server_process.pid, signal.SIGSTOP)  # accepts nothing for now
        try:
            with pytest.raises(ForkFailed, match="no answer in time"):
                fork_help(path, learner, timeout=1)
        finally:
            os.kill(fork_server_process.pid, signal.SIGCONT)
        served = fork_help(path, learner)  # accepted after the stale one, so forked after it
        wait_until(lambda: not served.running(), "the forked --help did not end")
        served.close()
        wait_until(lambda: not processes_of(learner.pw_name), "the learner's processes "
                   "did not end")
        assert capfd.readouterr().out.count(HELP_MARK) == 1  # the request still awaited


def test_a_late_or_foreign_answer_is_refused_and_its_child_killed(learner):
    """The child waits for ``go``; an answer the spawner no longer waits for gets none, and
    the process it offered is killed through its pidfd."""
    for answer, deadline, reason in (
        (b'{"id": "mine", "pid": 1}\n', time.monotonic() - 1, "after the deadline"),
        (b'{"id": "other", "pid": 1}\n', time.monotonic() + 60, "another request"),
    ):
        child = subprocess.Popen(["sleep", "300"], user=learner.pw_uid, group=learner.pw_gid)
        hub_end, child_end = socket.socketpair()
        try:
            with pytest.raises(ForkFailed, match=reason):
                accept(hub_end, answer, [os.pidfd_open(child.pid)], request_id="mine",
                       uid=learner.pw_uid, deadline=deadline)
            assert child.wait(60) == -signal.SIGKILL
            child_end.setblocking(False)
            with pytest.raises(BlockingIOError):
                child_end.recv(16)  # no go was sent
        finally:
            child.kill()
            child.wait()
            hub_end.close()
            child_end.close()


def test_a_forked_server_is_adopted_after_a_hub_restart():
    """The real hub: a forked server outlives its hub (``cleanup_servers`` is off); the
    restarted hub finds it running (adopted by its stored pid and start time), and stops it
    through the adopted pidfd."""
    with running_hub(server_start="fork") as hub:
        name = hub.name("restart")
        hub.client.ensure_user(name)
        token = hub.start_server(name, "cybersecurity")
        pid = server_pid(hub, name)
        assert "hub.forkserver" in forked_by(pid)
        stop_hub(hub.settings, hub.process)
        assert running(pid)
        hub.process = start_hub(hub.settings)
        wait_until(lambda: hub.client.user(name)["servers"].get("", {}).get("ready"),
                   "the restarted hub did not find the server running")
        lab = requests.get(f"{hub.url}/user/{name}/lab", timeout=60,
                           headers={"Authorization": f"token {token}"})
        assert lab.status_code == 200
        hub.stop_server(name)
        wait_until(lambda: not running(pid), "the adopted server did not stop")
        assert "forgotten, not signalled" not in hub.log.read_text()
