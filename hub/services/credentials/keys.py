"""The issuer's signing keys: created at first start, rotated without breaking old credentials.

Private keys are PKCS#8 PEM files under ``<data_root>/credentials/keys/`` (folder 0700,
files 0600, written once with O_EXCL); the DB keeps every public key (``issuer_keys``).

* ``did:key`` (default): the issuer id *is* the public key, so anything signed verifies
  offline forever; rotating makes a new DID for new credentials while older ones keep
  verifying with the DID they name.
* ``did:web``: one DID (``did:web:<domain>``) whose DID document lists every key ever
  used, each as ``did:web:<domain>#<multikey>``; rotation adds a key. The service serves it
  at ``<prefix>did.json`` and ``<prefix>.well-known/did.json``. With the default domain
  (``<host>/services/credentials``, from the public URL) resolvers find it there. For a
  bare-domain DID (``did_web_domain = "lab.example.org"``) resolvers ask
  ``https://lab.example.org/.well-known/did.json``: have the site's web server pass that one
  path to the service, e.g. in nginx::

      location = /.well-known/did.json {
          proxy_pass http://127.0.0.1:8000/services/credentials/did.json;
      }
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.services.credentials.multikey import public_key_from_multibase, public_key_multibase
from hub.services.records import IssuerKey, utcnow

DID_CONTEXTS = ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"]


class UnknownKey(LookupError):
    """A verification method that this issuer cannot resolve."""


@dataclass(frozen=True)
class SigningKey:
    """An issuer key ready to sign."""

    id: str  # verification method id
    controller: str  # issuer DID
    private: Ed25519PrivateKey


def did_web(domain: str) -> str:
    """``did:web`` for ``host[:port][/path]`` (port colon percent-encoded, '/' -> ':')."""
    host, _, path = domain.strip("/").partition("/")
    did = "did:web:" + quote(host, safe="")
    return did + ("".join(":" + part for part in path.split("/")) if path else "")


def did_web_url(did: str, scheme: str = "https") -> str:
    """Where a resolver fetches the DID document of ``did`` (the did:web spec)."""
    parts = [unquote(part) for part in did.removeprefix("did:web:").split(":")]
    path = "/".join(parts[1:]) + "/did.json" if len(parts) > 1 else ".well-known/did.json"
    return f"{scheme}://{parts[0]}/{path}"


def _ids(method: str, domain: str, multibase: str) -> tuple[str, str]:
    if method == "web":
        if not domain:
            raise ValueError("did:web needs credentials did_web_domain (e.g. lab.example.org)")
        controller = did_web(domain)
    else:
        controller = f"did:key:{multibase}"
    return controller, f"{controller}#{multibase}"


class KeyStore:
    """Issuer keys of one data root; every method takes the caller's DB session."""

    def __init__(self, folder: Path, *, method: str = "key", web_domain: str = "") -> None:
        self.folder = Path(folder)
        self.method = method
        self.web_domain = web_domain

    def _write_private(self, private: Ed25519PrivateKey, name: str) -> None:
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.folder, 0o700)
        pem = private.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
        fd = os.open(self.folder / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
            handle.flush()
            os.fsync(handle.fileno())

    def _load_private(self, row: IssuerKey) -> SigningKey:
        path = self.folder / row.private_key_file
        if path.stat().st_mode & 0o077:
            raise PermissionError(f"issuer key {path} must be readable by its owner only (0600)")
        private = load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(private, Ed25519PrivateKey):
            raise ValueError(f"{path} is not an Ed25519 key")
        return SigningKey(row.id, row.controller, private)

    def create(self, session: Session) -> SigningKey:
        """Make a new key, make it the active one and retire the previous active key."""
        private = Ed25519PrivateKey.generate()
        multibase = public_key_multibase(private.public_key())
        controller, key_id = _ids(self.method, self.web_domain, multibase)
        name = f"{multibase}.pem"
        self._write_private(private, name)
        for row in session.scalars(select(IssuerKey).where(IssuerKey.retired_at.is_(None))):
            row.retired_at = utcnow()
        session.add(
            IssuerKey(
                id=key_id,
                controller=controller,
                public_key_multibase=multibase,
                private_key_file=name,
            )
        )
        session.flush()
        return SigningKey(key_id, controller, private)

    def active(self, session: Session) -> SigningKey:
        """The key that signs new credentials; created on first use."""
        row = session.scalars(
            select(IssuerKey)
            .where(IssuerKey.retired_at.is_(None))
            .order_by(IssuerKey.created_at.desc())
        ).first()
        if row is None or (self.method == "web") != row.controller.startswith("did:web:"):
            return self.create(session)
        return self._load_private(row)

    def signing_key(self, session: Session, key_id: str) -> SigningKey:
        row = session.get(IssuerKey, key_id)
        if row is None:
            raise UnknownKey(key_id)
        return self._load_private(row)

    def did_document(self, session: Session) -> dict:
        """The did:web DID document listing every key (retired ones included)."""
        controller = did_web(self.web_domain)
        rows = session.scalars(
            select(IssuerKey)
            .where(IssuerKey.controller == controller)
            .order_by(IssuerKey.created_at)
        ).all()
        methods = [
            {
                "id": row.id,
                "type": "Multikey",
                "controller": controller,
                "publicKeyMultibase": row.public_key_multibase,
            }
            for row in rows
        ]
        ids = [m["id"] for m in methods]
        return {
            "@context": DID_CONTEXTS,
            "id": controller,
            "verificationMethod": methods,
            "assertionMethod": ids,
        }


def resolve_public_key(
    verification_method: str, known: dict[str, tuple[str, str]] | None = None
) -> tuple[str, Ed25519PublicKey]:
    """``(controller, public key)`` of a verification method.

    ``did:key`` is resolved from the DID itself; other methods (did:web) from ``known``:
    ``{verification method id: (controller, publicKeyMultibase)}`` — the local key table or a
    DID document the verifier holds. Raises :class:`UnknownKey`.
    """
    did, _, fragment = verification_method.partition("#")
    if did.startswith("did:key:"):
        multibase = did.removeprefix("did:key:")
        if fragment != multibase:
            raise UnknownKey(f"{verification_method}: the #fragment must repeat the did:key")
        try:
            return did, public_key_from_multibase(multibase)
        except ValueError as exc:
            raise UnknownKey(f"{verification_method}: {exc}") from exc
    if known and verification_method in known:
        controller, multibase = known[verification_method]
        return controller, public_key_from_multibase(multibase)
    raise UnknownKey(f"cannot resolve {verification_method} offline")
