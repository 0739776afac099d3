"""Fresh namespaces for each submission, entered by the forked child before learner code.

The zygote is long-lived and shared by every submission of its slot, so what it owns (its
IPC namespace, its scratch tmpfs) would outlive a submission: SysV shared memory left by
one learner would be readable by the next and is not counted by RLIMIT_AS. Each child
therefore unshares a new user, IPC, mount, UTS and network namespace (unprivileged: the
user namespace maps only its own uid; the network namespace has only a loopback, brought up
when the zygote's was, so ports in TIME_WAIT, listening and abstract unix sockets of one
submission are not seen by the next), mounts a new tmpfs over its scratch folder and over
``/dev/shm`` (POSIX shared memory), each with a size AND an inode cap, and drops every
capability it got in the new user namespace. It also unshares a new pid namespace: the
learner's code runs in a process forked into it (pid 1 there), so it cannot see or signal
its zygote or anything else outside its own submission (a frozen or killed zygote would
hide how the run ended), and signals it sends itself without a handler are ignored (only
the kernel's own, such as the CPU limit's, end it). When the child's processes are gone,
the kernel frees the namespaces with everything in them.

The engine's own folders (interpreter, venv, ``graders``) may lie under the scratch folder
(a checkout under ``/tmp``): they are bound read-only into the fresh tmpfs again, and the
child refuses to run when any of them is no longer visible (a grader fault, never the
learner's).
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import socket
import struct
import sys
from collections.abc import Callable
from pathlib import Path, PurePosixPath

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWPID = 0x20000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 0x1, 0x2, 0x4, 0x8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 0x20, 0x1000, 0x4000, 1 << 18
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_CAPBSET_DROP = 1, 4, 24
CAPABILITY_VERSION_3 = 0x20080522
INODES_PER_MB = 64  #: scratch inodes per MB of ``disk_mb`` (at least MIN_INODES)
MIN_INODES = 2048
SCRATCH_ROOM = 64  #: inodes of the scratch kept for the working folder and mount points
SHARED = ("/dev/shm",)  #: host-wide writable folders that get their own capped tmpfs too
_libc = ctypes.CDLL(None, use_errno=True)


class NamespaceError(OSError):
    """The kernel refused a fresh namespace or the scratch tmpfs (the child must not run)."""


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise NamespaceError(err, f"{what}: {os.strerror(err)}")


def scratch_inodes(disk_mb: int) -> int:
    """The inode cap of a scratch tmpfs of ``disk_mb`` MB."""
    return max(MIN_INODES, INODES_PER_MB * int(disk_mb))


def scratch_fits(sizes: dict[str, int], disk_mb: int) -> bool:
    """Whether files of these sizes (relative POSIX paths: the lab's release and the
    learner's files, as the working copy holds them) fit a scratch tmpfs of ``disk_mb``:
    its inode cap (each file and folder one inode, :data:`SCRATCH_ROOM` kept for the
    working folder and the engine's own mount points) and its size (whole pages). The one
    check of what a submission may bring against what the sandbox holds."""
    page = os.sysconf("SC_PAGE_SIZE")
    folders = {str(parent) for name in sizes for parent in PurePosixPath(name).parents}
    pages = sum(-(-max(size, 0) // page) for size in sizes.values())
    return (len(sizes) + len(folders) + SCRATCH_ROOM <= scratch_inodes(disk_mb)
            and pages * page <= int(disk_mb) * 1024 * 1024)


def _loopback(up: bool | None = None) -> bool:
    """Whether ``lo`` is up in this network namespace; with ``up``, bring it up first
    (the kernel gives it 127.0.0.1 and ::1). False where no socket can ask."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            request = struct.pack("16sH", b"lo", 0)
            flags = struct.unpack("16sH", fcntl.ioctl(sock, SIOCGIFFLAGS, request))[1]
            if up and not flags & IFF_UP:
                fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack("16sH", b"lo", flags | IFF_UP))
                flags |= IFF_UP
    except OSError:
        return False
    return bool(flags & IFF_UP)


def drop_capabilities() -> None:
    """Empty the bounding, effective, permitted and inheritable sets."""
    last = int(open("/proc/sys/kernel/cap_last_cap").read())
    for cap in range(last + 1):
        _check(_libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0), "drop capability")
    header = (ctypes.c_uint32 * 2)(CAPABILITY_VERSION_3, 0)
    data = (ctypes.c_uint32 * 6)()
    _check(_libc.capset(header, data), "capset")


def engine_paths() -> list[str]:
    """What the engine reads lazily after the fresh tmpfs: the interpreter's prefixes, the
    ``graders`` package's folder and every import path that exists now."""
    paths = {sys.base_prefix, sys.prefix, str(Path(__file__).resolve().parents[2]),
             *(p for p in sys.path if p)}
    return sorted(os.path.abspath(p) for p in paths if os.path.exists(p))


