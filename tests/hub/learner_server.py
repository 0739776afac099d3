"""A learner's ``jupyter server`` as the hub starts it, for tests that talk to it over HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from hub.tracks import SHARE_DIR, SINGLEUSER_CONFIG_DIR
from tests.support.ports import free_port_block


@contextmanager
def learner_server(root: Path, track: str, exchange: Path, assignment_dir: Path, token: str,
                   log: Path, **variables: str) -> Iterator[str]:
    """Run ``jupyter server`` in ``root`` with the learner's configuration and NORTHLAB_*
    variables (plus ``variables``), output to ``log``; yield its URL once it answers, stop
    it on exit."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("JUPYTER", "NORTHLAB"))}
    env.update(
        HOME=str(root), NORTHLAB_TRACK=track, NORTHLAB_ROLE="learner",
        NORTHLAB_EXCHANGE=str(exchange), NORTHLAB_ASSIGNMENT_DIR=str(assignment_dir),
        JUPYTER_PATH=str(SHARE_DIR),
        JUPYTER_CONFIG_PATH=os.pathsep.join(
            str(SINGLEUSER_CONFIG_DIR / d) for d in ("learner", "common")),
        **variables,
    )
    port = free_port_block(1)
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "jupyter_server", "--allow-root", "--no-browser",
             f"--port={port}", f"--ServerApp.root_dir={root}",
             f"--IdentityProvider.token={token}"],
            env=env, cwd=root, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if requests.get(url + "/api/status", timeout=120, headers={
                        "Authorization": f"token {token}"}).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        process.wait(30)
