"""Managed services live and die with their hub.

``python -m hub.services.lifeline HUB_PID [--listen] -- COMMAND [ARG...]``

JupyterHub starts each managed service in a session of its own and stops it only on a
clean shutdown; a hub killed hard, or one giving up at start ("Cannot connect to ...
service"), left its services running as orphans holding their ports. The hub starts each
service through this launcher, which

- asks the kernel to send the service SIGTERM when the hub dies (``PR_SET_PDEATHSIG``,
  kept across ``exec``) and exits at once if the hub is already gone;
- with ``--listen``, binds the service's port (``JUPYTERHUB_SERVICE_URL``) before its imports
  and hands the listening socket over (``NORTHLAB_LISTEN_FD``, read by :func:`listen`):
  the hub's readiness check connects at once and waits for an answer instead of counting
  refused connections (ten tries of a second each) on a loaded machine;
- then becomes the service (``exec``).

Only the standard library is imported before the port is bound.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import sys
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

if TYPE_CHECKING:
    from tornado.httpserver import HTTPServer
    from tornado.web import Application

LISTEN_FD = "NORTHLAB_LISTEN_FD"
PR_SET_PDEATHSIG = 1


def command(hub_pid: int, service_command: list[str], *, serves: bool = False) -> list[str]:
    """``service_command`` run through the lifeline of the hub ``hub_pid``; ``serves``: a web
    service that serves on :func:`listen`."""
    return [sys.executable, "-m", "hub.services.lifeline", str(hub_pid),
            *(["--listen"] if serves else []), "--", *service_command]


def die_with(hub_pid: int) -> None:
    """SIGTERM to this process when ``hub_pid`` (its parent) dies; exit if it already has."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != hub_pid:
        sys.exit(f"lifeline: the hub (process {hub_pid}) is gone: not starting its service")


def bind_service_port(url: str) -> socket.socket:
    """A listening socket on the host and port of the service's ``url``."""
    parsed = urlparse(url)
    sock = socket.create_server((parsed.hostname or "127.0.0.1", parsed.port or 80),
                                backlog=128)
    sock.set_inheritable(True)
    return sock


def listen(app: Application, host: str, port: int, **server_options: Any) -> HTTPServer:
    """Serve ``app`` on the socket the lifeline bound, or bind ``host:port`` itself (a
    service started by hand); ``server_options`` go to tornado's ``HTTPServer``."""
    from tornado.httpserver import HTTPServer  # only services that serve pay for tornado

    server = HTTPServer(app, **server_options)
    fd = os.environ.pop(LISTEN_FD, "")
    if fd:
        sock = socket.socket(fileno=int(fd))
        sock.setblocking(False)
        server.add_sockets([sock])
    else:
        server.listen(port, host)
    return server


def main(argv: list[str]) -> None:
    split = argv.index("--") if "--" in argv else len(argv)
    head, service_command = argv[:split], argv[split + 1:]
    if not (head and head[0].isdigit() and head[1:] in ([], ["--listen"]) and service_command):
        sys.exit("usage: python -m hub.services.lifeline HUB_PID [--listen] -- COMMAND [ARG...]")
    die_with(int(head[0]))
    if head[1:]:
        os.environ[LISTEN_FD] = str(
            bind_service_port(os.environ["JUPYTERHUB_SERVICE_URL"]).detach())
    os.execvp(service_command[0], service_command)


if __name__ == "__main__":
    main(sys.argv[1:])
