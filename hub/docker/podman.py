"""Podman as a private Docker host: its own image store, runtime settings and Docker API
socket, all under one folder outside the checkout (:func:`default_root`).

Podman's defaults do not fit every machine: crun cannot run on hybrid cgroups (runc can),
and podman asks for more open files than many VMs allow, so the limits come from the
machine's own hard limits (``ulimit -Hn``).
"""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import subprocess
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

#: Environment variable naming podman's folder (store, settings, socket).
ROOT_VARIABLE = "NORTHLAB_CONTAINERS"


def default_root() -> Path:
    """Podman's folder: ``$NORTHLAB_CONTAINERS``, else ``$XDG_DATA_HOME/northlab/containers``
    (``~/.local/share/...``). Never inside the checkout: an image store holds hundreds of
    thousands of files and symlink loops that every tool walking the source tree would
    enter (pip's editable build did, for 10+ minutes)."""
    if folder := os.environ.get(ROOT_VARIABLE):
        return Path(folder).resolve()
    data = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(data).resolve() / "northlab" / "containers"


class PodmanError(RuntimeError):
    """A podman command failed or took too long; the message says which and why."""


def missing_tools() -> list[str]:
    """Debian packages a podman host needs that this machine lacks."""
    return [tool for tool in ("podman", "runc", "debootstrap") if shutil.which(tool) is None]


@dataclass(frozen=True)
class PodmanHost:
    """Podman with all its state under ``root``."""

    root: Path

    @property
    def socket(self) -> Path:
        return self.root / "docker.sock"

    @property
    def docker_host(self) -> str:
        """``DOCKER_HOST`` for the Docker CLI, SDK and docker-compose."""
        return f"unix://{self.socket}"

    def environment(self) -> dict[str, str]:
        """Variables that point podman (and Docker clients) at this host."""
        return {
            "CONTAINERS_CONF": str(self.root / "containers.conf"),
            "CONTAINERS_STORAGE_CONF": str(self.root / "storage.conf"),
            "CONTAINERS_REGISTRIES_CONF": str(self.root / "registries.conf"),
            "DOCKER_HOST": self.docker_host,
        }

    def write_config(self) -> None:
        """Write the three configuration files (idempotent)."""
        for folder in ("storage", "run", "tmp", "networks", "volumes"):
            (self.root / folder).mkdir(parents=True, exist_ok=True)
        files = min(resource.getrlimit(resource.RLIMIT_NOFILE)[1], 1_048_576)
        (self.root / "containers.conf").write_text(
            "[containers]\n"
            f'default_ulimits = ["nofile={files}:{files}", "nproc=32768:32768"]\n'
            "[engine]\n"
            'runtime = "runc"\n'
            'cgroup_manager = "cgroupfs"\n'
            'events_logger = "file"\n'
            f'tmp_dir = "{self.root / "tmp"}"\n'
            f'volume_path = "{self.root / "volumes"}"\n'
            "[network]\n"
            'network_backend = "netavark"\n'
            f'network_config_dir = "{self.root / "networks"}"\n'
        )
        (self.root / "storage.conf").write_text(
            "[storage]\n"
            'driver = "overlay"\n'
            f'graphroot = "{self.root / "storage"}"\n'
            f'runroot = "{self.root / "run"}"\n'
        )
        (self.root / "registries.conf").write_text(
            'unqualified-search-registries = ["docker.io"]\nshort-name-mode = "permissive"\n'
        )

    def run(self, args: Sequence[str], *, timeout: float, stdin: bytes | None = None,
            what: str = "") -> str:
        """``podman ARGS`` (stdout); PodmanError with the last output lines on failure."""
        env = {**os.environ, **self.environment()}
        try:
            done = subprocess.run(["podman", *args], input=stdin, env=env, capture_output=True,
                                  timeout=timeout)
        except subprocess.TimeoutExpired as error:
            raise PodmanError(f"{what or args[0]}: no answer after {timeout:.0f} s") from error
        if done.returncode != 0:
            tail = b"\n".join((done.stdout + done.stderr).splitlines()[-15:]).decode(
                errors="replace")
            raise PodmanError(f"{what or args[0]} failed (exit {done.returncode}):\n{tail}")
        return done.stdout.decode(errors="replace")

    def remove(self) -> None:
        """Delete the host: its containers, images, volumes and folder (idempotent)."""
        if not self.root.exists():
            return
        if shutil.which("podman") and (self.root / "storage.conf").exists():
            # podman unmounts its layers first; a plain rmtree could meet mounted overlays
            with contextlib.suppress(PodmanError):
                self.run(["system", "reset", "--force"], timeout=600, what="podman reset")
        shutil.rmtree(self.root)

    def has_image(self, name: str) -> bool:
        env = {**os.environ, **self.environment()}
        return subprocess.run(["podman", "image", "exists", name], env=env,
                              timeout=60).returncode == 0

    @contextlib.contextmanager
    def docker_api(self, *, timeout: float = 60) -> Iterator[str]:
        """Serve the Docker API on :attr:`socket` while inside; yields ``DOCKER_HOST``."""
        self.socket.unlink(missing_ok=True)
        log = (self.root / "service.log").open("ab")
        service = subprocess.Popen(
            ["podman", "system", "service", "--time=0", self.docker_host],
            env={**os.environ, **self.environment()}, stdout=log, stderr=log,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + timeout
            while not self.socket.exists():
                if service.poll() is not None or time.monotonic() > deadline:
                    raise PodmanError(f"podman's Docker API did not start; see {log.name}")
                time.sleep(0.2)
            # as Docker's socket: read-write for its group (root here, NORTHLAB_DOCKER_GID=0)
            self.socket.chmod(0o660)
            yield self.docker_host
        finally:
            service.terminate()
            try:
                service.wait(timeout=30)
            except subprocess.TimeoutExpired:
                service.kill()
                service.wait(timeout=30)
            log.close()
            self.socket.unlink(missing_ok=True)
