"""Fresh namespaces for each submission, entered by the forked child before learner code.

The zygote is long-lived and shared by every submission of its slot, so what it owns (its
IPC namespace, its scratch tmpfs) would outlive a submission: SysV shared memory left by
one learner would be readable by the next and is not counted by RLIMIT_AS. Each child
therefore unshares a new user, IPC, mount and UTS namespace (unprivileged: the user
namespace maps only its own uid), mounts a new tmpfs over its scratch folder and over
``/dev/shm`` (POSIX shared memory), each with a size AND an inode cap, and drops every
capability it got in the new user namespace. It also unshares a new pid namespace: the
learner's code runs in a process forked into it (pid 1 there), so it cannot see or signal
its zygote or anything else outside its own submission (a frozen or killed zygote would
hide how the run ended), and signals it sends itself without a handler are ignored (only
the kernel's own, such as the CPU limit's, end it). When the child's processes are gone,
the kernel frees the namespaces with everything in them.
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Callable

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWPID = 0x20000000
CLONE_NEWUSER = 0x10000000
MS_NOSUID, MS_NODEV, MS_REC, MS_PRIVATE = 0x2, 0x4, 0x4000, 1 << 18
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_CAPBSET_DROP = 1, 4, 24
CAPABILITY_VERSION_3 = 0x20080522
INODES_PER_MB = 64  #: scratch inodes per MB of ``disk_mb`` (at least MIN_INODES)
MIN_INODES = 2048
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


def drop_capabilities() -> None:
    """Empty the bounding, effective, permitted and inheritable sets."""
    last = int(open("/proc/sys/kernel/cap_last_cap").read())
    for cap in range(last + 1):
        _check(_libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0), "drop capability")
    header = (ctypes.c_uint32 * 2)(CAPABILITY_VERSION_3, 0)
    data = (ctypes.c_uint32 * 6)()
    _check(_libc.capset(header, data), "capset")


def enter(scratch: str, disk_mb: int) -> None:
    """Unshare user/IPC/mount/UTS namespaces, mount a fresh capped tmpfs on ``scratch``,
    and unshare a pid namespace that the caller's next child enters (:func:`into_pid_namespace`).

    Must run in a single-threaded process (a forked child) before any learner code."""
    uid, gid = os.getuid(), os.getgid()
    _check(_libc.unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS),
           "unshare")
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
    _check(_libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None), "private mounts")
    capped = f"size={int(disk_mb) * 1024 * 1024},nr_inodes={scratch_inodes(disk_mb)}"
    for folder, mode in ((scratch, "0700"), *((s, "1777") for s in SHARED if os.path.isdir(s))):
        _check(_libc.mount(b"tmpfs", folder.encode(), b"tmpfs", MS_NOSUID | MS_NODEV,
                           f"{capped},mode={mode}".encode()), f"tmpfs on {folder}")
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
