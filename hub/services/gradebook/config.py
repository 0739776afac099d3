"""Settings of the gradebook service, each documented where it is declared.

The hub sets ``JUPYTERHUB_SERVICE_URL`` / ``JUPYTERHUB_SERVICE_PREFIX`` / ``JUPYTERHUB_API_*``
when it launches the service; northlab's own settings come from ``hub/settings.py``
(``northlab.toml`` and ``NORTHLAB_*``) plus the ``NORTHLAB_GRADEBOOK_*`` variables below.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from hub.services.credentials.settings import CredentialSettings
from hub.settings import REPO, load_settings


class ConfigError(Exception):
    """A gradebook setting is malformed; the message is one sentence."""


@dataclass(frozen=True)
class GradebookConfig:
    """Everything the gradebook needs to start."""

    #: URL path the hub's proxy routes to the service (JUPYTERHUB_SERVICE_PREFIX).
    prefix: str = "/services/gradebook/"
    #: Address the service listens on (JUPYTERHUB_SERVICE_URL, set by the hub).
    bind_url: str = "http://127.0.0.1:10102"
    #: Results + credentials database, read only (NORTHLAB_RESULTS_DATABASE_URL; default the
    #: credential service's SQLite file under <data_root>/credentials/).
    database_url: str = ""
    #: Best mark (percent) at which a lab counts as completed (NORTHLAB_GRADEBOOK_PASS_PERCENT).
    pass_percent: float = 60.0
    #: Seconds cohort membership read from the hub is reused (NORTHLAB_GRADEBOOK_ROSTER_TTL).
    roster_ttl: float = 60.0
    #: Folder with labs/<track>/<lab>/lab.toml, for lab titles (NORTHLAB_LABS).
    labs_root: Path = REPO / "labs"
    #: Hub API URL and the service's token, for reading cohort groups (set by the hub).
    api_url: str = "http://127.0.0.1:8081/hub/api"
    api_token: str = ""

    @property
    def port(self) -> int:
        return urlparse(self.bind_url).port or 80

    @property
    def ip(self) -> str:
        return urlparse(self.bind_url).hostname or "127.0.0.1"


def load_config(environ: Mapping[str, str] | None = None) -> GradebookConfig:
    """Read the gradebook's settings from the environment (and northlab.toml)."""
    env = os.environ if environ is None else environ
    shared = load_settings(env)
    database_url = CredentialSettings(
        data_root=shared.data_root, database_url=shared.results_database_url
    ).db_url
    try:
        pass_percent = float(env.get("NORTHLAB_GRADEBOOK_PASS_PERCENT", 60))
        roster_ttl = float(env.get("NORTHLAB_GRADEBOOK_ROSTER_TTL", 60))
    except ValueError:
        raise ConfigError(
            "NORTHLAB_GRADEBOOK_PASS_PERCENT and NORTHLAB_GRADEBOOK_ROSTER_TTL must be numbers."
        ) from None
    if not 0 <= pass_percent <= 100:
        raise ConfigError(f"NORTHLAB_GRADEBOOK_PASS_PERCENT must be 0-100, not {pass_percent}.")
    prefix = env.get("JUPYTERHUB_SERVICE_PREFIX", GradebookConfig.prefix)
    return GradebookConfig(
        prefix=prefix if prefix.endswith("/") else prefix + "/",
        bind_url=env.get("JUPYTERHUB_SERVICE_URL", GradebookConfig.bind_url),
        database_url=database_url,
        pass_percent=pass_percent,
        roster_ttl=roster_ttl,
        labs_root=Path(env.get("NORTHLAB_LABS", REPO / "labs")),
        api_url=env.get("JUPYTERHUB_API_URL", GradebookConfig.api_url),
        api_token=env.get("JUPYTERHUB_API_TOKEN", ""),
    )
