"""The pre-warmed interpreter that runs *inside* a sandbox (worker or judge role).

Started once per slot by :class:`graders.sandbox.base.Sandbox`: it imports the heavy
libraries once, makes itself non-dumpable (no ptrace, no ``/proc/<pid>/mem`` for its
children), then forks one child per submission. After each child it kills every process
left in the sandbox (``kill(-1)``) and wipes the scratch folder, so nothing of one
submission survives into the next.

Control protocol on fd ``--ctl`` (a Unix socket to the grading parent): the parent sends a
one-byte message carrying two file descriptors (the channel to the peer process and a
private control socket for this one child), followed by a ``{"op": "run"}`` frame; it may
send ``{"op": "kill"}`` while the child runs; the zygote answers ``{"op": "done", ...}``
with what it observed itself: the ``wait4`` status and CPU time of the child, and whether
the child wrote more than the output limit (a worker child's stdout and stderr are a pipe
the zygote reads and counts; past the cap it kills the child). Nothing the learner's code
chooses (an exit status, a signal it sends itself) is read as a limit.
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

EXIT_SETUP = 87  #: the child could not set up the working copy


def make_non_dumpable() -> None:
    """PR_SET_DUMPABLE=0: same-uid processes can no longer ptrace or read our memory;
    PR_SET_CHILD_SUBREAPER: what a child leaves behind is reparented to us and reaped
    after it (:func:`kill_leftovers`), never left as a zombie for the host's init."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(4, 0, 0, 0, 0)
    libc.prctl(36, 1, 0, 0, 0)


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


class PipeOutput:
    """``sys.stdout``/``sys.stderr`` for learner code: UTF-8 into file descriptor ``fd``
    (the pipe the zygote counts; the zygote enforces the output limit)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def write(self, text: str) -> int:
        data = text.encode("utf-8", "replace")
        while data:
            data = data[os.write(self.fd, data):]
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
        output, output_end = os.pipe() if self.role == "worker" else (-1, -1)
        pid = os.fork()
        if pid == 0:
            self.ctl.close()
            from graders.sandbox.child import child_main
            code = 1
            try:
                if output >= 0:
                    os.close(output)
                settings = {**self.settings, "output_fd": output_end}
                code = child_main(self.role, [*fds, output_end] if output_end >= 0 else fds,
                                  settings, self.shell)
            except BaseException:  # noqa: BLE001 - report, then always leave through _exit
                import traceback
                traceback.print_exc()
            finally:
                os._exit(code)
        for fd in [*fds, output_end]:
            if fd >= 0:
                os.close(fd)
        watch = OutputWatch(output, int(self.settings["limits"]["output_kb"]) * 1024)
        killed = False
        pidfd = os.pidfd_open(pid)
        while True:
            ready, _, _ = select.select([self.ctl, pidfd, *watch.fds()], [], [])
            if pidfd in ready:
                _, status, rusage = os.wait4(pid, 0)
                break
            if watch.fd >= 0 and watch.fd in ready and watch.read():
                os.kill(pid, signal.SIGKILL)  # over the output limit: the zygote counted it
                continue
            if self.ctl not in ready:
                continue
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
        watch.close()
        kill_leftovers(pid, bool(self.settings.get("kill_all")))
        wipe(self.scratch)
        send_frame(self.ctl, {
            "op": "done",
            "exit": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
            "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
            "killed": killed,
            "output_exceeded": watch.exceeded,
            "cpu_seconds": rusage.ru_utime + rusage.ru_stime,
            "seconds": time.monotonic() - started,
        })


class OutputWatch:
    """The zygote's count of what a worker child wrote to its stdout/stderr pipe."""

    def __init__(self, fd: int, limit: int) -> None:
        self.fd, self.limit = fd, limit
        self.count = 0
        self.exceeded = False

    def fds(self) -> list[int]:
        return [self.fd] if self.fd >= 0 else []

    def read(self) -> bool:
        """Drain what is there; True the first time the count passes the limit."""
        data = os.read(self.fd, 1 << 16)
        if not data:
            self.close()
            return False
        self.count += len(data)
        if self.count > self.limit and not self.exceeded:
            self.exceeded = True
            return True
        return False

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


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
