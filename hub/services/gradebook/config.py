"""Settings of the gradebook service: declared with their help in :mod:`northlab.settings`
(:class:`GradebookSettings`: ``NORTHLAB_GRADEBOOK_*`` or ``[gradebook]`` in
``northlab.toml``, plus the shared data and labs folders and results database the hub hands
its services), and what JupyterHub sets when it launches the service
(``JUPYTERHUB_SERVICE_URL`` / ``_PREFIX`` / ``JUPYTERHUB_API_*``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlparse

from northlab.settings import GradebookSettings, SettingsError, load


class ConfigError(SettingsError):
    """A gradebook setting is malformed; the message is one sentence."""


@dataclass(frozen=True)
class GradebookConfig(GradebookSettings):
    """Everything the gradebook needs to start: its settings and the hub's wiring."""

    #: URL path the hub's proxy routes to the service (JUPYTERHUB_SERVICE_PREFIX).
    prefix: str = "/services/gradebook/"
    #: Address the service listens on (JUPYTERHUB_SERVICE_URL, set by the hub).
    bind_url: str = "http://127.0.0.1:10102"
    #: Hub API URL and the service's token, for reading cohort groups (set by the hub).
    api_url: str = "http://127.0.0.1:8081/hub/api"
    api_token: str = ""

    @property
    def database_url(self) -> str:
        """The results + credentials database, read only."""
        return self.results_db_url

    @property
    def port(self) -> int:
        return urlparse(self.bind_url).port or 80

    @property
    def ip(self) -> str:
        return urlparse(self.bind_url).hostname or "127.0.0.1"


def load_config(environ: Mapping[str, str] | None = None) -> GradebookConfig:
    """Read the gradebook's settings from the environment (and northlab.toml)."""
    env = os.environ if environ is None else environ
    try:
        settings = load(GradebookSettings, env)
    except SettingsError as exc:
        raise ConfigError(str(exc)) from None
    if not 0 <= settings.pass_percent <= 100:
        raise ConfigError(
            f"NORTHLAB_GRADEBOOK_PASS_PERCENT must be 0-100, not {settings.pass_percent}.")
    prefix = env.get("JUPYTERHUB_SERVICE_PREFIX", GradebookConfig.prefix)
    return GradebookConfig(
        **vars(settings),
        prefix=prefix if prefix.endswith("/") else prefix + "/",
        bind_url=env.get("JUPYTERHUB_SERVICE_URL", GradebookConfig.bind_url),
        api_url=env.get("JUPYTERHUB_API_URL", GradebookConfig.api_url),
        api_token=env.get("JUPYTERHUB_API_TOKEN", ""),
    )
