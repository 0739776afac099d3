"""Start the real hub (JupyterHub + configurable-http-proxy) as a child process."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import fields
from pathlib import Path

import requests

from hub import managed
from hub.config.address import address_file, write_hub_address
from hub.config.settings import REPO, Settings, SettingsError, check_can_serve
from hub.courses.folders import ensure_layout, protect_lab_sources
from hub.people.accounts import private_ancestor

CONFIG = REPO / "hub" / "jupyterhub_config.py"


def hub_env(settings: Settings) -> dict[str, str]:
    """Environment of the hub: ours, every setting as NORTHLAB_<KEY> (so the hub config
    sees exactly these settings), and the venv and the proxy on PATH."""
    bin_dirs = [str(Path(sys.executable).parent), str(settings.proxy_command.parent)]
    env = dict(os.environ)
    for field in fields(settings):
        value = getattr(settings, field.name)
        if isinstance(value, tuple):
            value = ",".join(value)
        env[field.metadata.get("env") or f"NORTHLAB_{field.name.upper()}"] = str(value)
    env["PATH"] = os.pathsep.join([*bin_dirs, os.environ.get("PATH", "/usr/bin:/bin")])
    return env


def stop_stale_proxy(settings: Settings, timeout: float = 10) -> None:
    """Stop the proxy a crashed hub of this data root left running (found by its pid file)."""
    pid_file = settings.hub_dir / "proxy.pid"
    try:
        pid = int(pid_file.read_text())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return
    if b"configurable-http-proxy" not in cmdline:
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)


def check_reachable(settings: Settings) -> None:
    """Learners run Python, northlab and their homes as their own Unix users: every folder
    on the way must let them through."""
    for needed in (Path(sys.executable), REPO / "hub", settings.data_root):
        private = private_ancestor(needed)
        if private is not None:
            raise SettingsError(
                f"Learner accounts cannot reach {needed} because {private} is private: move "
                f"northlab to a shared place such as /opt/northlab or run `chmod o+x {private}`."
            )


def _running_hub(settings: Settings) -> int | None:
    try:
        pid = int((settings.hub_dir / "jupyterhub.pid").read_text())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return None
    return pid if b"jupyterhub" in cmdline else None


def _environ(pid: int) -> list[bytes]:
    try:
        return Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return []


def _children() -> dict[int, list[int]]:
    """Parent pid -> child pids, for every running process."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    return children


def started_by_hub(settings: Settings) -> list[int]:
    """Every process the hub of ``settings`` started, running or left behind: services,
    learners' servers (they outlive the hub: ``cleanup_servers`` is off), their kernels and
    terminals (all carry the hub's API address), and whatever those started (grading
    sandboxes)."""
    hub_api = f"JUPYTERHUB_API_URL=http://127.0.0.1:{settings.port + managed.HUB_PORT_OFFSET}/"
    children = _children()
    found: set[int] = set()
    todo = [pid for pids in children.values() for pid in pids
            if any(item.decode(errors="replace").startswith(hub_api) for item in _environ(pid))]
    while todo:
        pid = todo.pop()
        if pid not in found and pid != os.getpid():
            found.add(pid)
            todo.extend(children.get(pid, []))
    return sorted(found)


def stop_everything(settings: Settings, timeout: float = 30) -> int:
    """``northlab stop``: the hub of ``settings`` (if running), its proxy, and everything it
    started (:func:`started_by_hub`); returns how many processes were stopped."""
    hub = _running_hub(settings)
    started = set(started_by_hub(settings))
    if hub:
        os.killpg(hub, signal.SIGTERM)
        if _wait_gone([hub], timeout):
            os.killpg(hub, signal.SIGKILL)
    stop_proxy(settings.hub_dir / "proxy.pid")
    started |= set(started_by_hub(settings))
    _terminate(sorted(started), timeout)
    address_file(settings).unlink(missing_ok=True)
    return len(started) + bool(hub)


def _terminate(pids: list[int], timeout: float) -> None:
    """SIGTERM ``pids``, then SIGKILL those still running after ``timeout`` s."""
    left = pids
    for signum in (signal.SIGTERM, signal.SIGKILL):
        for pid in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signum)
        left = _wait_gone(left, timeout)


