"""Tornado apps of ours served in the test's own event loop."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from tornado.web import Application


@contextmanager
def listening(app: Application) -> Iterator[str]:
    """Serve ``app`` on a free port of 127.0.0.1 and yield its base URL; stop afterwards."""
    server = app.listen(0, "127.0.0.1")
    port = next(iter(server._sockets.values())).getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()
