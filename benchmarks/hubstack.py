"""Shared by the hub benchmarks: a real northlab hub on a temp data root, torn down after."""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import requests

from hub.commands.runner import start_hub, stop_hub
from hub.config.settings import Settings, load_settings
from hub.people.accounts import cohort_unix_group, remove_user
from hub.people.manage import HubClient, add_cohort, add_person
from tests.support.ports import free_port_block


@dataclass
class Stack:
    settings: Settings
    client: HubClient
    prefix: str
    users: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.settings.port}"

    @property
    def cohort(self) -> str:
        return f"{self.prefix}-bench"

    def add_learner(self, role: str) -> tuple[str, str]:
        name, password = f"{self.prefix}-{role}", secrets.token_urlsafe(12)
        add_person(self.settings, self.client, name, role="learner", cohort=self.cohort,
                   password=password)
        self.users.append(name)
        return name, password

    def start_server(self, name: str, track: str, timeout: float = 300) -> float:
        """Start and wait until ready; returns seconds from request to ready."""
        started = time.monotonic()
        self.client.request("POST", f"/users/{name}/server", json={"track": track})
        while time.monotonic() - started < timeout:
            if self.client.user(name)["servers"].get("", {}).get("ready"):
                return time.monotonic() - started
            time.sleep(0.2)
        raise RuntimeError(f"{name}'s server did not start")

    def stop_server(self, name: str, timeout: float = 120) -> None:
        self.client.request("DELETE", f"/users/{name}/server")
        deadline = time.monotonic() + timeout
        while self.client.user(name)["servers"] and time.monotonic() < deadline:
            time.sleep(0.5)

    def token(self, name: str) -> str:
        return self.client.request("POST", f"/users/{name}/tokens", json={}).json()["token"]


def user_pids(name: str) -> list[int]:
    uid = pwd.getpwnam(name).pw_uid
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(FileNotFoundError):
                if entry.stat().st_uid == uid:
                    pids.append(int(entry.name))
    return pids


@contextlib.contextmanager
def northlab_stack(root: Path, **extra: str) -> Iterator[Stack]:
    """A running northlab hub (local mode) with one cohort under ``root``; ``extra`` are more
    settings (``server_start="process"``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NORTHLAB_")}
    env.update(NORTHLAB_DATA=str(root / "data"), NORTHLAB_PORT=str(free_port_block()),
               NORTHLAB_LABS_ROOT=str(root / "labs"))
    env.update({f"NORTHLAB_{key.upper()}": value for key, value in extra.items()})
    (root / "labs").mkdir(exist_ok=True)
    settings = load_settings(env)
    stack = Stack(settings, HubClient(settings), "b" + secrets.token_hex(2))
    add_cohort(settings, stack.cohort)
    process = start_hub(settings)
    try:
        yield stack
    finally:
        for name in stack.users:
            with contextlib.suppress(requests.RequestException):
                if stack.client.user(name)["servers"]:
                    stack.stop_server(name)
        stop_hub(settings, process)
        for name in stack.users:
            with contextlib.suppress(KeyError):
                for pid in user_pids(name):
                    os.kill(pid, signal.SIGKILL)
            remove_user(name)
        subprocess.run(["groupdel", cohort_unix_group(stack.cohort)], check=False,
                       capture_output=True)
        shutil.rmtree(root / "data", ignore_errors=True)