def _wait_gone(pids: list[int], timeout: float) -> list[int]:
    """Wait up to ``timeout`` s for ``pids`` to end (zombies count as ended); those left."""
    deadline = time.monotonic() + timeout
    while True:
        left = [pid for pid in pids if _alive(pid)]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.2)


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def stale_services(settings: Settings) -> list[int]:
    """Managed services of the hub of this port (and their children), found by the hub
    API address and service name JupyterHub gives them."""
    hub_api = f"JUPYTERHUB_API_URL=http://127.0.0.1:{settings.port + managed.HUB_PORT_OFFSET}/"
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        names = {item.split(b"=", 1)[0] for item in environ}
        if b"JUPYTERHUB_SERVICE_NAME" in names and any(
            item.decode(errors="replace").startswith(hub_api) for item in environ
        ):
            found.append(int(entry.name))
    return found


def start_hub(settings: Settings, log_path: Path | None = None) -> subprocess.Popen:
    """Prepare the data root and start the hub; returns once it answers.

    Leftovers of a crashed hub of this data root (its proxy and services) are stopped
    first; a hub still running is an error.
    """
    running = _running_hub(settings)
    if running:
        raise SettingsError(
            f"The hub of {settings.data_root} is already running (process {running}) "
            f"at http://{settings.ip}:{settings.port}/."
        )
    check_can_serve(settings, port=settings.port + managed.HUB_PORT_OFFSET)
    if settings.mode == "local":
        check_reachable(settings)
    stop_stale_proxy(settings)
    _terminate(stale_services(settings), timeout=10)
    for offset in (0, managed.PROXY_API_PORT_OFFSET):
        check_can_serve(settings, port=settings.port + offset)
    ensure_layout(settings)
    if settings.mode == "local":
        protect_lab_sources(settings.labs_root)
    log_path = log_path or settings.hub_dir / "jupyterhub.log"
    log = open(log_path, "ab")  # noqa: SIM115 - handed to the child
    process = subprocess.Popen(
        [sys.executable, "-m", "jupyterhub", "-f", str(CONFIG)],
        cwd=settings.hub_dir, env=hub_env(settings), stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    log.close()
    try:
        wait_until_up(settings, process, log_path)
    except BaseException:
        stop_hub(settings, process)
        raise
    write_hub_address(settings)
    return process


def wait_until_up(
    settings: Settings, process: subprocess.Popen, log_path: Path, timeout: float = 240
) -> None:
    # the proxy routes /hub/ only once every managed service started: on a loaded machine
    # (CI, 2 cores at load 20) that took over 90 s; a hub that dies is reported at once
    url = f"http://127.0.0.1:{settings.port}/hub/api/"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log_path.read_text(errors="replace").strip().splitlines()[-5:]
            raise SettingsError(f"The hub stopped while starting (see {log_path}): {tail[-1:]}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):  # a loaded machine answers late
            pass
        time.sleep(0.5)
    raise SettingsError(f"The hub did not answer within {timeout:.0f} s (see {log_path}).")


def stop_hub(settings: Settings, process: subprocess.Popen, timeout: float = 30) -> None:
    """Stop the hub (its process group), then its proxy and every managed service still
    running; learners' servers are left running (``cleanup_servers`` is off).

    JupyterHub starts the proxy and each service in a session of its own and stops them
    on a clean shutdown only: a hub killed after ``timeout``, or one that gave up at start,
    leaves them, so they are found (pid file, :func:`stale_services`) and stopped here.
    """
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    stop_proxy(settings.hub_dir / "proxy.pid")
    _terminate(stale_services(settings), timeout)
    address_file(settings).unlink(missing_ok=True)


def stop_proxy(pid_file: Path) -> None:
    """Stop the configurable-http-proxy named in ``pid_file``, if it still runs."""
    try:
        pid = int(pid_file.read_text())
        running = b"configurable-http-proxy" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return
    if running:
        os.kill(pid, signal.SIGTERM)
    pid_file.unlink(missing_ok=True)
