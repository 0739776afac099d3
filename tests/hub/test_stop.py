"""``northlab stop``: the hub, its proxy and services, and the learners' servers and kernels
that outlive a hub stop (``cleanup_servers`` is off so a restart keeps them)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from hub.commands.runner import hub_env, started_by_hub, stop_hub
from hub.people.manage import add_person

from .conftest import kill_leftovers, processes_of, proxies_on, running_hub
from .kernel import start_kernel

pytestmark = pytest.mark.slow


def test_northlab_stop_leaves_nothing_of_the_hub_running():
    with running_hub() as hub:
        learner = hub.name("stop")
        add_person(hub.settings, hub.client, learner, role="learner", cohort=hub.cohort,
                   password=None)
        token = hub.start_server(learner, "cybersecurity")
        start_kernel(f"{hub.url}/user/{learner}/", token)
        kernel_and_server = processes_of(learner)
        assert len(kernel_and_server) >= 2
        assert set(kernel_and_server) <= set(started_by_hub(hub.settings))
        result = subprocess.run([str(Path(sys.executable).parent / "northlab"), "stop"],
                                env=hub_env(hub.settings), capture_output=True, text=True,
                                timeout=180)
        assert result.returncode == 0, result.stderr[-1000:]
        assert hub.process.wait(60) is not None
        # a server or kernel may take a moment to exit; one that ended unreaped (pid 1 here
        # reaps nothing) has ended: nothing may still run, services and proxy included
        assert not kill_leftovers([learner], hub.settings)
        assert not started_by_hub(hub.settings)
        assert not proxies_on(hub.settings.port)
        assert not (hub.settings.hub_dir / "address").exists()
        stop_hub(hub.settings, hub.process)  # the teardown's own stop finds nothing to do
