"""A learner's server process held by a pidfd: never signalled by a number that may be reused.

The hub polls and stops servers that are not its children (forked by the fork-server) and
servers that outlive it (``cleanup_servers`` is off). A bare process id may by then name
another learner's server or a root process. A pidfd names one process for good: a signal
through it reaches that process or fails, and it turns readable when the process ends.

After a hub restart the spawner has only what it stored: the process id, the process's start
time (clock ticks after boot, ``/proc/<pid>/stat``) and the learner's uid.
:meth:`ServerProcess.adopt` opens a pidfd for that id and keeps it only if the process it
names started at that time and runs as that uid; checked *after* opening, so the pidfd
cannot name a process that took the id later. Anything else is "not running", and nothing is
signalled.

A server that has just started is ready once it accepts connections on its port:
:meth:`ServerProcess.listening` checks that every tenth of a second, so the spawner hands the
server to JupyterHub the moment it listens (JupyterHub's own check backs off to 5 s between
tries: a server up in one second was seen seconds later), and a server that ended while
starting is a failed start at once, not after JupyterHub's ``http_timeout``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import select
import signal
from dataclasses import dataclass
from pathlib import Path

#: Seconds between two checks that a starting server listens (a refused connection to this
#: machine costs microseconds)
LISTEN_CHECK = 0.1


def start_time(pid: int) -> int:
    """When ``pid`` started (clock ticks after boot); OSError when there is no such process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[19])


def real_uid(pid: int) -> int:
    """The real uid of ``pid`` (``/proc/<pid>`` of a non-dumpable process is root's)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Uid:"):
            return int(line.split()[1])
    raise OSError(f"no Uid line for process {pid}")


def pidfd_pid(pidfd: int) -> int:
    """The process id a pidfd names (``/proc/self/fdinfo``); -1 once it has ended."""
    for line in Path(f"/proc/self/fdinfo/{pidfd}").read_text().splitlines():
        if line.startswith("Pid:"):
            return int(line.split()[1])
    raise OSError(f"descriptor {pidfd} is not a pidfd")


@dataclass
class ServerProcess:
    """One running process, by pidfd; its id and start time are what the hub stores."""

    pidfd: int
    pid: int
    started: int

    @classmethod
    def from_pidfd(cls, pidfd: int, uid: int) -> ServerProcess | None:
        """The process ``pidfd`` names when it runs as ``uid``; None (pidfd closed) when it
        has ended or runs as someone else."""
        process = None
        with contextlib.suppress(OSError, ValueError):
            pid = pidfd_pid(pidfd)
            if pid > 0:
                candidate = cls(pidfd, pid, start_time(pid))
                if real_uid(pid) == uid and candidate.running():
                    process = candidate  # still running: the /proc reads were about it
        if process is None:
            os.close(pidfd)
        return process

    @classmethod
    def of_child(cls, pid: int, uid: int) -> ServerProcess | None:
        """The caller's own child ``pid``, not yet reaped (so its id cannot be reused)."""
        try:
            return cls.from_pidfd(os.pidfd_open(pid), uid)
        except OSError:
            return None

    @classmethod
    def adopt(cls, pid: int, started: int, uid: int) -> ServerProcess | None:
        """The process recorded before a hub restart, if it is still that one."""
        try:
            process = cls.from_pidfd(os.pidfd_open(pid), uid)
        except OSError:
            return None
        if process is not None and process.started != started:
            process.close()
            return None
        return process

    def running(self) -> bool:
        """Whether the process has not ended (its pidfd is not readable yet)."""
        poller = select.poll()
        poller.register(self.pidfd, select.POLLIN)
        return not poller.poll(0)

    async def listening(self, host: str, port: int, timeout: float) -> bool:
        """Wait until ``host:port`` accepts a connection or ``timeout`` seconds have passed;
        whether the process still runs then (False: it ended while starting)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.running() and loop.time() < deadline:
            try:
                _, writer = await asyncio.open_connection(host, port)
            except OSError:
                await asyncio.sleep(LISTEN_CHECK)
            else:
                writer.close()
                return True
        return self.running()

    def signal(self, sig: int) -> bool:
        """Send ``sig`` (0: probe) to the process; False when it has ended."""
        try:
            signal.pidfd_send_signal(self.pidfd, sig)
        except ProcessLookupError:
            return False
        return True

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.pidfd)
