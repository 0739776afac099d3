"""Free ports on 127.0.0.1 for the hubs, services and servers tests start side by side."""

from __future__ import annotations

import contextlib
import secrets
import socket

from hub import managed


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on now (the system's choice)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def free_port_block(count: int | None = None) -> int:
    """A port ``p`` with ``p .. p+count-1`` free on 127.0.0.1; by default as many ports as a
    hub and its services use."""
    count = count or managed.FIRST_SERVICE_PORT_OFFSET + len(managed.SERVICE_APPS)
    for _ in range(200):
        base = 10000 + secrets.randbelow(22000)  # below the ephemeral range (32768+)
        with contextlib.ExitStack() as stack:
            try:
                for port in range(base, base + count):
                    sock = stack.enter_context(socket.socket())
                    sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return base
    raise RuntimeError("no free port block")
