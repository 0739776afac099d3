"""The one place that reads northlab's settings.

Settings come from ``northlab.toml`` (path from ``NORTHLAB_CONFIG``, default
``<repo>/northlab.toml``; optional) and ``NORTHLAB_<KEY>`` environment variables, which
win over the file. Every setting is declared below with its help text; ``northlab
settings`` prints them all. A bad value raises :class:`SettingsError` with one sentence.

Example ``northlab.toml``::

    mode = "local"
    data_root = "/srv/northlab"
    port = 8000
"""

from __future__ import annotations

import os
import shutil
import socket
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MODES = ("local", "docker", "kubernetes")
AUTHENTICATORS = ("native", "lti")
SERVER_STARTS = ("fork", "process")


class SettingsError(Exception):
    """A setting is missing, malformed or unusable; the message is one sentence."""


def _setting(default: object, help: str) -> object:
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class Settings:
    """Resolved northlab settings (see each field's help)."""

    mode: str = _setting(
        "local",
        "Where learner servers run: local (a process per learner as its own Unix user), "
        "docker (a container per learner, one image per track) or kubernetes (a pod per "
        "learner through KubeSpawner).",
    )
    data_root: Path = _setting(
        REPO / "var",
        "Folder holding all state: hub/ (hub DB, cookie secret), home/<user>/, courses/, "
        "exchange/, results/, outbox/, credentials/, gradebook/. /srv/northlab is "
        "recommended in production.",
    )
    labs_root: Path = _setting(
        REPO / "labs",
        "Folder of labs (<track>/<lab>/lab.toml) that the demo releases and the grader reads; "
        "in local mode only instructors may read it (it holds solutions and hidden tests).",
    )
    port: int = _setting(8000, "TCP port the hub's proxy listens on.")
    ip: str = _setting("127.0.0.1", "Address the hub's proxy listens on (0.0.0.0 for a LAN).")
    public_url: str = _setting(
        "",
        "Address learners and employers use to reach the hub (https://lab.example.org), "
        "behind any reverse proxy. It is signed into every credential (ids, links, QR code), "
        "so set it before issuing. Empty means http://127.0.0.1:<port>, which only `northlab "
        "demo` signs credentials with.",
    )
    database_url: str = _setting(
        "",
        "Hub database URL (SQLAlchemy). Empty means SQLite at <data_root>/hub/jupyterhub.sqlite; "
        "postgresql://user:pass@host/db for PostgreSQL.",
    )
    results_database_url: str = _setting(
        "",
        "Credential service database URL. Empty means SQLite under <data_root>/credentials/.",
    )
    authenticator: str = _setting(
        "native",
        "How people log in: native (local accounts, sign-up approved by an admin) or lti "
        "(LTI 1.3 launch from Moodle, Brightspace or Canvas; set the lti_* settings).",
    )
    admin_users: tuple[str, ...] = _setting(
        ("admin",),
        "Hub administrators (comma-separated in the environment). They approve sign-ups.",
    )
    server_start: str = _setting(
        "fork",
        "Local mode: how learners' servers start: fork (from a warm root-owned fork-server "
        "that imported JupyterLab once: a start costs milliseconds of CPU and servers share "
        "memory pages) or process (a new Python process each). A server the fork-server "
        "cannot start starts as a process.",
    )
    idle_timeout: int = _setting(
        3600, "Seconds of inactivity after which the idle culler stops a learner's server."
    )
    mem_limit: str = _setting(
        "2G", "Memory limit per learner server in docker and kubernetes modes."
    )
    cpu_limit: float = _setting(1.0, "CPU limit per learner server in docker and kubernetes modes.")
    image_prefix: str = _setting(
        "northlab/",
        "Container image name prefix in docker and kubernetes modes: <prefix><track>:<tag>.",
    )
    image_tag: str = _setting("latest", "Container image tag in docker and kubernetes modes.")
    lti_client_id: str = _setting("", "LTI 1.3: the client id the LMS gave this tool.")
    lti_issuer: str = _setting("", "LTI 1.3: the LMS platform's issuer URL.")
    lti_authorize_url: str = _setting("", "LTI 1.3: the LMS OIDC authorization endpoint.")
    lti_jwks_url: str = _setting("", "LTI 1.3: the LMS public key set (JWKS) URL.")
    proxy_command: Path = _setting(
        REPO / "node_modules" / ".bin" / "configurable-http-proxy",
        "configurable-http-proxy executable (installed into the project by `npm ci`).",
    )

    @property
    def public_base_url(self) -> str:
        """The hub's public address without trailing slash (``public_url`` or the default)."""
        return (self.public_url or f"http://127.0.0.1:{self.port}").rstrip("/")

    @property
    def hub_dir(self) -> Path:
        return self.data_root / "hub"

    @property
    def home_root(self) -> Path:
        return self.data_root / "home"

    @property
    def courses_root(self) -> Path:
        return self.data_root / "courses"

    @property
    def exchange_root(self) -> Path:
        return self.data_root / "exchange"

    @property
    def hub_database_url(self) -> str:
        """The hub DB URL; ``postgresql://`` uses psycopg2, the driver northlab installs."""
        url = self.database_url or f"sqlite:///{self.hub_dir / 'jupyterhub.sqlite'}"
        if url.startswith(("postgresql://", "postgres://")):
            url = "postgresql+psycopg2://" + url.split("://", 1)[1]
        return url


