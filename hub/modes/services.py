"""Where the hub's services live in the container modes.

In local mode the hub starts its services as local processes (``command``) on 127.0.0.1.
In the container modes the proxy and learners' servers run elsewhere: the credential,
gradebook and exchange services run in containers of their own (docker) and every other
service stays hub-managed, inside the hub's container or pod, at a name that means "every
interface" there and "the hub" elsewhere. This module holds their fixed ports and rewrites
the service entries the hub config already made so the proxy and learners' servers reach
them.
"""

from __future__ import annotations

import os
from typing import Any

#: Fixed port of each northlab web service inside the container network.
SERVICE_PORTS: dict[str, int] = {"credentials": 9010, "gradebook": 9020, "exchange": 9030,
                                 "kit": 9040, "feedback": 9050}
#: Services that run in containers of their own in docker mode (hub/docker/compose.yaml).
OWN_CONTAINERS = ("credentials", "gradebook", "exchange")


def learner_url(host: str, name: str) -> str:
    """Service ``name`` (with its prefix) as learners' servers reach it at ``host``."""
    return f"http://{host}:{SERVICE_PORTS[name]}/services/{name}/"


def token_variable(name: str) -> str:
    """Environment variable holding a service's API token (e.g. NORTHLAB_EXCHANGE_API_TOKEN)."""
    return f"NORTHLAB_{name.upper()}_API_TOKEN"


def _services(c: Any) -> list[dict[str, Any]]:
    return [dict(s) for s in c.JupyterHub.services] if "services" in c.JupyterHub else []


def externalize(c: Any, host: str | None = None, environ: dict[str, str] | None = None) -> None:
    """Run the northlab services of :data:`OWN_CONTAINERS` in their own containers (docker
    mode).

    Each of them already in ``c.JupyterHub.services`` loses its
    ``command``, gets ``url`` ``http://<host or its name>:<port>`` and takes its API token
    from :func:`token_variable` (shared with its container through the environment).
    """
    env = os.environ if environ is None else environ
    services = _services(c)
    for service in services:
        name = service.get("name", "")
        if name in OWN_CONTAINERS:
            for key in ("command", "environment", "cwd", "user"):
                service.pop(key, None)
            service["url"] = f"http://{host or name}:{SERVICE_PORTS[name]}"
            token = env.get(token_variable(name))
            if token:
                service["api_token"] = token
    c.JupyterHub.services = services


def expose(c: Any, host: str) -> None:
    """Keep the hub-managed services reachable from other containers or pods.

    Each service of :data:`SERVICE_PORTS` the hub starts (it has a ``command``) keeps it
    and gets ``url`` ``http://<host>:<port>``. ``host`` names the hub's container or pod
    for the proxy and learners (a network alias in docker mode, a Kubernetes Service);
    inside the hub's container or pod a host alias maps it to 0.0.0.0, so the services
    (which listen on their URL's host) listen on every interface there.
    """
    services = _services(c)
    for service in services:
        if service.get("name", "") in SERVICE_PORTS and "command" in service:
            service["url"] = f"http://{host}:{SERVICE_PORTS[service['name']]}"
    c.JupyterHub.services = services
