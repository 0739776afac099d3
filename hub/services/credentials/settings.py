"""Settings of the credential service, read once from ``northlab.toml`` and ``NORTHLAB_*``.

The environment wins over the file. Every setting is documented on its field below.
``northlab.toml`` (path from ``NORTHLAB_CONFIG``, default ``<repo>/northlab.toml``) may hold
the shared keys ``data_root`` / ``results_database_url`` / ``port`` / ``public_url`` at top
level and the service's own keys in a ``[credentials]`` table (same names as the fields).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

REPO = Path(__file__).resolve().parents[3]


@dataclass(frozen=True)
class CredentialSettings:
    """Everything the service and the ``northlab credential`` verbs need to know."""

    #: Folder holding all northlab state (NORTHLAB_DATA); the service uses ``credentials/``.
    data_root: Path = REPO / "var"
    #: SQLAlchemy URL of the results + credentials DB (NORTHLAB_RESULTS_DATABASE_URL);
    #: default SQLite under ``<data_root>/credentials/``.
    database_url: str = ""
    #: Public URL of this service as learners and employers reach it, without trailing slash
    #: (NORTHLAB_CREDENTIALS_PUBLIC_URL); a bare hub address (no path) gets the service
    #: prefix (JUPYTERHUB_SERVICE_PREFIX, default /services/credentials) appended. Used in
    #: credential, achievement and status list ids and in the certificate's QR code.
    #: Default: the hub's public address (NORTHLAB_PUBLIC_URL, which the hub hands to its
    #: services from its own settings, or top-level ``public_url`` in northlab.toml, for the
    #: `northlab credential` verbs; see hub/settings.py), else JUPYTERHUB_PUBLIC_URL,
    #: else http://127.0.0.1:<port>/services/credentials.
    public_url: str = "http://127.0.0.1:8000/services/credentials"
    #: Sign credentials even though public_url is a loopback address nobody else can reach
    #: (NORTHLAB_CREDENTIALS_ALLOW_LOOPBACK=1; `northlab demo` sets it). Otherwise issuing
    #: refuses: such ids and links are signed in and can never be fixed.
    allow_loopback: bool = False
    #: Issuer DIDs (besides this service's own) that the verify page calls "a known issuer"
    #: (NORTHLAB_CREDENTIALS_TRUSTED_ISSUERS, comma-separated).
    trusted_issuers: tuple[str, ...] = ()
    #: Issuer name shown in every credential (NORTHLAB_CREDENTIALS_ISSUER_NAME).
    issuer_name: str = "northlab"
    #: Web page of the issuing program (NORTHLAB_CREDENTIALS_ISSUER_URL); default public_url.
    issuer_url: str = ""
    #: "key" (did:key, verifiable fully offline; default) or "web" (did:web on did_web_domain)
    #: (NORTHLAB_CREDENTIALS_DID_METHOD).
    did_method: str = "key"
    #: Host[:port][/path] for did:web (NORTHLAB_CREDENTIALS_DID_WEB_DOMAIN); default: the
    #: public URL's host and path, so did:web:<host>:services:credentials resolves to the
    #: service's own did.json. A bare domain needs the web server step in keys.py.
    did_web_domain: str = ""
    #: Years a credential stays valid; 0 = no validUntil (NORTHLAB_CREDENTIALS_VALID_YEARS).
    valid_years: int = 0
    #: Folder with the tracks' ``achievement.toml`` and labs (NORTHLAB_LABS; default the
    #: hub's labs_root, NORTHLAB_LABS_ROOT).
    labs_root: Path = REPO / "labs"
    #: Folder holding ``node_modules`` with the JSON-LD context packages (NORTHLAB_NODE_ROOT).
    node_root: Path = REPO
    #: Optional shared secret accepted as a grader token when the service runs without a hub
    #: (NORTHLAB_CREDENTIALS_REPORT_TOKEN); under the hub, hub tokens with the scope are used.
    report_token: str = field(default="", repr=False)

    @property
    def folder(self) -> Path:
        """``<data_root>/credentials`` (0700): DB, keys."""
        return self.data_root / "credentials"

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.folder / 'records.sqlite'}"


_ENV = {
    "database_url": "NORTHLAB_RESULTS_DATABASE_URL",
    "public_url": "NORTHLAB_CREDENTIALS_PUBLIC_URL",
    "issuer_name": "NORTHLAB_CREDENTIALS_ISSUER_NAME",
    "issuer_url": "NORTHLAB_CREDENTIALS_ISSUER_URL",
    "did_method": "NORTHLAB_CREDENTIALS_DID_METHOD",
    "did_web_domain": "NORTHLAB_CREDENTIALS_DID_WEB_DOMAIN",
    "valid_years": "NORTHLAB_CREDENTIALS_VALID_YEARS",
    "labs_root": "NORTHLAB_LABS",
    "node_root": "NORTHLAB_NODE_ROOT",
    "report_token": "NORTHLAB_CREDENTIALS_REPORT_TOKEN",
    "data_root": "NORTHLAB_DATA",
    "allow_loopback": "NORTHLAB_CREDENTIALS_ALLOW_LOOPBACK",
    "trusted_issuers": "NORTHLAB_CREDENTIALS_TRUSTED_ISSUERS",
}
_TRUE = ("1", "true", "yes", "on")


def load_settings(environ: dict[str, str] | None = None) -> CredentialSettings:
    """Settings from ``northlab.toml`` then the environment (``environ`` defaults to os.environ)."""
    env = dict(os.environ if environ is None else environ)
    config_path = Path(env.get("NORTHLAB_CONFIG", REPO / "northlab.toml"))
    top: dict = {}
    if config_path.is_file():
        top = tomllib.loads(config_path.read_text(encoding="utf-8"))
    values: dict = {}
    if "data_root" in top:
        values["data_root"] = top["data_root"]
    if "results_database_url" in top:
        values["database_url"] = top["results_database_url"]
    port = env.get("NORTHLAB_PORT", str(top.get("port", 8000)))
    values["public_url"] = (
        env.get("NORTHLAB_PUBLIC_URL")
        or top.get("public_url")
        or env.get("JUPYTERHUB_PUBLIC_URL")
        or f"http://127.0.0.1:{port}/services/credentials"
    )
    values.update(top.get("credentials", {}))
    if env.get("NORTHLAB_LABS_ROOT"):  # the hub's own labs_root, handed to its services
        values["labs_root"] = env["NORTHLAB_LABS_ROOT"]
    for name, var in _ENV.items():
        if env.get(var):
            values[name] = env[var]
    for name in ("data_root", "labs_root", "node_root"):
        if name in values:
            values[name] = Path(values[name]).expanduser().resolve()
    if "valid_years" in values:
        values["valid_years"] = int(values["valid_years"])
    if isinstance(values.get("allow_loopback"), str):
        values["allow_loopback"] = values["allow_loopback"].strip().lower() in _TRUE
    trusted = values.get("trusted_issuers", ())
    if isinstance(trusted, str):
        trusted = trusted.split(",")
    values["trusted_issuers"] = tuple(str(d).strip() for d in trusted if str(d).strip())
    public = str(values["public_url"]).rstrip("/")
    if not urlparse(public).path:  # the hub's address was given: add the service's prefix
        public += env.get("JUPYTERHUB_SERVICE_PREFIX", "/services/credentials/").rstrip("/")
    values["public_url"] = public
    if values.get("did_method") == "web" and not values.get("did_web_domain"):
        parsed = urlparse(public)
        values["did_web_domain"] = parsed.netloc + parsed.path
    if values.get("did_method", "key") not in ("key", "web"):
        raise ValueError("credentials did_method must be 'key' or 'web'")
    return CredentialSettings(**values)
