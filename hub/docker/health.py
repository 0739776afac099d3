"""A container's healthcheck: ``python -m hub.docker.health TARGET`` exits 0 when TARGET
answers: a URL (an HTTP status below 500) or a port (something listens on 127.0.0.1).

One word per argument on purpose: podman's Docker API splits a healthcheck command on
spaces, so ``python -c "<code>"`` reaches the container as ``python -c import``.
"""

from __future__ import annotations

import socket
import sys
import urllib.error
import urllib.request


def answers(target: str, timeout: float = 4) -> bool:
    """Whether ``target`` (URL or port number) answers within ``timeout`` seconds."""
    try:
        if target.isdigit():
            socket.create_connection(("127.0.0.1", int(target)), timeout).close()
        else:
            direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))
            direct.open(target, timeout=timeout).close()
    except urllib.error.HTTPError as error:
        return error.code < 500
    except OSError:
        return False
    return True


if __name__ == "__main__":
    sys.exit(0 if len(sys.argv) == 2 and answers(sys.argv[1]) else 1)
