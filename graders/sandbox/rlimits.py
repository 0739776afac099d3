"""Fallback sandbox when bubblewrap is missing: rlimits + a dedicated uid (+ no network).

What it cannot enforce is said in :meth:`isolation`: no mount isolation (the learner's
code can read any file the sandbox uid can read on the host, so keep the data root,
labs and keys unreadable to "other"), no pid namespace. Each submission still gets its
fresh namespaces and capped scratch tmpfs (:mod:`graders.sandbox.namespaces`). Network
is cut with ``unshare -n`` when run as root.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time

from graders.sandbox.base import LaunchSpec, Sandbox, drop_privileges
from graders.sandbox.cgroup import Cgroups


def _owner(pid: str) -> int | None:
    try:
        return os.stat(f"/proc/{pid}").st_uid
    except OSError:
        return None


def _can_unshare_net() -> bool:
    if os.geteuid() != 0 or not shutil.which("unshare"):
        return False
    try:
        return subprocess.run(["unshare", "-n", "true"], capture_output=True,
                              timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


class RlimitSandbox(Sandbox):
    name = "rlimits"
    #: whether ``unshare -n`` cuts the network (probed once)
    network_namespace: bool | None = None

    def __init__(self, uid_base: int | None = None, cgroups: Cgroups | None = None) -> None:
        super().__init__(uid_base, cgroups)
        self._scratch: dict[tuple[str, int], str] = {}

    @classmethod
    def available(cls) -> bool:
        return True

    def _net(self) -> bool:
        if RlimitSandbox.network_namespace is None:
            RlimitSandbox.network_namespace = _can_unshare_net()
        return RlimitSandbox.network_namespace

    def isolation(self) -> str:
        net = "netns" if self._net() else "NO-network-isolation"
        user = "uid" if os.geteuid() == 0 else "SAME-uid-as-grader"
        missing = "" if self.cgroups is not None else ",cgroup"
        return (f"rlimits(cpu,as,nproc,fsize,nofile)+{user}+{net}+wall-clock;"
                f"{self.cgroup_note()};NOT-enforced:mount-isolation,pid-namespace{missing}")

    def scratch(self, spec: LaunchSpec, uid: int | None) -> str:
        old = self._scratch.pop((spec.role, spec.slot), None)
        if old:
            shutil.rmtree(old, ignore_errors=True)
        folder = tempfile.mkdtemp(prefix=f"northlab-{spec.role}{spec.slot}-")
        if uid is not None:
            os.chown(folder, uid, uid)
        self._scratch[(spec.role, spec.slot)] = folder
        return folder

    def cleanup(self, spec: LaunchSpec) -> None:
        """Kill every process of the slot's dedicated uid (there is no pid namespace) and
        remove its scratch folder."""
        uid = self.uid(spec)
        if uid is not None:
            for _ in range(20):
                pids = [int(p) for p in os.listdir("/proc") if p.isdigit()
                        and _owner(p) == uid]
                if not pids:
                    break
                for pid in pids:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
                time.sleep(0.01)
        folder = self._scratch.pop((spec.role, spec.slot), None)
        if folder:
            shutil.rmtree(folder, ignore_errors=True)

    def wrap(self, spec: LaunchSpec, argv: list[str], uid: int | None) -> tuple[
            list[str], dict[str, str]]:
        paths = {"scratch": self.scratch(spec, uid)}
        paths.update({name: str(host) for name, host in spec.mounts.items()})
        if uid is None:
            return argv, paths
        network = ["unshare", "-n", "--"] if self._net() else []
        return [*network, *drop_privileges(uid), *argv], paths
