"""`northlab demo` is idempotent and survives a reboot-like stop with learners' work."""

from __future__ import annotations

import grp
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import requests

from hub.commands.demo import DEMO_COHORT, DEMO_PEOPLE
from hub.commands.runner import stale_services
from hub.config.settings import REPO, load_settings
from hub.people.accounts import cohort_unix_group, course_instructors_unix_group, remove_user
from tests.support.ports import free_port_block

from .conftest import open_checkout_for_learners, processes_of

pytestmark = pytest.mark.slow


def run_demo(env: dict[str, str]) -> dict[str, str]:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "northlab"), "demo", "--no-wait"], cwd=REPO, env=env,
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    # "  role  name  password" and, for a one-track learner, "  (Track / Parcours)"
    return dict(re.findall(r"^\s+\w+\s+(\S+)\s+(\S+)(?:\s+\(.*\))?$", result.stdout,
                           re.MULTILINE))


def hub_pid(data: Path) -> int:
    return int((data / "hub" / "jupyterhub.pid").read_text())


def kill_hub(data: Path, sig: signal.Signals, timeout: float = 60) -> None:
    """Signal the hub's process group and wait until the hub process is gone."""
    pid = hub_pid(data)
    os.killpg(pid, sig)
    deadline = time.monotonic() + timeout
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not Path(f"/proc/{pid}").exists(), "the hub did not stop"


def test_demo_twice_and_after_a_crash():
    open_checkout_for_learners()
    existed = {name for name, _ in DEMO_PEOPLE if _exists(name)}
    demo_groups = {cohort_unix_group(DEMO_COHORT), course_instructors_unix_group(DEMO_COHORT)}
    groups_existed = demo_groups & {g.gr_name for g in grp.getgrall()}
    data = Path(tempfile.mkdtemp(prefix="northlab-demo-", dir="/tmp"))
    port = free_port_block()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NORTHLAB_")}
    env.update(NORTHLAB_DATA=str(data), NORTHLAB_PORT=str(port))
    api = f"http://127.0.0.1:{port}/hub/api"
    try:
        logins = run_demo(env)
        assert set(logins) == {name for name, _ in DEMO_PEOPLE}
        headers = {"Authorization": f"token {(data / 'hub' / 'cli-token').read_text().strip()}"}
        users = requests.get(f"{api}/users", headers=headers, timeout=30).json()
        assert sorted(u["name"] for u in users) == sorted(logins)
        groups = requests.get(f"{api}/groups/cohort-demo", headers=headers, timeout=30).json()
        assert sorted(groups["users"]) == ["learner-1", "learner-2", "learner-3",
                                           "learner-foundations"]
        for group, member in (("instructors-demo", "instructor"), ("leads-demo", "lead")):
            staff = requests.get(f"{api}/groups/{group}", headers=headers, timeout=30).json()
            assert staff["users"] == [member] and staff["roles"], staff  # roles bound at start
        outbound = sorted(p.name for p in (data / "exchange" / "demo" / "outbound").iterdir())

        # A learner works, then the hub stops cleanly and the demo runs again.
        requests.post(f"{api}/users/learner-1/server", headers=headers,
                      json={"track": "robotics"}, timeout=30).raise_for_status()
        _wait_ready(api, headers, "learner-1")
        token = requests.post(f"{api}/users/learner-1/tokens", headers=headers,
                              json={}, timeout=30).json()["token"]
        requests.put(
            f"http://127.0.0.1:{port}/user/learner-1/api/contents/robotics/notes.txt",
            headers={"Authorization": f"token {token}"},
            json={"type": "file", "format": "text", "content": "ice thickness 1.2 m"},
            timeout=30,
        ).raise_for_status()
        kill_hub(data, signal.SIGTERM)
        assert run_demo(env) == logins
        users_again = requests.get(f"{api}/users", headers=headers, timeout=30).json()
        assert len(users_again) == len(users)
        assert sorted(p.name for p in (data / "exchange" / "demo" / "outbound").iterdir()) == \
            outbound

        # Reboot-like stop: everything is killed; the demo comes back with the work intact.
        kill_hub(data, signal.SIGKILL)
        for pid in processes_of("learner-1"):
            os.kill(pid, signal.SIGKILL)
        assert run_demo(env) == logins
        notes = data / "home" / "learner-1" / "robotics" / "notes.txt"
        assert notes.read_text() == "ice thickness 1.2 m"
        requests.post(f"{api}/users/learner-1/server", headers=headers,
                      json={"track": "robotics"}, timeout=30).raise_for_status()
        _wait_ready(api, headers, "learner-1")
        requests.delete(f"{api}/users/learner-1/server", headers=headers, timeout=60)
        _wait_stopped(api, headers, "learner-1")
        # A second demo while the hub runs says so in one sentence.
        again = subprocess.run([str(Path(sys.executable).parent / "northlab"), "demo",
                                "--no-wait"], env=env, capture_output=True, text=True,
                               timeout=300)
        assert again.returncode == 2 and "is already running" in again.stderr
    finally:
        try:
            kill_hub(data, signal.SIGTERM)
        except (FileNotFoundError, ProcessLookupError, ValueError):
            pass
        settings = load_settings(env)
        orphans = stale_services(settings)
        for pid in orphans:
            os.kill(pid, signal.SIGKILL)
        for name, _ in DEMO_PEOPLE:
            if name not in existed:
                for pid in processes_of(name):
                    os.kill(pid, signal.SIGKILL)
                remove_user(name)
        shutil.rmtree(data, ignore_errors=True)
        for group in demo_groups - groups_existed:
            subprocess.run(["groupdel", group], check=False, capture_output=True)
    assert orphans == [], "services left running after the hub stopped"


def _exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def _wait_ready(api: str, headers: dict, name: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        user = requests.get(f"{api}/users/{name}", headers=headers, timeout=30).json()
        if user["servers"].get("", {}).get("ready"):
            return
        time.sleep(1)
    raise AssertionError(f"{name}'s server did not start")


def _wait_stopped(api: str, headers: dict, name: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not requests.get(f"{api}/users/{name}", headers=headers, timeout=30).json()["servers"]:
            return
        time.sleep(0.5)
    raise AssertionError(f"{name}'s server did not stop")
