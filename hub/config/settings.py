"""The hub's settings, checked: declared with their help in :mod:`northlab.settings` (the
one place for every part's settings), read from ``northlab.toml`` (path from
``NORTHLAB_CONFIG``, default ``<repo>/northlab.toml``; optional) and ``NORTHLAB_*``
environment variables, which win over the file. ``northlab settings`` prints them all. A
bad value raises :class:`SettingsError` with one sentence.

Example ``northlab.toml``::

    mode = "local"
    data_root = "/srv/northlab"
    port = 8000
"""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Mapping
from dataclasses import dataclass

from northlab.settings import REPO, HubSettings, SettingsError, load

__all__ = ["REPO", "Settings", "SettingsError", "check_can_serve", "load_settings"]

MODES = ("local", "docker", "kubernetes")
AUTHENTICATORS = ("native", "lti")
SERVER_STARTS = ("fork", "process")


@dataclass(frozen=True)
class Settings(HubSettings):
    """Resolved hub settings (declared with their help in :mod:`northlab.settings`, where
    the site's folders follow from ``data_root``) and the hub database URL."""

    @property
    def hub_database_url(self) -> str:
        """The hub DB URL; ``postgresql://`` uses psycopg2, the driver northlab installs."""
        url = self.database_url or f"sqlite:///{self.hub_dir / 'jupyterhub.sqlite'}"
        if url.startswith(("postgresql://", "postgres://")):
            url = "postgresql+psycopg2://" + url.split("://", 1)[1]
        return url


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read ``northlab.toml`` and ``NORTHLAB_*`` variables into checked :class:`Settings`."""
    settings = load(Settings, environ)
    _check(settings)
    return settings


def _check(settings: Settings) -> None:
    if settings.mode not in MODES:
        raise SettingsError(
            f"Unknown mode {settings.mode!r}: choose one of {', '.join(MODES)}."
        )
    if settings.authenticator not in AUTHENTICATORS:
        raise SettingsError(
            f"Unknown authenticator {settings.authenticator!r}: choose native or lti."
        )
    if settings.server_start not in SERVER_STARTS:
        raise SettingsError(
            f"Unknown server_start {settings.server_start!r}: choose fork or process."
        )
    if not 0 < settings.port < 65536:
        raise SettingsError(f"Port {settings.port} is out of range (1-65535).")
    if settings.authenticator == "lti":
        missing = [
            key for key in ("lti_client_id", "lti_issuer", "lti_authorize_url", "lti_jwks_url")
            if not getattr(settings, key)
        ]
        if missing:
            raise SettingsError(f"LTI login needs these settings: {', '.join(missing)}.")


def check_can_serve(settings: Settings, port: int | None = None) -> None:
    """Check what starting the hub needs: a free ``port`` (default: the public one),
    node and the proxy."""
    port = settings.port if port is None else port
    if shutil.which("node") is None:
        raise SettingsError(
            "Node.js is missing (the proxy needs it): install it with "
            "`apt-get install nodejs npm` and run `make demo` again."
        )
    if not os.access(settings.proxy_command, os.X_OK):
        raise SettingsError(
            f"configurable-http-proxy is missing at {settings.proxy_command}: "
            "run `npm ci` in the project folder (make demo does it)."
        )
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((settings.ip, port))
        except OSError:
            raise SettingsError(
                f"Port {port} on {settings.ip} is already in use (the hub needs NORTHLAB_PORT "
                "and the four ports after it): stop what uses it or set NORTHLAB_PORT."
            ) from None
