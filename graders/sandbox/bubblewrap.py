"""The strongest sandbox: bubblewrap namespaces + a dedicated uid + rlimits.

Each zygote gets new pid, network, IPC, UTS and mount namespaces. Its file system is built
from an allow-list: read-only system folders, the Python installation, the ``graders``
package and the core (``northlab``), the lab folder it needs (``release`` for the worker,
the whole lab for the judge), and a private size-limited tmpfs as scratch. Nothing else of
the host is visible: not the data root, other submissions, keys, the repository's labs.

As root, bwrap runs privileged (no user namespace) and the command inside drops to the
slot's uid with ``setpriv`` (no capabilities, no_new_privs), so RLIMIT_NPROC applies to a
real unprivileged uid. Not as root, bwrap adds a user namespace and the code runs with the
grader's own uid (said in :meth:`isolation`).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import northlab
from graders.sandbox.base import LaunchSpec, Sandbox, drop_privileges

BWRAP = "/usr/bin/bwrap"
SYSTEM_DIRS = ("/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin")
ETC_FILES = ("/etc/ld.so.cache", "/etc/localtime", "/etc/ssl", "/etc/alternatives",
             "/etc/fonts", "/etc/mime.types", "/etc/nsswitch.conf")
SCRATCH = "/tmp"
INSIDE = {"release": "/srv/release", "lab": "/srv/lab"}
NAMESPACES = ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
              "--unshare-cgroup-try"]


def python_dirs() -> list[str]:
    """Folders the interpreter and the engine need: base Python, venv, the graders package
    and the core it imports (``northlab``)."""
    dirs = {sys.base_prefix, sys.prefix, str(Path(__file__).resolve().parents[1]),
            str(Path(northlab.__file__).resolve().parent)}
    return sorted(d for d in dirs if not any(d.startswith(s + "/") for s in SYSTEM_DIRS))


class BubblewrapSandbox(Sandbox):
    name = "bubblewrap"
    pid_namespace = True

    @classmethod
    def available(cls) -> bool:
        if not os.path.exists(BWRAP):
            return False
        if os.geteuid() == 0:
            probe = [BWRAP, *NAMESPACES, "--ro-bind", "/", "/", "--proc", "/proc",
                     "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--",
                     *drop_privileges(65534), "true"]
        else:
            probe = [BWRAP, "--unshare-all", "--ro-bind", "/", "/", "--proc", "/proc", "true"]
        try:
            return subprocess.run(probe, capture_output=True, timeout=20).returncode == 0
        except (OSError, subprocess.SubprocessError):
            return False

    def isolation(self) -> str:
        user = "uid" if os.geteuid() == 0 else "userns-same-uid"
        return (f"bubblewrap(pid,net,ipc,uts,mount;ro-system,private-tmpfs)+{user}"
                f"+rlimits(cpu,as,nproc,fsize,nofile)+wall-clock;{self.cgroup_note()}")

    def wrap(self, spec: LaunchSpec, argv: list[str], uid: int | None) -> tuple[
            list[str], dict[str, str]]:
        privileged = uid is not None
        cmd = [BWRAP, *(NAMESPACES if privileged else ["--unshare-all"]),
               "--die-with-parent", "--new-session", "--hostname", "sandbox"]
        if privileged:
            cmd += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
        else:
            cmd += ["--cap-drop", "ALL"]
        for path in SYSTEM_DIRS:
            if os.path.islink(path):
                cmd += ["--symlink", os.readlink(path), path]
            elif os.path.isdir(path):
                cmd += ["--ro-bind", path, path]
        for path in ETC_FILES:
            if os.path.exists(path):
                cmd += ["--ro-bind", path, path]
        # Scratch first: binds below stay visible even when the checkout lives under /tmp.
        cmd += ["--perms", "1777", "--size", str(spec.scratch_mb * 1024 * 1024),
                "--tmpfs", SCRATCH]
        made: set[str] = {SCRATCH}
        binds = [(p, p) for p in python_dirs()]
        paths = {"scratch": SCRATCH}
        for name, host in spec.mounts.items():
            inside = INSIDE.get(name, f"/srv/{name}")
            binds.append((str(host), inside))
            paths[name] = inside
        for host, inside in binds:
            for parent in reversed(Path(inside).parents):
                text = str(parent)
                if text != "/" and text not in made and text not in SYSTEM_DIRS:
                    cmd += ["--perms", "0755", "--dir", text]
                    made.add(text)
            cmd += ["--ro-bind", host, inside]
        cmd += ["--proc", "/proc", "--dev", "/dev", "--chdir", SCRATCH, "--"]
        if privileged:
            cmd += drop_privileges(uid)
        return cmd + argv, paths
