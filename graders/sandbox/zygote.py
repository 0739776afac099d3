"""The pre-warmed interpreter that runs *inside* a sandbox (worker or judge role).

Started once per slot by :class:`graders.sandbox.base.Sandbox`: it imports the heavy
libraries once, makes itself non-dumpable (no ptrace, no ``/proc/<pid>/mem`` for its
children), then forks one child per submission. After each child it kills every process
left in the sandbox (``kill(-1)``) and wipes the scratch folder, so nothing of one
submission survives into the next.

Control protocol on fd ``--ctl`` (a Unix socket to the grading parent): the parent sends a
one-byte message carrying two file descriptors (the channel to the peer process and a
private control socket for this one child), followed by a ``{"op": "run"}`` frame; it may
send ``{"op": "kill"}`` while the child runs; the zygote answers ``{"op": "done", ...}``.
"""

from __future__ import annotations

import argparse
import ctypes
import importlib
import json
import os
import resource
import select
import shutil
import signal
import socket
import sys
import time
from pathlib import Path
from typing import Any

from graders.remote.codec import PeerGone, recv_frame, send_frame

EXIT_OUTPUT = 86  #: the child printed more than the output limit
EXIT_SETUP = 87  #: the child could not set up the working copy


def make_non_dumpable() -> None:
    """PR_SET_DUMPABLE=0: same-uid processes can no longer ptrace or read our memory."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(4, 0, 0, 0, 0)


def apply_limits(limits: dict[str, Any]) -> None:
    """setrlimit for the learner's process (inherited by its children)."""
    cpu = int(limits["cpu_seconds"])
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    vm = _vm_size()
    memory = vm + int(limits["memory_mb"]) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    disk = int(limits["disk_mb"]) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_FSIZE, (disk, disk))
    files = int(limits["open_files"])
    resource.setrlimit(resource.RLIMIT_NOFILE, (files, files))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if os.getuid() != 0:
        procs = int(limits["processes"])
        resource.setrlimit(resource.RLIMIT_NPROC, (procs, procs))


def _vm_size() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
    return 0


class CappedOutput:
    """``sys.stdout``/``sys.stderr`` for learner code: counts characters; past the cap the
    process exits with :data:`EXIT_OUTPUT` (the grader turns that into a clear line)."""

    def __init__(self, budget: list[int]) -> None:
        self.budget = budget

    def write(self, text: str) -> int:
        self.budget[0] -= len(text)
        if self.budget[0] < 0:
            os._exit(EXIT_OUTPUT)
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    encoding = "utf-8"
    errors = "strict"


def wipe(folder: Path) -> None:
    """Remove everything inside ``folder`` (the learner may have chmod-ed things)."""
    def fix(func: Any, path: str, _exc: Any) -> None:
        try:
            os.chmod(os.path.dirname(path), 0o700)
            os.chmod(path, 0o700)
            func(path)
        except OSError:
            pass

    for entry in list(folder.iterdir()) if folder.is_dir() else []:
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, onerror=fix)
        else:
            try:
                entry.unlink()
            except OSError:
                pass


def kill_leftovers(group: int, kill_all: bool) -> None:
    """Kill the child's process group and, when the sandbox has its own pid namespace or a
    dedicated uid (``kill_all``), every process this user still has; then reap."""
    try:
        os.killpg(group, signal.SIGKILL)
    except OSError:
        pass
    for _ in range(50 if kill_all else 0):
        try:
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:
            break
        except PermissionError:
            break
        _reap()
        time.sleep(0.002)
    _reap()


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


class Zygote:
    def __init__(self, ctl: socket.socket, settings: dict[str, Any]) -> None:
        self.ctl = ctl
        self.settings = settings
        self.scratch = Path(settings["scratch"])
        self.role = settings["role"]
        self.shell: Any = None

    def warm_up(self) -> None:
        for name in self.settings.get("preload", []):
            try:
                importlib.import_module(name)
            except Exception as exc:  # a missing optional library must not stop grading
                print(f"zygote: cannot preload {name}: {exc}", file=sys.stderr)
        if self.role == "worker" and self.settings.get("kind") == "notebook":
            from graders.sandbox.child import make_shell
            self.shell = make_shell()
        elif self.role == "judge":
            import graders.judge.run  # noqa: F401  (pytest and the notebook runner)

    def serve(self) -> None:
        send_frame(self.ctl, {"op": "ready", "pid": os.getpid()})
        while True:
            try:
                _, fds, _, _ = socket.recv_fds(self.ctl, 1, 4)
                header, _ = recv_frame(self.ctl)
            except (PeerGone, OSError):
                return
            if header.get("op") != "run" or len(fds) != 2:
                for fd in fds:
                    os.close(fd)
                continue
            self.run_one(fds)

    def run_one(self, fds: list[int]) -> None:
        started = time.monotonic()
        pid = os.fork()
        if pid == 0:
            self.ctl.close()
            from graders.sandbox.child import child_main
            code = 1
            try:
                code = child_main(self.role, fds, self.settings, self.shell)
            except BaseException:  # noqa: BLE001 - report, then always leave through _exit
                import traceback
                traceback.print_exc()
            finally:
                os._exit(code)
        for fd in fds:
            os.close(fd)
        killed = False
        pidfd = os.pidfd_open(pid)
        status = 0
        while True:
            ready, _, _ = select.select([self.ctl, pidfd], [], [])
            if pidfd in ready:
                _, status = os.waitpid(pid, 0)
                break
            try:
                _, fds2, _, _ = socket.recv_fds(self.ctl, 1, 4)
                header, _ = recv_frame(self.ctl)
            except (PeerGone, OSError):
                os.kill(pid, signal.SIGKILL)
                os._exit(0)
            for fd in fds2:
                os.close(fd)
            if header.get("op") == "kill":
                killed = True
                os.kill(pid, signal.SIGKILL)
        os.close(pidfd)
        kill_leftovers(pid, bool(self.settings.get("kill_all")))
        wipe(self.scratch)
        send_frame(self.ctl, {
            "op": "done",
            "exit": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
            "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
            "killed": killed,
            "seconds": time.monotonic() - started,
        })


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="northlab sandbox zygote (internal)")
    parser.add_argument("--ctl", type=int, required=True)
    parser.add_argument("--settings", required=True)
    args = parser.parse_args(argv)
    ctl = socket.socket(fileno=args.ctl)
    settings = json.loads(args.settings)
    make_non_dumpable()
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    zygote = Zygote(ctl, settings)
    zygote.warm_up()
    zygote.serve()


if __name__ == "__main__":
    main()
