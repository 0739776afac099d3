"""An in-process judge/worker pair over a socket pair (the real protocol, no sandbox): for
tests of what crosses the boundary, not of the sandbox."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from graders.remote.proxy import Connection
from graders.remote.worker import WorkerServer


@contextmanager
def remote_pair(namespace: dict[str, Any]) -> Iterator[Connection]:
    """A judge-side connection to a worker serving ``namespace`` in a thread."""
    judge_end, worker_end = socket.socketpair()
    server = WorkerServer(worker_end, namespace)
    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()
    try:
        yield Connection(judge_end)
    finally:
        judge_end.close()
        thread.join(timeout=30)
        worker_end.close()
        assert not thread.is_alive()
