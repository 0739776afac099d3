"""Sandbox for Docker/Kubernetes modes: the container runtime cuts the network and sets
memory/pids limits (``network_mode: none`` / a NetworkPolicy, resource limits); inside,
the engine still drops to a dedicated uid and applies rlimits. Chosen with
``NORTHLAB_SANDBOX=container`` (the grader image sets it)."""

from __future__ import annotations

import os

from graders.sandbox.rlimits import RlimitSandbox
from northlab.settings import SandboxSettings, load


class ContainerSandbox(RlimitSandbox):
    name = "container"
    #: container runtimes' default seccomp profiles refuse unprivileged user namespaces;
    #: the container itself is the boundary (said in :meth:`isolation`)
    fresh_namespaces = False

    @classmethod
    def available(cls) -> bool:
        return load(SandboxSettings).sandbox == "container"

    def _net(self) -> bool:
        return False

    def isolation(self) -> str:
        user = "uid" if os.geteuid() == 0 else "container-user"
        return (f"container(runtime:network-none,memory,pids)+{user}"
                "+rlimits(cpu,as,nproc,fsize,nofile)+wall-clock;"
                "NOT-enforced:per-submission-namespaces")
