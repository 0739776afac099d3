"""Grading-parent side of a zygote: start it, hand it a submission, stop its child."""

from __future__ import annotations

import os
import select
import socket
import struct
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from graders.remote.codec import MAX_FRAME, CodecError, PeerGone, recv_frame, send_frame
from graders.sandbox.base import LaunchSpec, Sandbox

#: All sandboxes are started from this one long-lived thread: bwrap's --die-with-parent
#: (PR_SET_PDEATHSIG) fires when the *thread* that started it ends.
_LAUNCHER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="northlab-launcher")


CREDENTIALS = struct.Struct("iII")  #: struct ucred: pid, uid, gid
REPORT_LIMIT = 1 << 16  #: largest control message a zygote or child may send the parent


class ZygoteFailed(RuntimeError):
    """The zygote did not start or stopped answering."""


class Timeout(Exception):
    """Nothing arrived in time."""


class _Deadline:
    """A socket whose reads, all together, end by ``deadline`` (monotonic seconds): a
    half frame, a slow drip or a frame that never ends raise :class:`Timeout`."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self.sock = sock
        self.deadline = deadline

    def recv(self, size: int) -> bytes:
        remaining = max(0.0, self.deadline - time.monotonic())
        if not select.select([self.sock], [], [], remaining)[0]:
            raise Timeout()
        return self.sock.recv(size)


def read_frame(sock: socket.socket, timeout: float, limit: int = MAX_FRAME) -> dict[str, Any]:
    """One whole frame's header from ``sock`` within ``timeout`` seconds (the deadline
    covers every byte, not just the first); :class:`Timeout` otherwise (the stream is then
    out of step: drop the socket), :class:`PeerGone`/:class:`CodecError` if the peer closed
    or sent garbage or more than ``limit`` bytes."""
    header, _ = recv_frame(_Deadline(sock, time.monotonic() + max(0.0, timeout)),
                           limit)  # type: ignore[arg-type]
    if type(header) is not dict:
        raise CodecError("expected an object")
    return header


def wait_frame(sock: socket.socket, timeout: float, limit: int = MAX_FRAME
               ) -> dict[str, Any] | None:
    """One frame header from ``sock`` within ``timeout`` seconds, or None."""
    try:
        return read_frame(sock, timeout, limit)
    except (Timeout, PeerGone, CodecError, OSError):
        return None


def peer_pid(sock: socket.socket, expected: bytes, timeout: float) -> int | None:
    """Read the one-byte message ``expected`` and return the sender's pid as the kernel
    saw it (``SO_PASSCRED`` must be set on ``sock`` before the peer sends); None when
    nothing, something else or no credentials arrived in time."""
    if not select.select([sock], [], [], max(0.0, timeout))[0]:
        return None
    try:
        data, ancillary, _, _ = sock.recvmsg(1, socket.CMSG_SPACE(CREDENTIALS.size))
    except OSError:
        return None
    for level, kind, payload in ancillary:
        if (level, kind) == (socket.SOL_SOCKET, socket.SCM_CREDENTIALS) and \
                len(payload) >= CREDENTIALS.size and data == expected:
            return CREDENTIALS.unpack(payload[:CREDENTIALS.size])[0]
    return None


class ZygoteProcess:
    """One sandboxed pre-warmed interpreter (see :mod:`graders.sandbox.zygote`)."""

    def __init__(self, sandbox: Sandbox, spec: LaunchSpec, start_timeout: float = 120) -> None:
        self.sandbox = sandbox
        self.spec = spec
        self.start_timeout = start_timeout
        self.proc: subprocess.Popen[bytes] | None = None
        self.ctl: socket.socket | None = None

    def start(self) -> None:
        parent, child = socket.socketpair()
        try:
            self.proc = _LAUNCHER.submit(self.sandbox.launch, self.spec, child.fileno()).result()
        except OSError as exc:
            parent.close()
            raise ZygoteFailed(f"the {self.spec.role} sandbox did not start: {exc}") from None
        finally:
            child.close()
        self.ctl = parent
        ready = wait_frame(parent, self.start_timeout, limit=REPORT_LIMIT)
        if not ready or ready.get("op") != "ready":
            try:
                code: int | None = self.proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                code = None
            self.stop()
            why = (f"no answer within {self.start_timeout:g} s" if code is None
                   else f"exit status {code}")
            # the log lives in the grader's temporary folder, removed when grading stops:
            # the error carries its end rather than its path
            tail = log_tail(self.spec.log)
            raise ZygoteFailed(f"the {self.spec.role} sandbox did not start ({why}); "
                               + (f"its log ends with:\n{tail}" if tail else "its log is empty"))

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None and self.ctl is not None

    def ensure(self) -> None:
        if not self.alive:
            self.stop()
            self.start()

    def run(self, fds: list[int]) -> None:
        assert self.ctl is not None
        socket.send_fds(self.ctl, [b"R"], fds)
        send_frame(self.ctl, {"op": "run"})

    def kill_child(self) -> None:
        if self.ctl is None:
            return
        try:
            self.ctl.sendall(b"K")
            send_frame(self.ctl, {"op": "kill"})
        except OSError:
            pass

    def wait_done(self, timeout: float) -> dict[str, Any] | None:
        """The zygote's report after the child ended; None (and a restart) if it hangs."""
        if self.ctl is None:
            return None
        done = wait_frame(self.ctl, timeout, limit=REPORT_LIMIT)
        if done is None or done.get("op") != "done":
            self.stop()
            return None
        return done

    def stop(self) -> None:
        if self.ctl is not None:
            self.ctl.close()
            self.ctl = None
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.kill()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
            self.proc = None
        self.sandbox.cleanup(self.spec)


def log_tail(path: Path | None, limit: int = 600, lines: int = 8) -> str:
    """The last ``lines`` non-empty lines within the last ``limit`` bytes of ``path``
    ("" when there is no such file)."""
    if path is None:
        return ""
    try:
        with open(path, "rb") as log:
            log.seek(0, os.SEEK_END)
            size = log.tell()
            log.seek(max(0, size - limit))
            data = log.read()
    except OSError:
        return ""
    text = data.decode("utf-8", errors="replace").splitlines()
    if size > limit and text:
        text = text[1:]  # cut mid-line
    return "\n".join([line for line in text if line.strip()][-lines:])


def now() -> float:
    return time.monotonic()
