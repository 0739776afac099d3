"""Container deployment modes: the settings JupyterHub needs in docker and kubernetes modes.

``hub/jupyterhub_config.py`` calls :func:`configure` *after* its own wiring (services,
roles, authenticator), because the container modes adjust what is already there (external
service URLs, spawner, proxy). Local mode is configured by the hub itself; for it this
function does nothing.
"""

from __future__ import annotations

from typing import Any

from hub.config.settings import Settings


def configure(c: Any, settings: Settings) -> None:
    """Apply the mode-specific JupyterHub settings of ``settings.mode`` to config ``c``."""
    if settings.mode == "docker":
        from hub.modes import docker

        docker.configure(c, settings)
    elif settings.mode == "kubernetes":
        from hub.modes import kubernetes

        kubernetes.configure(c, settings)
