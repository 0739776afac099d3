"""Offline verification of an OpenBadgeCredential: proof, issuer key, validity period, status.

Nothing is fetched. ``did:key`` issuers verify from the credential alone; ``did:web`` keys
and status lists come from what the caller passes (the local DB on the server, or files).
Each failure has a ``code`` (bad-signature, tampered, wrong-key, unknown-key, revoked,
expired, not-yet-valid, malformed, not-strict, impersonation, not-a-badge ...) and an
English sentence; the web page translates codes through its catalogue.

Decisions are taken from the JSON (dates, status, issuer, achievement) only after the proof
check has made sure that the JSON *is* what was signed: one of the allowed contexts and the
canonical compacted shape (:mod:`strict`). Dates are XML Schema dateTimes with a time zone,
as Digital Bazaar's verifier requires; a status list past its ``validUntil`` is refused.

A valid signature only says that *someone* signed: anyone can make a did:key. So a valid
result also says who issued (:class:`Issuer`): this northlab (one of its own keys), a known
issuer (a DID the operator trusts), or an unknown one; and a credential signed by someone
else that imitates one of ours (a stored credential's id in any spelling, our address,
our issuer name) is INVALID (``impersonation``).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from urllib.parse import unquote, urlparse
from uuid import UUID

from hub.services.credentials import statuslist
from hub.services.credentials.contexts import OB_V3, VC_V2
from hub.services.credentials.keys import resolve_public_key
from hub.services.credentials.proof import Loader, ProofError, parse_datetime
from hub.services.credentials.proof import verify as verify_proof
from hub.services.records import utcnow


@dataclass
class Verification:
    """What the verifier found; ``valid`` is the one answer that matters."""

    valid: bool
    code: str
    message: str
    credential_id: str | None = None
    issuer: str | None = None
    achievement: str | None = None
    warnings: list[str] = field(default_factory=list)
    #: For a valid credential: "ours", "known" or "unknown" (see :class:`Issuer`).
    issued_by: str | None = None
    #: For a valid credential: its achievement's IRI.
    achievement_id: str | None = None


@dataclass(frozen=True)
class Issuer:
    """What the verifier knows about issuers: its own, and those its operator trusts."""

    own_dids: frozenset[str] = frozenset()
    trusted_dids: frozenset[str] = frozenset()
    own_name: str = ""
    own_url: str = ""
    #: ``stored(uuid)``: whether this northlab issued a credential with that uuid.
    stored: Callable[[str], bool] | None = None

    def kind(self, issuer_id: Any) -> str:
        if not isinstance(issuer_id, str):
            return "unknown"
        if issuer_id in self.own_dids:
            return "ours"
        return "known" if issuer_id in self.trusted_dids else "unknown"

    def imitation(self, document: dict[str, Any], expanded: list[Any]) -> str | None:
        """Why a credential *not* signed by us looks like ours, else None.

        Read from the signed RDF (``expanded``): the credential's own IRI, every IRI and
        text in it, and the issuer's name folded to a plain-ASCII skeleton.
        """
        nodes = [node for node in expanded if isinstance(node, dict)]
        for node in nodes:
            for found in _UUID.findall(str(node.get("@id", ""))):
                if self.stored and self.stored(str(UUID(found.replace("-", "")))):
                    return f"credential id {node.get('@id')}"
        own = _url_key(self.own_url) if self.own_url else None
        for text in _rdf_strings(expanded):
            key = _url_key(text)
            if own and key and key.startswith(own):
                return f"address {text}"
        issuer = document.get("issuer")
        names = _strings(issuer.get("name")) if isinstance(issuer, dict) else []
        for name in names:
            if self.own_name and _name_key(name) == _name_key(self.own_name):
                return f"issuer name {name}"
        return None


_UUID = re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}", re.I)


def _strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [value] if isinstance(value, str) else []


def _rdf_strings(expanded: Any) -> list[str]:
    """Every IRI (node ids, types, property IRIs) and every literal text of an expanded
    document."""
    found: list[str] = []
    stack = [expanded]
    while stack:
        value = stack.pop()
        if isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, dict):
            for key, item in value.items():
                if not key.startswith("@"):
                    found.append(key)
                stack.append(item)
        elif isinstance(value, str):
            found.append(value)
    return found


def _url_key(text: str) -> str:
    """``host[:port]/path`` lower-cased, percent-decoded, default port and scheme dropped."""
    parsed = urlparse(unquote(text.strip()).lower())
    if not parsed.netloc:
        return ""
    host = parsed.netloc.rsplit("@", 1)[-1].removesuffix(":80").removesuffix(":443")
    return f"{host}{parsed.path}".rstrip("/")


#: Letters of other scripts that look like Latin ones (Unicode confusables, the few that
#: matter for a name written in Latin letters); anything else non-ASCII is dropped.
_CONFUSABLES = str.maketrans(
    "аеорсухіјѕԁһӏԛԝνοαρτυκιχϲϳєɑɡɩʟ",  # noqa: RUF001 - Cyrillic and Greek look-alikes
    "aeopcyxijsdhlqwvoaptukixcjeagil",
)


def _name_key(name: str) -> str:
    """An ASCII skeleton of a name: compatibility forms, case, accents and look-alike
    letters of other scripts folded; spaces, punctuation and other symbols dropped."""
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", name).casefold())
    folded = folded.translate(_CONFUSABLES)
    return "".join(char for char in folded if char.isascii() and char.isalnum())


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def parse_untrusted_json(data: bytes, limit: int) -> Any:
    """A credential someone handed us, as JSON; ValueError with a short reason otherwise."""
    if len(data) > limit:
        raise ValueError(f"larger than {limit // 1024} KB")
    try:
        return json.loads(data.decode("utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError:
        raise ValueError("not UTF-8 text") from None
    except RecursionError:
        raise ValueError("nested too deeply") from None
    except json.JSONDecodeError as exc:
        raise ValueError(str(exc)) from None


def _time(document: dict[str, Any], name: str) -> datetime | None:
    """``validFrom``/``validUntil``: absent, or a date-time with a time zone."""
    return parse_datetime(document[name]) if name in document else None


#: How far ahead of the verifier's clock a status list's validFrom may be (it is often
#: signed on demand, after the verification started, or by a server whose clock is ahead).
CLOCK_SKEW = timedelta(minutes=5)
#: Types that make a credential an Open Badge (a status list, say, is not one).
BADGE_TYPES = frozenset({"OpenBadgeCredential", "AchievementCredential"})


def _differences(original: Any, candidate: Any, path: str = "") -> list[str]:
    """JSON paths where ``candidate`` differs from ``original``."""
    if isinstance(original, dict) and isinstance(candidate, dict):
        found = []
        for key in sorted(set(original) | set(candidate), key=str):
            sub = f"{path}.{key}" if path else str(key)
            if key not in original or key not in candidate:
                found.append(sub)
            else:
                found.extend(_differences(original[key], candidate[key], sub))
        return found
    if (
        isinstance(original, list)
        and isinstance(candidate, list)
        and len(original) == len(candidate)
    ):
        found = []
        for i, (a, b) in enumerate(zip(original, candidate, strict=True)):
            found.extend(_differences(a, b, f"{path}[{i}]"))
        return found
    return [] if original == candidate else [path or "(document)"]


def _shape(document: Any) -> str | None:
    if not isinstance(document, dict):
        return "the file is not a JSON object"
    context = document.get("@context")
    if not isinstance(context, list) or context[:1] != [VC_V2]:
        return f"the first @context must be {VC_V2}"
    if OB_V3 not in context and "OpenBadgeCredential" in document.get("type", []):
        return "an OpenBadgeCredential needs the Open Badges 3.0 context"
    types = document.get("type")
    if not isinstance(types, list) or "VerifiableCredential" not in types:
        return "type must list VerifiableCredential"
    return None


def _one(value: Any) -> Any:
    """A one-element list's element (the canonical shape allows both spellings)."""
    return value[0] if isinstance(value, list) and len(value) == 1 else value


