"""A real hub (JupyterHub + configurable-http-proxy) on a random port with a temp data root.

Unix accounts made for the test carry a random prefix and are deleted afterwards, with
the cohort's Unix group and the data root.
"""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from hub.commands.runner import stale_services, start_hub, stop_hub
from hub.config.core import cohorts_file
from hub.config.settings import REPO, Settings, load_settings
from hub.people.accounts import (
    cohort_unix_group,
    course_instructors_unix_group,
    private_ancestor,
    remove_user,
)
from hub.people.manage import HubClient, HubUnavailable, add_cohort
from hub.people.roles import load_cohorts, save_cohorts
from tests.support.ports import free_port_block

from .smoke_lab import write_lab


@dataclass
class Hub:
    settings: Settings
    process: subprocess.Popen
    client: HubClient
    prefix: str

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.settings.port}"

    @property
    def cohort(self) -> str:
        return f"{self.prefix}-cohort"

    @property
    def other_cohort(self) -> str:
        """A second cohort the hub knows at start (staff of one must not see the other)."""
        return f"{self.prefix}-other"

    def name(self, role: str) -> str:
        return f"{self.prefix}-{role}"

    def user_token(self, name: str) -> str:
        response = self.client.request("POST", f"/users/{name}/tokens", json={"note": "test"})
        return response.json()["token"]

    def start_server(self, name: str, track: str, timeout: float = 120) -> str:
        """Start ``name``'s server with ``track``; wait until /user/<name>/lab answers 200."""
        self.client.request("POST", f"/users/{name}/server", json={"track": track})
        token = self.user_token(name)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            user = self.client.user(name)
            if user["servers"].get("", {}).get("ready"):
                response = requests.get(
                    f"{self.url}/user/{name}/lab", headers={"Authorization": f"token {token}"},
                    timeout=30,
                )
                if response.status_code == 200:
                    return token
            elif not user["pending"] and not user["servers"]:
                pytest.fail(f"{name}'s server failed to start; see {self.log}")
            time.sleep(1)
        pytest.fail(f"{name}'s server did not start within {timeout} s; see {self.log}")

    def stop_server(self, name: str, timeout: float = 60) -> None:
        self.client.request("DELETE", f"/users/{name}/server")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.client.user(name)["servers"]:
                return
            time.sleep(0.5)
        pytest.fail(f"{name}'s server did not stop within {timeout} s")

    @property
    def log(self) -> Path:
        return self.settings.hub_dir / "jupyterhub.log"


def proxies_on(port: int) -> list[int]:
    """configurable-http-proxy processes serving ``port``."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(b"configurable-http-proxy" in arg for arg in args) and (
            str(port).encode() in args
        ):
            found.append(int(entry.name))
    return found


def running(pid: int) -> bool:
    """Whether ``pid`` still runs (a zombie whose parent is gone has ended)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def kill_leftovers(users: list[str], settings: Settings,
                   timeout: float = 30) -> dict[str, list[int]]:
    """Wait up to ``timeout`` s for the processes of ``users``, of the hub's services and of
    its proxy to end (a server's kernels, a server stopping under load exit a moment after
    the hub says stopped), kill what still runs and return it (empty: nothing was left)."""
    deadline = time.monotonic() + timeout
    while True:
        left = {user: processes_of(user) for user in users}
        left["services"] = stale_services(settings)
        left["proxy"] = proxies_on(settings.port)
        left = {key: running_pids for key, pids in left.items()
                if (running_pids := [pid for pid in pids if running(pid)])}
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    for pids in left.values():
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    return left



