"""Who a credential was issued to, without saying it to everyone who holds the file.

The credential names its learner by an OB 3.0 IdentityObject: ``identityHash`` =
``sha256$`` + SHA-256(identity + salt), where the identity is the learner's e-mail
address (``identityType`` emailAddress, lower-cased) when they gave one, else their hub
user name (``identifier``). The salt is *not* in the credential (OB 3.0 makes it
optional): it is an HMAC of the credential id under a secret kept in the service's data
folder (``recipient-secret``, 0600), so nobody can test candidate names offline. Only this
service can answer "was it issued to X?", and it answers a few times per credential per hour
(:class:`Budget`), so it is no faster an oracle than asking the learner.

E-mail addresses come from ``recipients.json`` in the same folder (``northlab credential
email``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import time
from collections import OrderedDict, deque
from pathlib import Path
from typing import Any

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def identity_hash(identity: str, salt: str) -> str:
    """OB 3.0 IdentityHash: ``sha256$`` + hex SHA-256 of the identity followed by the salt."""
    return "sha256$" + hashlib.sha256((identity + salt).encode()).hexdigest()


def is_email(text: str) -> bool:
    return bool(_EMAIL.match(text.strip()))


class Recipients:
    """The secret salt and the learners' e-mail addresses of one data folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def _secret(self) -> bytes:
        path = self.folder / "recipient-secret"
        try:
            return path.read_bytes()
        except FileNotFoundError:
            pass
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            return path.read_bytes()
        with os.fdopen(fd, "wb") as handle:
            handle.write(secrets.token_bytes(32))
        return path.read_bytes()

    def salt(self, credential_id: str) -> str:
        """The credential's salt: secret, different for every credential."""
        return hmac.new(self._secret(), credential_id.encode(), hashlib.sha256).hexdigest()[:32]

    def _emails(self) -> dict[str, str]:
        try:
            return json.loads((self.folder / "recipients.json").read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}

    def email_of(self, learner: str) -> str | None:
        return self._emails().get(learner)

    def set_email(self, learner: str, email: str) -> None:
        """Remember ``learner``'s e-mail address for the credentials issued from now on."""
        if not is_email(email):
            raise ValueError(f"{email!r} is not an e-mail address")
        emails = {**self._emails(), learner: email.strip().lower()}
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = self.folder / "recipients.json.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(emails, handle, indent=2, sort_keys=True)
        tmp.replace(self.folder / "recipients.json")

    def identity(self, learner: str, credential_id: str) -> dict[str, Any]:
        """The IdentityObject of ``learner`` in credential ``credential_id`` (no salt in it)."""
        email = self.email_of(learner)
        return {
            "type": "IdentityObject",
            "identityHash": identity_hash(email or learner, self.salt(credential_id)),
            "identityType": "emailAddress" if email else "identifier",
            "hashed": True,
        }

    def issued_to(self, document: dict[str, Any], candidate: str) -> bool:
        """Whether ``document`` (one of ours) names ``candidate`` (an e-mail or user name)."""
        credential_id = str(document.get("id", "")).removeprefix("urn:uuid:")
        subject = document.get("credentialSubject")
        identifiers = subject.get("identifier") if isinstance(subject, dict) else None
        if not isinstance(identifiers, list):
            return False
        salt = self.salt(credential_id)
        candidate = candidate.strip()
        tries = {candidate, candidate.lower()} if is_email(candidate) else {candidate}
        wanted = {identity_hash(text, salt) for text in tries}
        found = False
        for identifier in identifiers:
            stored = identifier.get("identityHash") if isinstance(identifier, dict) else None
            if isinstance(stored, str):
                found |= any(hmac.compare_digest(stored, w) for w in wanted)
        return found


class Budget:
    """At most ``per_key`` uses per key in a sliding ``window`` of seconds (in memory);
    at most ``max_keys`` keys are remembered (the least recently used go first)."""

    def __init__(self, per_key: int, window: float = 3600.0, max_keys: int = 10_000) -> None:
        self.per_key = per_key
        self.window = window
        self.max_keys = max_keys
        self._uses: OrderedDict[str, deque[float]] = OrderedDict()

    def take(self, *keys: str) -> bool:
        """Spend one use of every key, or none (False) if one of them is used up."""
        now = time.monotonic()
        for key in keys:
            uses = self._uses.setdefault(key, deque())
            self._uses.move_to_end(key)
            while uses and uses[0] <= now - self.window:
                uses.popleft()
        while len(self._uses) > self.max_keys:
            self._uses.popitem(last=False)
        if any(len(self._uses.get(key, ())) >= self.per_key for key in keys):
            return False
        for key in keys:
            self._uses.setdefault(key, deque()).append(now)
        return True

    def __len__(self) -> int:
        return len(self._uses)