def _field(node: Any, *names: str) -> Any:
    """``node[names[0]][names[1]]...`` when each is a single object, else None."""
    for name in names:
        node = _one(node)
        if not isinstance(node, dict):
            return None
        node = node.get(name)
    return _one(node)


def _types(node: Any) -> list[str]:
    kinds = node.get("type") if isinstance(node, dict) else None
    return kinds if isinstance(kinds, list) else [kinds]


def verify_credential(
    document: Any,
    *,
    loader: Loader,
    known_keys: dict[str, tuple[str, str]] | None = None,
    status_lists: Callable[[str], dict[str, Any] | None] | None = None,
    original: Callable[[str], dict[str, Any] | None] | None = None,
    issuers: Issuer | None = None,
    now: datetime | None = None,
) -> Verification:
    """Verify ``document``.

    ``known_keys``: non-did:key verification methods the verifier trusts (see keys.py).
    ``status_lists(url)``: the status list credential at ``url`` if available offline.
    ``original(credential id)``: the issuer's stored copy, to name a tampered field.
    ``issuers``: who counts as this northlab and as a known issuer.
    A document of any shape gives a Verification, never an exception.
    """
    try:
        return _verify(document, loader, known_keys, status_lists, original, issuers, now)
    except (
        TypeError, ValueError, KeyError, AttributeError, IndexError, RecursionError, OverflowError
    ) as exc:
        return Verification(False, "malformed", f"malformed: {type(exc).__name__}")


