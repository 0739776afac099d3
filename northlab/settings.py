"""Every setting of every northlab part, declared once: name, type, default, environment
variable, ``northlab.toml`` key and help text.

Each part is a frozen dataclass below; a field's metadata says where it is read. Values
come from the default, then ``northlab.toml`` (path from ``NORTHLAB_CONFIG``, default
``<repo>/northlab.toml``; optional), then the environment, which wins. Settings shared by
several parts (data folder, labs folder, results database) live in :class:`SiteSettings`
and nowhere else; each part's own keys sit in a ``[<part>]`` table of ``northlab.toml``
(the hub's at top level). :func:`load` builds one part, :func:`describe` lists every
setting with its value and source (``northlab settings``).

Part of the core (``northlab/``): it imports nothing else of ours, so every part may use it.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, NamedTuple, TypeVar
from urllib.parse import urlparse

REPO = Path(__file__).resolve().parent.parent
CONFIG_VARIABLE = "NORTHLAB_CONFIG"
_TRUE = ("1", "true", "yes", "on")


class SettingsError(ValueError):
    """A setting is missing, malformed or unusable; the message is one sentence."""


def setting(default: Any, help: str, *, env: str, secret: bool = False) -> Any:
    """A declared setting: its ``default``, ``help`` text and environment variable ``env``;
    its ``northlab.toml`` key is the field name (in the part's table)."""
    return field(default=default, repr=not secret,
                 metadata={"help": help, "env": env, "secret": secret})


@dataclass(frozen=True)
class SiteSettings:
    """Settings every part of one site shares."""

    data_root: Path = setting(
        REPO / "var",
        "Folder holding all state: hub/ (hub DB, cookie secret), home/<user>/, courses/, "
        "exchange/, results/, outbox/, credentials/, gradebook/. /srv/northlab is "
        "recommended in production.", env="NORTHLAB_DATA")
    labs_root: Path = setting(
        REPO / "labs",
        "Folder of labs (<track>/<lab>/lab.toml, <track>/achievement.toml) that the demo "
        "releases, the grader reads, the credential service builds achievements from and "
        "the gradebook titles labs from; in local mode only instructors may read it (it "
        "holds solutions and hidden tests).", env="NORTHLAB_LABS_ROOT")
    results_database_url: str = setting(
        "",
        "Results and credentials database URL (SQLAlchemy), written by the credential "
        "service and read by the gradebook. Empty means SQLite at "
        "<data_root>/credentials/records.sqlite.", env="NORTHLAB_RESULTS_DATABASE_URL")

    @property
    def hub_dir(self) -> Path:
        """``<data_root>/hub``: the hub database, cookie secret and service tokens."""
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
    def results_db_url(self) -> str:
        """The results database URL (``results_database_url`` or the SQLite default)."""
        return self.results_database_url or (
            f"sqlite:///{self.data_root / 'credentials' / 'records.sqlite'}")


@dataclass(frozen=True)
class HubSettings(SiteSettings):
    """The hub: how it listens, where learner servers run, who logs in."""

    mode: str = setting(
        "local",
        "Where learner servers run: local (a process per learner as its own Unix user), "
        "docker (a container per learner, one image per track) or kubernetes (a pod per "
        "learner through KubeSpawner).", env="NORTHLAB_MODE")
    port: int = setting(8000, "TCP port the hub's proxy listens on.", env="NORTHLAB_PORT")
    ip: str = setting("127.0.0.1", "Address the hub's proxy listens on (0.0.0.0 for a LAN).",
                      env="NORTHLAB_IP")
    public_url: str = setting(
        "",
        "Address learners and employers use to reach the hub (https://lab.example.org), "
        "behind any reverse proxy. It is signed into every credential (ids, links, QR code), "
        "so set it before issuing. Empty means http://127.0.0.1:<port>, which only `northlab "
        "demo` signs credentials with.", env="NORTHLAB_PUBLIC_URL")
    database_url: str = setting(
        "",
        "Hub database URL (SQLAlchemy). Empty means SQLite at <data_root>/hub/jupyterhub.sqlite; "
        "postgresql://user:pass@host/db for PostgreSQL.", env="NORTHLAB_DATABASE_URL")
    authenticator: str = setting(
        "native",
        "How people log in: native (local accounts, sign-up approved by an admin) or lti "
        "(LTI 1.3 launch from Moodle, Brightspace or Canvas; set the lti_* settings).",
        env="NORTHLAB_AUTHENTICATOR")
    admin_users: tuple[str, ...] = setting(
        ("admin",),
        "Hub administrators (comma-separated in the environment). They approve sign-ups.",
        env="NORTHLAB_ADMIN_USERS")
    server_start: str = setting(
        "process",
        "Local mode: how learners' servers start: process (a new Python process each) or "
        "fork (opt-in, not yet for production: from a warm root-owned fork-server that "
        "imported JupyterLab once; a start costs milliseconds of CPU and servers share "
        "memory pages; its security review has open findings, hub/forkserver). A server the "
        "fork-server cannot start starts as a process.", env="NORTHLAB_SERVER_START")
    idle_timeout: int = setting(
        3600, "Seconds of inactivity after which the idle culler stops a learner's server.",
        env="NORTHLAB_IDLE_TIMEOUT")
    mem_limit: str = setting(
        "2G", "Memory limit per learner server in docker and kubernetes modes.",
        env="NORTHLAB_MEM_LIMIT")
    cpu_limit: float = setting(
        1.0, "CPU limit per learner server in docker and kubernetes modes.",
        env="NORTHLAB_CPU_LIMIT")
    image_prefix: str = setting(
        "northlab/",
        "Container image name prefix in docker and kubernetes modes: <prefix><track>:<tag>.",
        env="NORTHLAB_IMAGE_PREFIX")
    image_tag: str = setting("latest", "Container image tag in docker and kubernetes modes.",
                             env="NORTHLAB_IMAGE_TAG")
    lti_client_id: str = setting("", "LTI 1.3: the client id the LMS gave this tool.",
                                 env="NORTHLAB_LTI_CLIENT_ID")
    lti_issuer: str = setting("", "LTI 1.3: the LMS platform's issuer URL.",
                              env="NORTHLAB_LTI_ISSUER")
    lti_authorize_url: str = setting("", "LTI 1.3: the LMS OIDC authorization endpoint.",
                                     env="NORTHLAB_LTI_AUTHORIZE_URL")
    lti_jwks_url: str = setting("", "LTI 1.3: the LMS public key set (JWKS) URL.",
                                env="NORTHLAB_LTI_JWKS_URL")
    proxy_command: Path = setting(
        REPO / "node_modules" / ".bin" / "configurable-http-proxy",
        "configurable-http-proxy executable (installed into the project by `npm ci`).",
        env="NORTHLAB_PROXY_COMMAND")

    @property
    def public_base_url(self) -> str:
        """The hub's public address without trailing slash (``public_url`` or the default)."""
        return (self.public_url or f"http://127.0.0.1:{self.port}").rstrip("/")


@dataclass(frozen=True)
class CredentialSettings(SiteSettings):
    """The credential service and the ``northlab credential`` verbs."""

    public_url: str = setting(
        "",
        "Public URL of the credential service as learners and employers reach it; a bare "
        "address (no path) gets the service prefix (/services/credentials). Used in "
        "credential, achievement and status list ids and in the certificate's QR code. "
        "Empty means the hub's public_url (else JUPYTERHUB_PUBLIC_URL, else "
        "http://127.0.0.1:<port>) + the prefix.", env="NORTHLAB_CREDENTIALS_PUBLIC_URL")
    allow_loopback: bool = setting(
        False,
        "Sign credentials even though public_url is a loopback address nobody else can reach "
        "(`northlab demo` sets it). Otherwise issuing refuses: such ids and links are signed "
        "in and can never be fixed.", env="NORTHLAB_CREDENTIALS_ALLOW_LOOPBACK")
    trusted_issuers: tuple[str, ...] = setting(
        (),
        "Issuer DIDs (besides this service's own) that the verify page calls a known issuer "
        "(comma-separated in the environment).", env="NORTHLAB_CREDENTIALS_TRUSTED_ISSUERS")
    issuer_name: str = setting("northlab", "Issuer name shown in every credential.",
                               env="NORTHLAB_CREDENTIALS_ISSUER_NAME")
    issuer_url: str = setting("", "Web page of the issuing program; empty means public_url.",
                              env="NORTHLAB_CREDENTIALS_ISSUER_URL")
    did_method: str = setting(
        "key",
        "Issuer identifier: key (did:key, verifiable fully offline) or web (did:web on "
        "did_web_domain).", env="NORTHLAB_CREDENTIALS_DID_METHOD")
    did_web_domain: str = setting(
        "",
        "Host[:port][/path] for did:web; empty means the public URL's host and path, so "
        "did:web:<host>:services:credentials resolves to the service's own did.json.",
        env="NORTHLAB_CREDENTIALS_DID_WEB_DOMAIN")
    valid_years: int = setting(
        0, "Years a credential stays valid; 0 means no validUntil.",
        env="NORTHLAB_CREDENTIALS_VALID_YEARS")
    node_root: Path = setting(
        REPO, "Folder holding node_modules with the JSON-LD context packages.",
        env="NORTHLAB_NODE_ROOT")
    report_token: str = setting(
        "",
        "Shared secret accepted as a grader token when the service runs without a hub; "
        "under the hub, hub tokens with the scope are used.",
        env="NORTHLAB_CREDENTIALS_REPORT_TOKEN", secret=True)

    @property
    def folder(self) -> Path:
        """``<data_root>/credentials`` (0700): DB, keys."""
        return self.data_root / "credentials"

    @property
    def db_url(self) -> str:
        return self.results_db_url


@dataclass(frozen=True)
class GradebookSettings(SiteSettings):
    """The gradebook service."""

    pass_percent: float = setting(
        60.0, "Best mark (percent, 0-100) at which a lab counts as completed.",
        env="NORTHLAB_GRADEBOOK_PASS_PERCENT")
    roster_ttl: float = setting(
        60.0, "Seconds cohort membership read from the hub is reused.",
        env="NORTHLAB_GRADEBOOK_ROSTER_TTL")


@dataclass(frozen=True)
class FeedbackSettings(SiteSettings):
    """The instant-feedback service (grades on submit the labs that ask for it)."""

    concurrency: int = setting(2, "Submissions graded at once by the feedback service.",
                               env="NORTHLAB_FEEDBACK_CONCURRENCY")


@dataclass(frozen=True)
class OutboxSettings(SiteSettings):
    """The grade outbox's deliverer (``northlab outbox deliver``)."""

    results_url: str = setting(
        "",
        "Results endpoint of the credential service; empty means through the hub's proxy "
        "on the hub's port.", env="NORTHLAB_RESULTS_URL")
    results_token: str = setting(
        "",
        "Grader token (a hub token with the custom:northlab:report-results scope); empty "
        "means JUPYTERHUB_API_TOKEN, else <data_root>/hub/grader-token.",
        env="NORTHLAB_RESULTS_TOKEN", secret=True)


@dataclass(frozen=True)
class SandboxSettings:
    """The grading sandbox."""

    sandbox: str = setting(
        "",
        "Sandbox that runs learners' code: bubblewrap, rlimits or container (the grader "
        "image sets it); empty means the strongest this host offers.",
        env="NORTHLAB_SANDBOX")
    uid_base: int = setting(
        64000, "First uid of the range sandboxed processes run as (a block per grading run).",
        env="NORTHLAB_SANDBOX_UID_BASE")


#: Every part, by its ``northlab.toml`` table name ("" = top level).
PARTS: dict[str, type] = {
    "": HubSettings, "credentials": CredentialSettings, "gradebook": GradebookSettings,
    "feedback": FeedbackSettings, "outbox": OutboxSettings, "sandbox": SandboxSettings,
}
#: Settings every part shares (top level in ``northlab.toml``).
SHARED = {f.name for f in fields(SiteSettings)}


class Row(NamedTuple):
    """One setting as ``northlab settings`` prints it."""

    part: str
    key: str
    value: str
    source: str
    env: str
    help: str


P = TypeVar("P")


def config_file(environ: Mapping[str, str]) -> tuple[Path, dict[str, Any]]:
    """``northlab.toml``'s path and contents (empty if the default file does not exist)."""
    path = Path(environ.get(CONFIG_VARIABLE) or REPO / "northlab.toml")
    if not path.exists():
        if environ.get(CONFIG_VARIABLE):
            raise SettingsError(f"Settings file {path} (from {CONFIG_VARIABLE}) does not exist.")
        return path, {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SettingsError(f"Cannot read settings file {path}: {exc}.") from None
    for key, raw in data.items():
        table = key if isinstance(raw, dict) else ""
        if table not in PARTS:
            continue  # a table read by something else
        known = {f.name for f in fields(PARTS[table])} - (SHARED if table else set())
        for name in raw if table else [key]:
            if name not in known:
                where = f"[{table}] of {path}" if table else str(path)
                raise SettingsError(
                    f"Unknown setting {name!r} in {where}; known: {', '.join(sorted(known))}.")
    return path, data


def _resolve(part: type, environ: Mapping[str, str],
             path: Path, data: dict[str, Any]) -> dict[str, tuple[Any, str]]:
    """``{name: (value, source)}`` for every field of ``part``."""
    table = next((name for name, cls in PARTS.items() if cls in part.__mro__), "")
    values = {}
    for f in fields(part):
        section = data if not table or f.name in SHARED else data.get(table, {})
        env = f.metadata["env"]
        if environ.get(env):
            values[f.name] = (_convert(f.name, str(f.type), environ[env], env), "environment")
        elif f.name in section:
            values[f.name] = (_convert(f.name, str(f.type), section[f.name], str(path)),
                              "northlab.toml")
        else:
            values[f.name] = (f.default, "default")
    return values


def _convert(name: str, kind: str, raw: object, source: str) -> object:
    try:
        if kind == "bool":
            return raw if isinstance(raw, bool) else str(raw).strip().lower() in _TRUE
        if kind == "int":
            if isinstance(raw, bool):
                raise ValueError
            return int(raw)  # type: ignore[arg-type]
        if kind == "float":
            return float(raw)  # type: ignore[arg-type]
        if kind == "Path":
            return Path(str(raw)).expanduser().resolve()
        if kind.startswith("tuple"):
            items = raw.split(",") if isinstance(raw, str) else list(raw)  # type: ignore[arg-type]
            return tuple(str(item).strip() for item in items if str(item).strip())
    except (TypeError, ValueError):
        raise SettingsError(f"Setting {name} from {source} is not a valid {kind}: {raw!r}.") \
            from None
    if not isinstance(raw, str):
        raise SettingsError(f"Setting {name} from {source} must be text, not {raw!r}.")
    return raw


def _derived(part: type, values: dict[str, tuple[Any, str]], environ: Mapping[str, str],
             path: Path, data: dict[str, Any]) -> None:
    """Fill the credential service's defaults that follow from the hub's settings."""
    if not issubclass(part, CredentialSettings):
        return
    url, source = values["public_url"]
    if not url:
        hub = _resolve(HubSettings, environ, path, data)
        url = (hub["public_url"][0] or environ.get("JUPYTERHUB_PUBLIC_URL")
               or f"http://127.0.0.1:{hub['port'][0]}")
        source = "default (from the hub's public_url)"
    url = url.rstrip("/")
    if not urlparse(url).path:  # the hub's address was given: add the service's prefix
        url += environ.get("JUPYTERHUB_SERVICE_PREFIX", "/services/credentials/").rstrip("/")
    values["public_url"] = (url, source)
    method = values["did_method"][0]
    if method not in ("key", "web"):
        raise SettingsError(f"Setting did_method must be key or web, not {method!r}.")
    if method == "web" and not values["did_web_domain"][0]:
        parsed = urlparse(url)
        values["did_web_domain"] = (parsed.netloc + parsed.path, "default (from public_url)")


def _values(part: type, environ: Mapping[str, str] | None) -> dict[str, tuple[Any, str]]:
    env = os.environ if environ is None else environ
    path, data = config_file(env)
    values = _resolve(part, env, path, data)
    _derived(part, values, env, path, data)
    return values


def load(part: type[P], environ: Mapping[str, str] | None = None) -> P:
    """One part's settings from its defaults, ``northlab.toml`` and ``environ`` (default:
    ``os.environ``); a bad value raises :class:`SettingsError`."""
    return part(**{name: value for name, (value, _) in _values(part, environ).items()})


def describe(environ: Mapping[str, str] | None = None) -> list[Row]:
    """Every setting of every part, once, with its value and where the value came from."""
    rows = []
    for table, part in PARTS.items():
        values = _values(part, environ)
        for f in fields(part):
            if table and f.name in SHARED:
                continue  # listed once, with the hub's
            owner = "site" if f.name in SHARED else table or "hub"
            value, source = values[f.name]
            if isinstance(value, tuple):
                value = ",".join(value)
            shown = "(set)" if f.metadata["secret"] and value else str(value)
            rows.append(Row(owner, f.name, shown, source, f.metadata["env"], f.metadata["help"]))
    return rows
