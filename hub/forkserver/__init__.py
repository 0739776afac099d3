"""Classroom start: learners' servers forked from one warm, root-owned process.

A learner server spends nearly all of its start importing jupyter_server, JupyterLab and the
server extensions, the same for everyone. In local mode the hub runs ``python -m
hub.forkserver`` (a managed service, through :mod:`hub.services.lifeline`) which imports all
once, freezes its objects (``gc.freeze``: the children share those pages copy-on-write) and
then forks one child per server the spawner asks for (:mod:`hub.forkserver.client`). The
child becomes the learner exactly as ``LocalProcessSpawner`` makes its process
(:mod:`hub.forkserver.server`): a new session; the hub's stdout/stderr (its log) and
``/dev/null`` on 0-2, every other inherited descriptor closed; ``initgroups``, then the
learner's gid and uid (root's capabilities are gone); the home (0700) as working folder and
the role's umask; exactly the environment the spawner computed (its own
``JUPYTERHUB_API_TOKEN``, service URL, track); what the imports computed for root computed
again for the learner (:mod:`hub.forkserver.userstate`); a new event loop and random seed;
then ``jupyterhub-singleuser`` (:mod:`hub.userserver`). The spawner holds the server by a
pidfd the child sends (:mod:`hub.forkserver.process`) and polls and signals it only through
that; the idle culler and the admin panel stop it as any other server; when the fork-server
is not running or cannot start a server, the spawner starts it as a new process.

Threat model
------------
The fork-server runs as root and forks processes that become any northlab user, so the
question is who may ask it, and what a child may carry over.

- **Who may ask**: its socket lives in the hub's folder (``<data_root>/hub``, root only),
  is created mode 0600, and every connection's peer is checked (``SO_PEERCRED``): anyone
  but root is refused before anything is read or forked. A learner cannot reach it, so
  cannot ask for another learner's server or for one as root.
- **What it may become**: only an account northlab created (group ``northlab-users``), never
  uid 0 (:func:`hub.people.accounts.is_northlab_user`); anything else is refused by the child
  before it drops root.
- **What a child carries over**: the fork-server holds no learner's secret. It forks as
  soon as it accepts a connection and the *child* reads the request (environment and
  token), so no token ever enters the fork-server's memory and no later child can find one
  in the pages it inherits. The child is non-dumpable (no ptrace, no ``/proc/<pid>/mem``),
  has no inherited descriptor but 0-2, and re-seeds ``random``.
- **Which process is the server**: never a bare process id, which the kernel hands out
  again once a process has ended (the hub could signal another learner's server or a root
  process): a pidfd, and after a hub restart only a process proved to be the same one
  (:mod:`hub.forkserver.process`).
- **Requests the hub gave up on**: each carries an id and a deadline; the child drops an
  expired one, and starts the server only after the hub's ``go`` for that id before the
  deadline (:mod:`hub.forkserver.client`): a request the hub stopped waiting for (and may
  have started as a new process instead) starts nothing.
- **Shared by design**: the hash seed of ``str`` (``PYTHONHASHSEED``) is the same in every
  forked server; it protects against hash-flooding only, which a learner could do to their
  own server anyway.
- **Not covered**: a root compromise of the hub, which already holds every token.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from hub import managed
from hub.config.settings import Settings
from hub.services import lifeline

SERVICE = "forkserver"


def socket_path(settings: Settings) -> str:
    """The fork-server's control socket: in the hub's folder, root only."""
    return str(settings.hub_dir / "forkserver.sock")


def configure(c: Any, settings: Settings) -> None:
    """Run the fork-server beside the hub and point :class:`NorthlabSpawner` at it.

    Its environment is cleared (``env -i``): forked servers show the fork-server's start
    environment in ``/proc``, so it holds only ``PATH``, ``PYTHONPATH`` and the hub's API
    address (what ``northlab stop`` looks for), never a service token or name.
    """
    path = socket_path(settings)
    c.NorthlabSpawner.fork_server_socket = path
    hub_api = f"http://127.0.0.1:{settings.port + managed.HUB_PORT_OFFSET}/hub/api"
    # PYTHONPATH as the spawner passes it on (env_keep): the same code as a new process
    python_path = [f"PYTHONPATH={os.environ['PYTHONPATH']}"] if "PYTHONPATH" in os.environ else []
    command = ["/usr/bin/env", "-i", "PATH=/usr/bin:/bin", f"JUPYTERHUB_API_URL={hub_api}",
               *python_path, sys.executable, "-P", "-m", "hub.forkserver", "--socket", path]
    services = list(c.JupyterHub.services)
    services.append({"name": SERVICE, "command": lifeline.command(os.getpid(), command)})
    c.JupyterHub.services = services
