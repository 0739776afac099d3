"""The hub's side of the fork-server: ask for one server, get its process id."""

from __future__ import annotations

import json
import socket
import sys

#: Seconds to wait for the fork-server's answer (it may still be importing after a hub start).
TIMEOUT = 60.0
#: Environment that makes jupyterhub-singleuser pick another application than the one the
#: fork-server imported: such a server starts as a new process.
APP_CHOICE = ("JUPYTERHUB_SINGLEUSER_EXTENSION", "JUPYTERHUB_SINGLEUSER_APP")


class ForkFailed(Exception):
    """The fork-server is not running or could not start the server (one sentence)."""


def fork_server(path: str, *, user: str, env: dict[str, str], args: list[str], umask: int,
                timeout: float = TIMEOUT) -> int:
    """Ask the fork-server at ``path`` to start ``user``'s server; its pid (blocking)."""
    if any(env.get(name) for name in APP_CHOICE):
        raise ForkFailed("The single-user application is chosen by the environment.")
    request = json.dumps({"user": user, "env": env, "args": args, "umask": umask}).encode()
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(path)
            sent = socket.send_fds(sock, [request], [sys.stdout.fileno(), sys.stderr.fileno()])
            sock.sendall(request[sent:])
            sock.shutdown(socket.SHUT_WR)
            answer = sock.makefile("rb").readline()
    except OSError as exc:
        raise ForkFailed(f"The fork-server at {path} did not answer: {exc}.") from None
    try:
        message = json.loads(answer)
    except ValueError:
        raise ForkFailed("The fork-server closed the connection without an answer.") from None
    if not isinstance(message, dict) or not isinstance(message.get("pid"), int):
        error = message.get("error") if isinstance(message, dict) else None
        raise ForkFailed(f"The fork-server refused: {error or message!r}")
    return message["pid"]
