"""What a forked zygote child does for one submission (runs inside the sandbox).

Worker role: wait until the parent has moved it into the submission's cgroup, enter fresh
namespaces and a capped scratch tmpfs, build a fresh working copy (lab release files + the
learner's files), apply the limits, then serve the judge's requests next to the learner's
code.
Judge role: wait until the parent has moved it into its own cgroup, receive the grading
plan, run the trusted tests against the worker, and send the per-test outcomes to the
grading parent.
"""

from __future__ import annotations

import errno
import os
import shutil
import socket
import sys
from pathlib import Path, PurePosixPath
from typing import Any

from graders.remote.codec import recv_frame, send_frame
from graders.sandbox.namespaces import enter as enter_namespaces
from graders.sandbox.namespaces import into_pid_namespace
from graders.sandbox.zygote import EXIT_SETUP, PipeOutput, apply_limits

#: confinement handshake on the worker child's control socket: the child says HELLO, the
#: parent puts it in its cgroup and says GO, the child enters its namespaces and says READY
HELLO, GO, READY = b"H", b"G", b"R"
#: the worker child's word on its working copy, before any learner code runs: BUILT, or
#: why not (FULL: its scratch tmpfs had no room; FAULT: anything else, the grader's)
BUILT, FULL, FAULT = b"B", b"F", b"X"
#: errors of a write that ran out of room (the submission is too large for the sandbox)
NO_ROOM = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


def make_shell() -> Any:
    """A pre-built IPython shell (created once in the zygote, used by each child)."""
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.enabled = False
    config.InteractiveShell.colors = "NoColor"
    return InteractiveShell.instance(config=config)


def safe_relpath(name: Any) -> PurePosixPath | None:
    """A relative path with no ``..``, no absolute part and no hidden/odd components."""
    if type(name) is not str or not name or "\x00" in name or len(name) > 255:
        return None
    if any(part in ("", ".", "..") for part in name.split("/")):
        return None  # also refuses absolute names (leading "") and "a//b"
    return PurePosixPath(name)


def build_workdir(workdir: Path, release: Path | None, files: list[Any],
                  buffers: list[bytes]) -> None:
    """The lab's release, then the learner's files. The parent has left out every learner
    file that clashes with the release (``Grader.unclashed``), so a write here only adds
    a file or, in a code lab, replaces a starter with the learner's code."""
    workdir.mkdir(parents=True, exist_ok=True)
    if release is not None and release.is_dir():
        shutil.copytree(release, workdir, dirs_exist_ok=True, symlinks=False)
    for entry in files:
        rel = safe_relpath(entry[0]) if type(entry) is list and len(entry) == 2 else None
        if rel is None or type(entry[1]) is not int or not 0 <= entry[1] < len(buffers):
            continue
        target = workdir.joinpath(*rel.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_symlink() or target.is_dir():
            continue
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
        with os.fdopen(fd, "wb") as out:
            out.write(buffers[entry[1]])


def close_other_fds(keep: set[int]) -> None:
    """Close every inherited descriptor except ``keep`` (and 0-2)."""
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd > 2 and fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass


def child_main(role: str, fds: list[int], settings: dict[str, Any], shell: Any) -> int:
    close_other_fds(set(fds))
    channel = socket.socket(fileno=fds[0])
    control = socket.socket(fileno=fds[1])
    os.setsid()
    if role == "judge":
        if not await_confinement(control):  # into its own cgroup before any learner value
            return EXIT_SETUP
        from graders.judge.run import judge_main
        return judge_main(channel, control, settings)
    return worker_main(channel, control, settings, shell)


def await_confinement(control: socket.socket) -> bool:
    """Say hello (the kernel attaches our pid, as the parent sees it) and wait until the
    parent has put this process into the submission's cgroup."""
    try:
        control.sendall(HELLO)
        return control.recv(1) == GO
    except OSError:
        return False


def _say(control: socket.socket, word: bytes) -> bool:
    """Send ``word`` to the parent; whether it was sent."""
    try:
        control.sendall(word)
    except OSError:
        return False
    return True


def worker_main(channel: socket.socket, control: socket.socket, settings: dict[str, Any],
                shell: Any) -> int:
    from graders.remote.worker import StderrFlag, WorkerServer

    if not await_confinement(control):
        return EXIT_SETUP
    output = int(settings["output_fd"])
    if settings.get("fresh_namespaces"):
        try:
            enter_namespaces(settings["scratch"], int(settings["limits"]["disk_mb"]))
            control.sendall(READY)
        except OSError as exc:  # fail closed: no learner code without its own namespaces
            print(f"worker: {exc}", file=sys.stderr)
            return EXIT_SETUP
        status = into_pid_namespace(
            lambda: (channel.close(), control.close(), os.close(output)))
        if status is not None:  # this process only waits: it keeps nothing open
            return status
    else:
        try:
            control.sendall(READY)
        except OSError:
            return EXIT_SETUP
    setup, buffers = recv_frame(control)
    workdir = Path(settings["scratch"]) / "work"
    release = Path(settings["release"]) if settings.get("release") else None
    try:
        build_workdir(workdir, release, setup.get("files", []), buffers)
    except OSError as exc:  # said to the parent: never shown as the learner's exit
        print(f"worker: the working copy could not be built: {exc}", file=sys.stderr)
        _say(control, FULL if exc.errno in NO_ROOM else FAULT)
        return EXIT_SETUP
    if not _say(control, BUILT):
        return EXIT_SETUP
    del buffers, setup
    os.chdir(workdir)
    sys.path.insert(0, str(workdir))
    os.environ.update({"HOME": str(Path(settings["scratch"])), "PWD": str(workdir)})
    if settings.get("kind") == "notebook":
        os.environ["NBGRADER_EXECUTION"] = "autograde"  # as `nbgrader autograde` sets it
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.close(devnull)
    for fd in (1, 2):  # the zygote counts what arrives here (the output limit)
        os.dup2(output, fd)
    os.close(output)
    apply_limits(settings["limits"])
    stdout = PipeOutput(1)
    stderr = StderrFlag(PipeOutput(2))
    sys.stdout, sys.stderr = stdout, stderr  # this process only runs learner code from here
    namespace: dict[str, Any] = shell.user_ns if shell is not None else {}
    server = WorkerServer(channel, namespace, shell, stderr)
    server.serve()
    try:
        send_frame(control, {"op": "bye", "learner_seconds": server.learner_seconds})
        control.recv(1)  # an honest worker leaves only when the parent closes this socket
    except OSError:
        pass
    return 0
