"""The feedback service as the hub runs it (``python -m hub.services.feedback``), stopped
in the middle of a queue and started again: every submission is graded, once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.config.settings import REPO
from hub.services.feedback.spool import Spool
from tests.hub.smoke_lab import SOLUTION
from tests.support.ports import free_port_block
from tests.support.waiting import wait_for

from .conftest import LEARNER, feedback_lab, hand_in, settled

#: A right answer that takes its time: the service is stopped while it is being graded.
SLOW = "import time\ntime.sleep(4)\n" + SOLUTION


class ServiceProcess:
    """Starts and stops the service over one data root."""

    def __init__(self, data_root: Path) -> None:
        self.data_root = data_root
        self.env = {**{k: v for k, v in os.environ.items() if not k.startswith("NORTHLAB_")},
                    "NORTHLAB_DATA": str(data_root), "NORTHLAB_CONFIG": os.devnull,
                    "NORTHLAB_LABS_ROOT": str(data_root / "labs"),
                    "NORTHLAB_FEEDBACK_CONCURRENCY": "1",
                    "JUPYTERHUB_API_TOKEN": "unused-here",
                    "JUPYTERHUB_SERVICE_URL": f"http://127.0.0.1:{free_port_block(1)}"}
        self.process: subprocess.Popen | None = None
        self.log = data_root / "service.log"

    def start(self) -> None:
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "hub.services.feedback"], cwd=REPO, env=self.env,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def stop(self) -> None:
        """SIGTERM, as the hub stops its services; wait until it and its sandboxes exit."""
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            pytest.fail(f"the service did not stop on SIGTERM; see {self.log}")
        wait_for(lambda: not _session_alive(self.process.pid), "the sandboxes to exit",
                 timeout=30)
        self.process = None


def _session_alive(sid: int) -> bool:
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.getsid(int(entry.name)) == sid:
                    return True
            except ProcessLookupError:
                continue
    return False


@pytest.fixture
def service(tmp_path: Path) -> Iterator[ServiceProcess]:
    tmp_path.chmod(0o755)
    feedback_lab(tmp_path / "labs", "[feedback]\non_submit = true\nattempts = 0\n"
                                    "[limits]\nwall_seconds = 60\n")
    running = ServiceProcess(tmp_path)
    try:
        yield running
    finally:
        running.stop()


def test_a_restart_in_the_middle_of_the_queue_loses_nothing(service: ServiceProcess):
    exchange = service.data_root / "exchange"
    spool = Spool(service.data_root / "feedback")
    hand_in(exchange, SLOW)  # holds the only grading thread for a few seconds
    for _ in range(3):
        hand_in(exchange, SOLUTION)
    service.start()
    wait_for(lambda: [e["state"] for e in spool.entries(LEARNER)] ==
             ["grading", "queued", "queued", "queued"],
             f"the first one graded, three queued (see {service.log})", timeout=120)
    assert [e.get("position") for e in spool.entries(LEARNER)][1:] == [1, 2, 3]
    service.stop()  # mid-queue: one being graded, three waiting
    assert [e["state"] for e in spool.entries(LEARNER)] == ["grading"] + ["queued"] * 3
    assert not list((service.data_root / "outbox" / "pending").glob("*.json"))
    service.start()
    entries = wait_for(lambda: settled(spool, 4), f"four graded (see {service.log})", timeout=120)
    assert [(e["attempt"], e["state"], e["score"]) for e in entries] == [
        (1, "graded", 2), (2, "graded", 2), (3, "graded", 2), (4, "graded", 2)]
    records = list((service.data_root / "outbox" / "pending").glob("*.json"))
    # one record per submission (each has its own submission_secret.txt), none twice
    assert len([p for p in records if not p.name.endswith(".state.json")]) == 4
