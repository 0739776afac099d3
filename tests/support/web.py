"""Tornado apps of ours served for tests: in the test's own event loop, or in a thread."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from tornado.httpserver import HTTPServer
from tornado.ioloop import IOLoop
from tornado.web import Application

from tests.support.ports import free_port


@contextmanager
def listening(app: Application) -> Iterator[str]:
    """Serve ``app`` on a free port of 127.0.0.1 and yield its base URL; stop afterwards."""
    server = app.listen(0, "127.0.0.1")
    port = next(iter(server._sockets.values())).getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@contextmanager
def serving_in_thread(make: Callable[[], Application], *,
                      max_body_size: int) -> Iterator[tuple[str, dict[str, Any]]]:
    """Serve the app ``make()`` builds on a free port, in a thread with its own event loop (a
    handler that blocks shows as a slow answer, not a hung test); yield the base URL and the
    app's settings (its loop added as ``loop``); stop the loop and the thread afterwards."""
    port, started, held = free_port(), threading.Event(), {}

    def serve() -> None:
        asyncio.set_event_loop(asyncio.new_event_loop())
        app = make()
        server = HTTPServer(app, max_body_size=max_body_size)
        server.listen(port, "127.0.0.1")
        held.update(app.settings, loop=IOLoop.current())
        started.set()
        IOLoop.current().start()
        server.stop()

    thread = threading.Thread(target=serve)
    thread.start()
    assert started.wait(60)
    try:
        yield f"http://127.0.0.1:{port}", held
    finally:
        held["loop"].add_callback(held["loop"].stop)
        thread.join(60)
