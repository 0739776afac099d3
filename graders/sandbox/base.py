"""The sandbox contract: how a pre-warmed interpreter (a zygote) is started for a role.

Like JupyterHub's ``Spawner``, a sandbox is a small class behind a written contract;
:func:`graders.sandbox.detect` picks the strongest one the host offers at start (or the
one named by ``NORTHLAB_SANDBOX``). Everything else (the zygote, the worker/judge
protocol, limits, scoring) is the same engine whatever the sandbox.

Roles: ``worker`` runs the learner's code; ``judge`` runs the lab's trusted tests and must
never run learner code. Each (role, slot) gets its own unprivileged uid when the grader
runs as root: ``uid_base + block * 64 + 2 * slot`` for the worker and ``+ 1`` for the judge,
where ``block`` is the grading run's uid block (:mod:`graders.sandbox.uids`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graders.sandbox.cgroup import Cgroups
from graders.sandbox.cgroup import find as find_cgroups
from graders.sandbox.uids import BLOCK_SIZE
from northlab.settings import SandboxSettings, load

#: First uid used for sandboxed processes (the ``uid_base`` setting,
#: ``NORTHLAB_SANDBOX_UID_BASE``); the range ``[base, base + 64 * 32)`` must not belong to
#: real users of the host.
DEFAULT_UID_BASE = SandboxSettings.uid_base


def drop_privileges(uid: int) -> list[str]:
    """Command prefix (util-linux ``setpriv``) that becomes ``uid`` with no supplementary
    groups, no capabilities (inheritable, bounding) and ``no_new_privs``."""
    return ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
            "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"]


@dataclass
class LaunchSpec:
    """What to start: one zygote for ``role`` in ``slot``."""

    role: str  #: "worker" or "judge"
    slot: int  #: worker slot number (0 .. workers-1)
    settings: dict[str, Any]  #: passed to the zygote as JSON
    #: host folders made visible read-only, by name ("release", "lab"); the sandbox tells
    #: the zygote where they appear inside through ``settings[name]``
    mounts: dict[str, Path] = field(default_factory=dict)
    scratch_mb: int = 64  #: size of the private writable scratch folder
    block: int = 0  #: uid block of the grading run (:mod:`graders.sandbox.uids`)
    log: Path | None = None  #: file for the zygote's own stderr


class Sandbox(ABC):
    """Base class of sandbox implementations (see module docstring)."""

    #: short name used in ``NORTHLAB_SANDBOX`` and in the result's ``isolation`` field
    name: str = ""
    #: True when each zygote gets its own pid namespace (``kill(-1)`` stays inside it)
    pid_namespace: bool = False
    #: True when each submission's child enters fresh namespaces and a capped scratch tmpfs
    #: (:mod:`graders.sandbox.namespaces`); it then refuses to run if the kernel says no
    fresh_namespaces: bool = True

    def __init__(self, uid_base: int | None = None, cgroups: Cgroups | None = None) -> None:
        self.uid_base = uid_base if uid_base is not None else load(SandboxSettings).uid_base
        #: the cgroup hierarchy for per-submission groups (None: none is writable here)
        self.cgroups = cgroups if cgroups is not None else find_cgroups()

    def cgroup_note(self) -> str:
        """What bounds each submission beyond rlimits, for :meth:`isolation`: its fresh
        namespaces and scratch tmpfs, and ``cgroup-v1(memory,pids,cpu...)`` /
        ``cgroup-v2(memory,pids,cpu)`` / ``no-cgroup``."""
        cgroup = self.cgroups.note() if self.cgroups is not None else "no-cgroup"
        return f"per-submission(userns,pid,ipc,mount,uts,net;tmpfs-size,inodes)+{cgroup}"

    @classmethod
    @abstractmethod
    def available(cls) -> bool:
        """Return True when this host can run this sandbox (called once at start)."""

    @abstractmethod
    def isolation(self) -> str:
        """One line saying what is enforced and what is not, for the result record."""

    @abstractmethod
    def wrap(self, spec: LaunchSpec, argv: list[str], uid: int | None) -> tuple[
            list[str], dict[str, str]]:
        """Return ``(command, paths)``: ``command`` runs ``argv`` inside the sandbox and, when
        ``uid`` is given, drops to it (see :func:`drop_privileges`); ``paths`` maps each name
        of ``spec.mounts`` plus ``"scratch"`` to the path the zygote sees."""

    def cleanup(self, spec: LaunchSpec) -> None:
        """Called after the zygote of ``spec`` was stopped: remove what it may have left
        on the host (nothing for sandboxes with their own pid namespace and tmpfs)."""
        return None

    def uid(self, spec: LaunchSpec) -> int | None:
        """The unprivileged uid for this role and slot, or None when not running as root."""
        if os.geteuid() != 0:
            return None
        return (self.uid_base + spec.block * BLOCK_SIZE + 2 * spec.slot
                + (1 if spec.role == "judge" else 0))

    def environment(self, scratch: str) -> dict[str, str]:
        """The whole environment of sandboxed processes (nothing leaks from the grader's)."""
        return {
            "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
            "HOME": scratch, "USER": "learner", "LOGNAME": "learner",
            "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "TMPDIR": scratch,
            "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
            "NUMEXPR_NUM_THREADS": "1", "MPLBACKEND": "Agg", "MPLCONFIGDIR": f"{scratch}/.mpl",
            "IPYTHONDIR": f"{scratch}/.ipython", "PYTHONDONTWRITEBYTECODE": "1",
            "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "SDL_VIDEODRIVER": "dummy",
            "SDL_AUDIODRIVER": "dummy", "PYGAME_HIDE_SUPPORT_PROMPT": "1",
        }

    def launch(self, spec: LaunchSpec, ctl_fd: int) -> subprocess.Popen[bytes]:
        """Start the zygote for ``spec``; ``ctl_fd`` is its end of the control socket."""
        uid = self.uid(spec)
        settings = dict(spec.settings)
        placeholder = [sys.executable, "-I", "-m", "graders.sandbox.zygote",
                       "--ctl", str(ctl_fd), "--settings"]
        command, paths = self.wrap(spec, placeholder, uid)
        settings.update(paths)
        settings["kill_all"] = self.pid_namespace or uid is not None
        settings["fresh_namespaces"] = self.fresh_namespaces
        command = [*command, json.dumps(settings)]
        log = open(spec.log, "ab") if spec.log else subprocess.DEVNULL  # noqa: SIM115
        try:
            return subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                pass_fds=(ctl_fd,), env=self.environment(paths["scratch"]), cwd="/",
                start_new_session=True,
            )
        finally:
            if log is not subprocess.DEVNULL:
                log.close()
