"""The hub's side of the fork-server: ask for one server, hold its process by pidfd.

A request carries an id and a deadline (``time.monotonic``, the same clock in every process).
The child answers with its id and a pidfd of itself, then waits: it starts the server (binds
its port) only when the hub says ``go``, which the hub says only to the answer it is waiting
for, before the deadline. A request the hub gave up on (timed out, or its start cancelled)
finds the connection closed and the child exits without starting anything; a late answer
is refused and its child killed through the pidfd.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import signal
import socket
import sys
import time

from hub.forkserver.process import ServerProcess

#: Seconds to wait for the fork-server's answer (it may still be importing after a hub start).
TIMEOUT = 60.0
#: Environment that makes jupyterhub-singleuser pick another application than the one the
#: fork-server imported: such a server starts as a new process.
APP_CHOICE = ("JUPYTERHUB_SINGLEUSER_EXTENSION", "JUPYTERHUB_SINGLEUSER_APP")
GO = b"go\n"
MAX_ANSWER = 4096


class ForkFailed(Exception):
    """The fork-server is not running or could not start the server (one sentence)."""


async def readable(sock: socket.socket) -> None:
    loop = asyncio.get_running_loop()
    ready = loop.create_future()
    loop.add_reader(sock.fileno(), lambda: ready.done() or ready.set_result(None))
    try:
        await ready
    finally:
        loop.remove_reader(sock.fileno())


async def read_answer(sock: socket.socket) -> tuple[bytes, list[int]]:
    """One answer line and the descriptors that came with it."""
    data, fds = b"", []
    while not data.endswith(b"\n") and len(data) < MAX_ANSWER:
        await readable(sock)
        chunk, received, _, _ = socket.recv_fds(sock, MAX_ANSWER, 1)
        fds.extend(received)
        if not chunk:
            break
        data += chunk
    return data, fds


async def fork_server(path: str, *, user: str, uid: int, env: dict[str, str], args: list[str],
                      umask: int, timeout: float = TIMEOUT) -> ServerProcess:
    """Ask the fork-server at ``path`` to start ``user``'s (``uid``) server within
    ``timeout`` seconds; its process, started once this returns."""
    if any(env.get(name) for name in APP_CHOICE):
        raise ForkFailed("The single-user application is chosen by the environment.")
    request_id = secrets.token_hex(16)
    deadline = time.monotonic() + timeout
    request = json.dumps({"id": request_id, "deadline": deadline, "user": user, "env": env,
                          "args": args, "umask": umask}).encode() + b"\n"
    fds: list[int] = []
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.setblocking(False)
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                await loop.sock_connect(sock, path)
                sent = socket.send_fds(sock, [request[:1]],
                                       [sys.stdout.fileno(), sys.stderr.fileno()])
                await loop.sock_sendall(sock, request[sent:])
                answer, fds = await read_answer(sock)
        except (OSError, TimeoutError) as exc:
            for fd in fds:
                _close(fd)
            reason = "no answer in time" if isinstance(exc, TimeoutError) else exc
            raise ForkFailed(f"The fork-server at {path} did not answer: {reason}.") from None
        return accept(sock, answer, fds, request_id=request_id, uid=uid, deadline=deadline)


def accept(sock: socket.socket, answer: bytes, fds: list[int], *, request_id: str, uid: int,
           deadline: float) -> ServerProcess:
    """Say ``go`` to the child that answered ``request_id`` in time, as ``uid``; refuse (and
    kill) anything else."""
    try:
        message = json.loads(answer)
    except ValueError:
        message = None
    process = ServerProcess.from_pidfd(fds.pop(0), uid) if len(fds) == 1 else None
    for fd in fds:
        _close(fd)
    problem = None
    if not isinstance(message, dict) or message.get("error"):
        error = message.get("error") if isinstance(message, dict) else None
        problem = f"The fork-server refused: {error or 'no answer'}"
    elif message.get("id") != request_id:
        problem = "The fork-server answered another request."
    elif process is None:
        problem = "The fork-server's child is not the learner's running process."
    elif time.monotonic() >= deadline:
        problem = "The fork-server answered after the deadline."
    else:
        try:
            sock.sendall(GO)
        except OSError as exc:
            problem = f"The fork-server's child is gone: {exc}."
    if problem is None:
        return process  # type: ignore[return-value]
    if process is not None:
        process.signal(signal.SIGKILL)  # it waits for go: nothing of it has started yet
        process.close()
    raise ForkFailed(problem)


def _close(fd: int) -> None:
    with contextlib.suppress(OSError):
        os.close(fd)