def _verify(
    document: Any,
    loader: Loader,
    known_keys: dict[str, tuple[str, str]] | None,
    status_lists: Callable[[str], dict[str, Any] | None] | None,
    original: Callable[[str], dict[str, Any] | None] | None,
    issuers: Issuer | None,
    now: datetime | None,
) -> Verification:
    problem = _shape(document)
    if problem:
        return Verification(False, "malformed", problem)
    if not BADGE_TYPES & set(document["type"]):
        return Verification(
            False, "not-a-badge", "not an Open Badge (type has no OpenBadgeCredential)"
        )
    credential_id = document.get("id")
    issuer_id = _field(document, "issuer", "id") or _one(document.get("issuer"))
    achievement = _field(document, "credentialSubject", "achievement")
    report = partial(
        Verification,
        credential_id=credential_id,
        issuer=issuer_id if isinstance(issuer_id, str) else None,
        achievement=_field(achievement, "name") if isinstance(achievement, dict) else None,
    )
    resolve = partial(resolve_public_key, known=known_keys)
    try:
        signed = verify_proof(document, resolve, loader=loader)
    except ProofError as exc:
        stored = original(str(credential_id)) if original and credential_id else None
        if exc.code == "bad-signature" and stored is not None:
            changed = [p for p in _differences(stored, document) if not p.endswith("proofValue")]
            if changed:
                return report(False, "tampered", f"tampered field: {', '.join(changed)}")
        return report(False, exc.code, str(exc))
    # The document is now exactly what was signed, in its canonical compacted shape:
    # reading its JSON fields reads the signed claims.
    moment = now or utcnow()
    try:
        valid_from, valid_until = _time(document, "validFrom"), _time(document, "validUntil")
    except ValueError as exc:
        return report(False, "malformed", f"validFrom or validUntil: {exc}")
    if valid_from and valid_from > moment:
        return report(False, "not-yet-valid", f"not valid before {document['validFrom']}")
    if valid_until and valid_until < moment:
        return report(False, "expired", f"expired on {document['validUntil']}")
    issuers = issuers or Issuer()
    kind = issuers.kind(issuer_id)
    if kind != "ours":
        imitation = issuers.imitation(document, signed.expanded)
        if imitation:
            return report(
                False,
                "impersonation",
                f"imitates a credential of this northlab ({imitation}) "
                "but was signed by someone else",
            )
    result = _check_status(document, issuer_id, report, loader, resolve, status_lists, moment)
    if result.valid:
        result.issued_by = kind
        achievement_id = _field(achievement, "id")
        result.achievement_id = achievement_id if isinstance(achievement_id, str) else None
    return result


def _check_status(
    document: dict[str, Any],
    issuer_id: Any,
    report: Callable[..., Verification],
    loader: Loader,
    resolve: Callable,
    status_lists: Callable[[str], dict[str, Any] | None] | None,
    moment: datetime,
) -> Verification:
    status = _one(document.get("credentialStatus"))
    if status is None:
        return report(True, "valid", "valid (this credential has no revocation status)")
    if not isinstance(status, dict) or status.get("type") != "BitstringStatusListEntry":
        return report(False, "malformed", "credentialStatus is not a BitstringStatusListEntry")
    url = status.get("statusListCredential")
    index = status.get("statusListIndex")
    if not isinstance(url, str) or not isinstance(index, str) or not index.isdigit():
        return report(False, "malformed", "credentialStatus has no list URL or index")
    list_credential = status_lists(url) if status_lists else None
    if list_credential is None:
        result = report(True, "valid", "valid; revocation not checked (status list not at hand)")
        result.warnings.append(f"revocation status not checked: {url} is not available offline")
        return result
    problem = _status_list_problem(list_credential, issuer_id, url, loader, resolve, moment)
    if problem:
        return report(False, "bad-status-list", problem)
    subject = _one(list_credential["credentialSubject"])
    if subject.get("statusPurpose") != status.get("statusPurpose"):
        return report(False, "bad-status-list", "the status list has another purpose")
    try:
        revoked = statuslist.is_set(str(subject.get("encodedList", "")), int(index))
    except ValueError as exc:
        return report(False, "bad-status-list", f"the status list cannot be read: {exc}")
    if revoked:
        return report(False, "revoked", "the issuer has revoked this credential")
    return report(True, "valid", "valid: signature, issuer key, dates and revocation status")


def _status_list_problem(
    list_credential: Any,
    issuer_id: Any,
    url: str,
    loader: Loader,
    resolve: Callable,
    moment: datetime,
) -> str | None:
    """Why ``list_credential`` is not the issuer's current status list at ``url``."""
    if _shape(list_credential) or "BitstringStatusListCredential" not in _types(
        list_credential
    ):
        return "not a BitstringStatusListCredential"
    try:
        verify_proof(list_credential, resolve, loader=loader)
    except ProofError as exc:
        return f"the status list does not verify: {exc}"
    list_issuer = _field(list_credential, "issuer", "id") or _one(list_credential.get("issuer"))
    if list_issuer != issuer_id or list_credential.get("id") != url:
        return "the status list is not this issuer's list"
    subject = _one(list_credential.get("credentialSubject"))
    if not isinstance(subject, dict) or "BitstringStatusList" not in _types(subject):
        return "the status list has no BitstringStatusList"
    try:
        valid_from = _time(list_credential, "validFrom")
        valid_until = _time(list_credential, "validUntil")
    except ValueError as exc:
        return f"the status list's dates: {exc}"
    if valid_from and valid_from > moment + CLOCK_SKEW:  # a list signed just now
        return "the status list is not valid yet"
    if valid_until and valid_until < moment:
        return f"the status list is out of date (valid until {list_credential['validUntil']})"
    return None
