"""How the hub config wires the exchange service (any mode).

``configure(c, data_root, service_url)`` registers the hub-managed service, lets every
user's server token call it and gives the service read access to hub groups. The modes
that use it (:mod:`hub.modes`) tell learners' servers where it is, as they do for the
other services (:func:`hub.modes.profiles.set_exchange_url`).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from hub.services.exchange.__main__ import SERVICE_NAME

#: Scope a token needs to call the exchange service.
ACCESS_SCOPE = f"access:services!service={SERVICE_NAME}"
#: Scopes JupyterHub gives a server's own token by default, plus the exchange.
SERVER_TOKEN_SCOPES = ["users:activity!user", "access:servers!server", ACCESS_SCOPE]
#: What the service itself may read on the hub: the cohort groups (courses).
SERVICE_ROLE = {
    "name": "northlab-exchange-service",
    "description": "The nbgrader exchange reads hub groups to know courses and learners.",
    "scopes": ["list:groups", "read:groups:name"],
    "services": [SERVICE_NAME],
}
#: Folder under the data root where the service keeps its files.
STORE_FOLDER = "exchange-service"


def store_path(data_root: Path) -> Path:
    return Path(data_root) / STORE_FOLDER


def service(data_root: Path, service_url: str) -> dict[str, Any]:
    """The ``c.JupyterHub.services`` entry: hub-managed, listening at ``service_url``."""
    return {
        "name": SERVICE_NAME,
        "url": service_url,
        "command": [
            sys.executable,
            "-m",
            "hub.services.exchange",
            "--store",
            str(store_path(data_root)),
        ],
        "display": False,
    }


def _roles_with_user_access(roles: list[dict[str, Any]]) -> list[dict[str, Any]]:
    roles = [dict(r) for r in roles]
    user_role = next((r for r in roles if r["name"] == "user"), None)
    if user_role is None:
        roles.append({"name": "user", "scopes": ["self", ACCESS_SCOPE]})
    elif ACCESS_SCOPE not in user_role.get("scopes", []):
        user_role["scopes"] = [*user_role.get("scopes", ["self"]), ACCESS_SCOPE]
    return roles


def configure(c: Any, data_root: Path, service_url: str) -> None:
    """Wire the exchange into config ``c``.

    ``service_url`` is where the service listens (e.g. ``http://exchange:9030`` in docker
    mode, see :mod:`hub.modes`).
    """
    services = list(c.JupyterHub.services) if "services" in c.JupyterHub else []
    c.JupyterHub.services = [*services, service(data_root, service_url)]
    roles = list(c.JupyterHub.load_roles) if "load_roles" in c.JupyterHub else []
    c.JupyterHub.load_roles = [*_roles_with_user_access(roles), dict(SERVICE_ROLE)]
    scopes = list(c.Spawner.server_token_scopes) if "server_token_scopes" in c.Spawner else []
    c.Spawner.server_token_scopes = sorted({*SERVER_TOKEN_SCOPES, *scopes})