def help_text() -> list[tuple[str, str, str]]:
    """``(key, default, help)`` for every setting, for ``northlab settings``."""
    rows = []
    for f in fields(Settings):
        default = f.default
        if isinstance(default, tuple):
            default = ",".join(default)
        rows.append((f.name, str(default), f.metadata["help"]))
    return rows


def _convert(name: str, kind: str, raw: object, source: str) -> object:
    try:
        if kind == "int":
            value = int(raw)  # type: ignore[arg-type]
            if isinstance(raw, bool):
                raise ValueError
            return value
        if kind == "float":
            return float(raw)  # type: ignore[arg-type]
        if kind == "Path":
            return Path(str(raw)).expanduser().resolve()
        if kind.startswith("tuple"):
            items = raw.split(",") if isinstance(raw, str) else list(raw)  # type: ignore[arg-type]
            return tuple(str(item).strip() for item in items if str(item).strip())
    except (TypeError, ValueError):
        message = f"Setting {name} from {source} is not a valid {kind}: {raw!r}."
        raise SettingsError(message) from None
    if not isinstance(raw, str):
        raise SettingsError(f"Setting {name} from {source} must be text, not {raw!r}.")
    return raw


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read ``northlab.toml`` and ``NORTHLAB_*`` variables into checked :class:`Settings`."""
    env = os.environ if environ is None else environ
    config_path = Path(env.get("NORTHLAB_CONFIG", REPO / "northlab.toml"))
    values: dict[str, object] = {}
    known = {f.name: f for f in fields(Settings)}
    if config_path.exists():
        try:
            data = tomllib.loads(config_path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise SettingsError(f"Cannot read settings file {config_path}: {exc}.") from None
        for key, raw in data.items():
            if isinstance(raw, dict):
                continue  # a [section] read by another component (e.g. [credentials])
            if key not in known:
                raise SettingsError(
                    f"Unknown setting {key!r} in {config_path}; known: {', '.join(known)}."
                )
            values[key] = _convert(key, str(known[key].type), raw, str(config_path))
    elif "NORTHLAB_CONFIG" in env:
        raise SettingsError(f"Settings file {config_path} (from NORTHLAB_CONFIG) does not exist.")
    aliases = {"NORTHLAB_DATA": "data_root"}
    for var, raw in env.items():
        if not var.startswith("NORTHLAB_") or var == "NORTHLAB_CONFIG":
            continue
        key = aliases.get(var, var.removeprefix("NORTHLAB_").lower())
        if key in known:
            values[key] = _convert(key, str(known[key].type), raw, var)
    settings = Settings(**values)  # type: ignore[arg-type]
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