def remove_site(settings: Settings, prefix: str, data_root: Path) -> dict[str, list[int]]:
    """After a test hub stopped: wait for (then kill) what its people ``<prefix>-*``, services
    and proxy left running (:func:`kill_leftovers`), remove those people's Unix accounts and
    groups and ``data_root``. Returns what had to be killed."""
    users = [entry.pw_name for entry in pwd.getpwall() if entry.pw_name.startswith(prefix + "-")]
    left = kill_leftovers(users, settings)
    for user in users:
        remove_user(user)
    for group in grp.getgrall():
        if group.gr_name.startswith((cohort_unix_group(prefix + "-"),
                                     course_instructors_unix_group(prefix + "-"))):
            subprocess.run(["groupdel", group.gr_name], check=True)
    shutil.rmtree(data_root, ignore_errors=True)
    return left

def processes_of(user: str) -> list[int]:
    try:
        uid = pwd.getpwnam(user).pw_uid
    except KeyError:
        return []
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    pids.append(int(entry.name))
            except FileNotFoundError:
                continue
    return pids


def open_checkout_for_learners() -> None:
    """Learners' servers run the checkout's Python as other Unix users: a checkout inside a
    private folder (a CI clone in a 0700 temp dir, /root) gets traversal (o+x) there."""
    for needed in (Path(sys.executable), REPO / "hub"):
        while (private := private_ancestor(needed)) is not None:
            print(f"tests: letting learner accounts traverse {private} (chmod o+x)")
            private.chmod(private.stat().st_mode | 0o001)


@contextlib.contextmanager
def running_hub(**extra: str) -> Iterator[Hub]:
    """A running hub as root in local mode, with one cohort; torn down completely.
    ``extra`` are more NORTHLAB_<KEY> values (e.g. database_url)."""
    if os.geteuid() != 0:
        pytest.fail("the hub tests need root (local mode creates Unix users), as in CI")
    open_checkout_for_learners()
    prefix = "t" + secrets.token_hex(2)
    data_root = Path(tempfile.mkdtemp(prefix="northlab-test-", dir="/tmp"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("NORTHLAB_")}
    labs_root = data_root / "labs"
    write_lab(labs_root)
    env.update(NORTHLAB_DATA=str(data_root), NORTHLAB_PORT=str(free_port_block()),
               NORTHLAB_LABS_ROOT=str(labs_root))
    env.update({f"NORTHLAB_{key.upper()}": value for key, value in extra.items()})
    settings = load_settings(env)
    hub = Hub(settings, None, HubClient(settings), prefix)  # type: ignore[arg-type]
    add_cohort(settings, hub.cohort)
    add_cohort(settings, hub.other_cohort)
    # a lead recorded the way northlab did before per-cohort staff groups (upgrade path)
    registry = load_cohorts(cohorts_file(settings))
    registry[hub.cohort]["leads"] = [hub.name("oldlead")]
    save_cohorts(cohorts_file(settings), registry)
    process = start_hub(settings)
    hub.process = process
    try:
        yield hub
    finally:
        with contextlib.suppress(HubUnavailable):  # a test may have stopped the hub
            for user in hub.client.request("GET", "/users").json():
                if user["servers"]:
                    hub.stop_server(user["name"])
        stop_hub(settings, hub.process)  # a test may have restarted it
        leftovers = remove_site(settings, prefix, data_root)
        assert not leftovers, f"processes left behind: {leftovers}"


@pytest.fixture(scope="session")
def hub() -> Iterator[Hub]:
    """The shared hub of the hub tests (SQLite hub database; servers forked from the
    fork-server, hub/forkserver; opt-in for sites, tested here)."""
    with running_hub(server_start="fork") as running:
        yield running


@pytest.fixture(scope="session")
def process_hub() -> Iterator[Hub]:
    """A hub whose servers start as new processes (``server_start = "process"``)."""
    with running_hub(server_start="process") as running:
        yield running


@pytest.fixture(params=["fork", "process"])
def any_hub(request: pytest.FixtureRequest) -> Hub:
    """The shared hub, then the process-start hub: a test using it runs on both start
    paths of learners' servers."""
    return request.getfixturevalue("hub" if request.param == "fork" else "process_hub")
