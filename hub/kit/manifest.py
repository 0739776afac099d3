"""The kit manifest (``northlab.kit/1``): which labs, for whom, when, signed by the hub.

The hub signs the manifest with its own Ed25519 key (``<data_root>/hub/kit-signing-key.pem``,
0600, made on first use) and checks hand-ins against that key only: the public key written
into the kit is for people reading it, never trusted. The signature covers the canonical
JSON of every other field, including the SHA-256 of every released file.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

SCHEMA = "northlab.kit/1"
FILE_NAME = "manifest.json"
KEY_FILE = "kit-signing-key.pem"
MAX_BYTES = 1024 * 1024
ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")
LEARNER = re.compile(r"^[A-Za-z0-9_.@+-]{1,128}$")


class ManifestError(Exception):
    """A manifest that is missing, malformed or not signed by this hub (one sentence)."""

    def __init__(self, message_id: str, **values: object) -> None:
        super().__init__(message_id)
        self.message_id = message_id
        self.values = values


def signing_key(hub_dir: Path) -> Ed25519PrivateKey:
    """The hub's kit key, created (0600) the first time."""
    path = Path(hub_dir) / KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption())
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
        try:
            os.link(tmp, path)  # never replaces a key another process just made
        except FileExistsError:
            pass
        tmp.unlink()
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    assert isinstance(key, Ed25519PrivateKey)
    return key


def _public_raw(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw,
                                         serialization.PublicFormat.Raw)


def canonical(body: dict[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sign(body: dict[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
    """``body`` with its ``signature`` (over every other field)."""
    raw = _public_raw(key)
    return {**body, "signature": {
        "alg": "Ed25519",
        "public_key": base64.b64encode(raw).decode(),
        "value": base64.b64encode(key.sign(canonical(body))).decode(),
    }}


def read(kit: Path) -> dict[str, Any]:
    """The manifest of the kit folder ``kit``, parsed but not yet verified."""
    path = Path(kit) / FILE_NAME
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd, "rb") as handle:
            data = handle.read(MAX_BYTES + 1)
        manifest = json.loads(data)
    except OSError:
        raise ManifestError("kit.error.no_manifest", folder=str(kit)) from None
    except ValueError:
        raise ManifestError("kit.error.bad_manifest", folder=str(kit)) from None
    if len(data) > MAX_BYTES or not isinstance(manifest, dict):
        raise ManifestError("kit.error.bad_manifest", folder=str(kit))
    return manifest


def verify(manifest: dict[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
    """``manifest`` if this hub's ``key`` signed it and its fields are well formed."""
    body = {k: v for k, v in manifest.items() if k != "signature"}
    signature = manifest.get("signature")
    try:
        value = base64.b64decode(signature["value"], validate=True)
        key.public_key().verify(value, canonical(body))
    except (TypeError, KeyError, ValueError, InvalidSignature):
        raise ManifestError("kit.error.bad_signature") from None
    _check_fields(body)
    return body


def _check_fields(body: dict[str, Any]) -> None:
    learner = body.get("learner")
    labs = body.get("labs")
    ok = (body.get("schema") == SCHEMA
          and isinstance(body.get("cohort"), str) and isinstance(body.get("track"), str)
          and (learner is None or (isinstance(learner, str) and LEARNER.match(learner)))
          and isinstance(labs, list)
          and all(isinstance(lab, dict) and isinstance(lab.get("id"), str)
                  and ID.match(lab["id"]) and isinstance(lab.get("files"), dict)
                  for lab in labs))
    if not ok:
        raise ManifestError("kit.error.unknown_schema")


def file_hashes(folder: Path) -> dict[str, str]:
    """``{relative path: sha256}`` of the regular files under ``folder``."""
    hashes = {}
    for path in sorted(Path(folder).rglob("*")):
        if path.is_file() and not path.is_symlink():
            rel = path.relative_to(folder).as_posix()
            hashes[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return hashes