def _outermost_under(folder: str, paths: list[str]) -> list[str]:
    """The ``paths`` inside ``folder``, without those inside another of them."""
    inside = [p for p in paths if p.startswith(folder.rstrip("/") + "/")]
    return [p for p in inside if not any(p.startswith(o + "/") for o in inside)]


def _bind_read_only(fd: int, target: str) -> None:
    """Bind the folder or file open as O_PATH ``fd`` onto ``target`` (made here), read-only."""
    if os.path.isdir(f"/proc/self/fd/{fd}"):
        os.makedirs(target, mode=0o755, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), mode=0o755, exist_ok=True)
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, 0o444))
    _check(_libc.mount(f"/proc/self/fd/{fd}".encode(), target.encode(), None,
                       MS_BIND | MS_REC, None), f"bind {target}")
    if not os.statvfs(target).f_flag & os.ST_RDONLY:
        kept = os.statvfs(target).f_flag & (MS_NOSUID | MS_NODEV | MS_NOEXEC)
        _check(_libc.mount(None, target.encode(), None,
                           MS_REMOUNT | MS_BIND | MS_RDONLY | kept, None), f"read-only {target}")
    if not os.statvfs(target).f_flag & os.ST_RDONLY:
        raise NamespaceError(0, f"{target} is still writable")


def enter(scratch: str, disk_mb: int) -> None:
    """Unshare user/IPC/mount/UTS/network namespaces (loopback up when the zygote's was),
    mount a fresh capped tmpfs on ``scratch``, and unshare a pid namespace that the
    caller's next child enters (:func:`into_pid_namespace`).

    Must run in a single-threaded process (a forked child) before any learner code."""
    uid, gid = os.getuid(), os.getgid()
    loopback = _loopback()  # what the zygote's network namespace gives learner code
    _check(_libc.unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS
                         | CLONE_NEWNET), "unshare")
    _check(_libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0), "dumpable")  # /proc/self is ours
    try:
        for name, text in (("uid_map", f"{uid} {uid} 1"), ("setgroups", "deny"),
                           ("gid_map", f"{gid} {gid} 1")):
            with open(f"/proc/self/{name}", "w") as out:
                out.write(text)
    finally:
        _check(_libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0), "non-dumpable")
    with open("/proc/sys/user/max_user_namespaces", "w") as out:
        out.write("0")  # no nested user namespace: no way back to capabilities or mounts
    if loopback and not _loopback(up=True):
        raise NamespaceError(0, "the fresh network namespace's loopback did not come up")
    _check(_libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None), "private mounts")
    engine = engine_paths()
    kept = {path: os.open(path, os.O_PATH | os.O_CLOEXEC)
            for path in _outermost_under(scratch, engine)}  # opened in this namespace
    capped = f"size={int(disk_mb) * 1024 * 1024},nr_inodes={scratch_inodes(disk_mb)}"
    for folder, mode in ((scratch, "0700"), *((s, "1777") for s in SHARED if os.path.isdir(s))):
        _check(_libc.mount(b"tmpfs", folder.encode(), b"tmpfs", MS_NOSUID | MS_NODEV,
                           f"{capped},mode={mode}".encode()), f"tmpfs on {folder}")
    try:
        for path, fd in kept.items():
            _bind_read_only(fd, path)
    finally:
        for fd in kept.values():
            os.close(fd)
    hidden = [path for path in engine if not os.path.exists(path)]
    if hidden:  # the engine could not load what it needs: never run the learner's code
        raise NamespaceError(0, f"the engine's own files are hidden: {', '.join(hidden)}")
    _check(_libc.unshare(CLONE_NEWPID), "unshare pid")  # the next fork is pid 1 there
    drop_capabilities()


def into_pid_namespace(let_go: Callable[[], object]) -> int | None:
    """Fork into the pid namespace :func:`enter` made. In the new process (pid 1 there)
    return None; in the caller, call ``let_go`` (close everything the new process uses),
    wait for it and return the exit status to leave with (its signal is raised again on
    the caller, so the zygote's ``waitpid`` sees it)."""
    import resource
    import signal

    pid = os.fork()
    if pid == 0:
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        os.setsid()  # kill(0, ...) must not reach the waiting process's group
        return None
    let_go()
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            break
        except InterruptedError:
            continue
    if os.WIFSIGNALED(status):
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        number = os.WTERMSIG(status)
        signal.signal(number, signal.SIG_DFL)
        os.kill(os.getpid(), number)
    return os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1
