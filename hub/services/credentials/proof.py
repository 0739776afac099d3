"""Data Integrity proofs with the ``eddsa-rdfc-2022`` cryptosuite (W3C vc-di-eddsa).

hashData = SHA-256(RDFC-1.0(proof options + document @context))
           || SHA-256(RDFC-1.0(document without proof)),
signed with Ed25519; ``proofValue`` is the base58btc multibase signature.
Canonicalisation is PyLD's URDNA2015 (= RDFC-1.0) with an offline document loader, in
strict mode (:mod:`strict`): anything the canonical form would leave out is an error, never
silently left unsigned. The proof is written as a one-element array (what the OB 3.0 JSON
Schema requires); a single proof object is accepted too when verifying.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import re
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pyld.canon import URDNA2015
from pyld.jsonld import JsonLdError, JsonLdProcessor

from hub.services.credentials.keys import SigningKey
from hub.services.credentials.multikey import multibase_decode, multibase_encode
from hub.services.credentials.strict import (
    StrictError,
    check_compacted,
    check_context,
    check_expanded,
    check_json,
)

CRYPTOSUITE = "eddsa-rdfc-2022"
Loader = Callable[..., dict[str, Any]]


class ProofError(ValueError):
    """A proof that does not verify; ``code`` says why (for the verifier's message)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


#: Most blank node orderings URDNA2015 may try (ours need none; a graph built of many alike
#: blank nodes needs factorially many, which would keep the verifier busy for hours).
MAX_PERMUTATIONS = 2000


class BoundedURDNA2015(URDNA2015):
    """URDNA2015 that gives up when a document makes it try too many orderings."""

    def __init__(self) -> None:
        super().__init__()
        self.permutations = 0

    def create_hash_to_related(self, id_: str, issuer: Any) -> dict[str, list[str]]:
        related = super().create_hash_to_related(id_, issuer)
        self.permutations += sum(math.factorial(len(nodes)) for nodes in related.values())
        if self.permutations > MAX_PERMUTATIONS:
            raise StrictError("too many alike blank nodes to canonicalise in reasonable time")
        return related


def _dropped(term: str | None) -> None:
    raise ProofError("undefined-term", f"term {term!r} is not defined by any @context")


def canonize(document: dict[str, Any], loader: Loader, *, shape: bool = False) -> str:
    """RDFC-1.0 (URDNA2015) canonical N-Quads of a JSON-LD document, strict mode.

    ``shape``: also require one of the allowed contexts and the canonical compacted form
    (:func:`strict.check_compacted`), so the JSON says exactly what is signed.
    """
    return _canonize(document, loader, shape=shape)[0]


def _canonize(
    document: dict[str, Any], loader: Loader, *, shape: bool
) -> tuple[str, list[Any]]:
    """The canonical N-Quads and the expanded document."""
    processor = JsonLdProcessor(on_property_dropped=_dropped)
    options = {"documentLoader": loader, "base": None}
    try:
        check_json(document, shape=shape)
        if shape:
            check_context(document)
        expanded = processor.expand(document, options)
        check_expanded(expanded)
        if shape:
            context = {"@context": document["@context"]}
            compacted = processor.compact(expanded, context, {**options, "skipExpansion": True})
            check_compacted(document, compacted)
        dataset = processor.to_rdf(expanded, {**options, "produceGeneralizedRdf": False})
        nquads = BoundedURDNA2015().main(dataset, {"format": "application/n-quads"})
        return nquads, expanded
    except ProofError:
        raise
    except StrictError as exc:
        raise ProofError("not-strict", str(exc)) from exc
    except JsonLdError as exc:
        cause = exc
        while cause.__cause__ is not None:
            if isinstance(cause.__cause__, ProofError):
                raise cause.__cause__ from None
            cause = cause.__cause__
        raise ProofError("malformed", f"not valid JSON-LD: {exc}") from exc
    except Exception as exc:  # noqa: BLE001 - hostile shapes PyLD does not expect
        raise ProofError("malformed", f"not valid JSON-LD: {type(exc).__name__}") from exc


def _hash_data(
    document: dict[str, Any], options: dict[str, Any], loader: Loader, *, shape: bool = True
) -> tuple[bytes, list[Any]]:
    """hashData of the proof options and the document; the document expanded.

    ``shape``: require the document's canonical shape (always, when verifying). Results
    are remembered for the last few documents (a status list checked for every credential
    of a batch is canonicalised once).
    """
    config = dict(options, **{"@context": document["@context"]})
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    key = (json.dumps([config, unsecured], sort_keys=True), loader, shape)
    if key not in _recent:
        nquads, expanded = _canonize(unsecured, loader, shape=shape)
        hash_data = (
            hashlib.sha256(canonize(config, loader).encode()).digest()
            + hashlib.sha256(nquads.encode()).digest()
        )
        _recent[key] = (hash_data, expanded)
        while len(_recent) > RECENT:
            _recent.popitem(last=False)
    hash_data, expanded = _recent[key]
    return hash_data, copy.deepcopy(expanded)


#: How many canonicalised documents :func:`_hash_data` remembers.
RECENT = 32
_recent: OrderedDict[tuple[str, Loader, bool], tuple[bytes, list[Any]]] = OrderedDict()


#: An XML Schema dateTime with a time zone, as Digital Bazaar's verifier requires it.
_DATETIME = re.compile(
    r"^(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):([0-5]\d):([0-5]\d)"
    r"(\.\d+)?(Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$",
    re.IGNORECASE,
)


def parse_datetime(value: Any) -> datetime:
    """A dateTime with a time zone (``2026-01-02T03:04:05Z``); ValueError otherwise."""
    match = _DATETIME.match(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"{value!r} is not a date-time with a time zone")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    micro = int((fraction or ".0")[1:7].ljust(6, "0"))
    offset = timedelta(0)
    if zone.upper() != "Z":
        sign_ = -1 if zone[0] == "-" else 1
        offset = sign_ * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
    moment = datetime(
        int(year), int(month), int(day), int(hour), int(minute), int(second), micro, UTC
    )
    return moment - offset


def xsd_datetime(moment: datetime) -> str:
    """``2026-01-02T03:04:05Z``: second precision, UTC."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def sign(
    document: dict[str, Any], key: SigningKey, *, created: datetime, loader: Loader
) -> dict[str, Any]:
    """A copy of ``document`` with an ``assertionMethod`` DataIntegrityProof by ``key``."""
    options = {
        "type": "DataIntegrityProof",
        "cryptosuite": CRYPTOSUITE,
        "created": xsd_datetime(created),
        "verificationMethod": key.id,
        "proofPurpose": "assertionMethod",
    }
    # our own documents: their shape is checked when they are verified (tests, verifiers)
    signature = key.private.sign(_hash_data(document, options, loader, shape=False)[0])
    secured = copy.deepcopy(document)
    secured["proof"] = [dict(options, proofValue=multibase_encode(signature))]
    return secured


def single_proof(document: dict[str, Any]) -> dict[str, Any]:
    """The document's one proof, written as an object or a one-element array."""
    proof = document.get("proof")
    if isinstance(proof, list) and len(proof) == 1:
        proof = proof[0]
    if not isinstance(proof, dict):
        raise ProofError("no-proof", "the credential has no (single) Data Integrity proof")
    return proof


@dataclass(frozen=True)
class Signed:
    """A document whose proof verified: the proof and the document expanded (its RDF)."""

    proof: dict[str, Any]
    expanded: list[Any]


#: The fields of a proof we sign, all of them required; anything else (a second proof,
#: ``expires``, ``domain``, an ``@context``) is refused rather than read differently
#: from other verifiers.
PROOF_FIELDS = frozenset(
    {"type", "cryptosuite", "created", "verificationMethod", "proofPurpose", "proofValue"}
)


def _check_proof_fields(proof: dict[str, Any]) -> None:
    if set(proof) != PROOF_FIELDS or not all(isinstance(v, str) for v in proof.values()):
        raise ProofError(
            "unsupported-proof",
            "the proof must have exactly the text fields " + ", ".join(sorted(PROOF_FIELDS)),
        )
    try:
        parse_datetime(proof["created"])
    except ValueError as exc:
        raise ProofError("unsupported-proof", f"proof created: {exc}") from None
    if "#" not in proof["verificationMethod"]:
        raise ProofError("unknown-key", "the verification method has no #key fragment")


def verify(
    document: dict[str, Any],
    resolve: Callable[[str], tuple[str, Ed25519PublicKey]],
    *,
    loader: Loader,
) -> Signed:
    """Check the proof of ``document``; return it and the expanded document, raise
    :class:`ProofError`.

    ``resolve(verification method) -> (controller DID, public key)`` may raise LookupError.
    """
    proof = single_proof(document)
    if proof.get("type") != "DataIntegrityProof" or proof.get("cryptosuite") != CRYPTOSUITE:
        raise ProofError("unsupported-proof", f"the proof is not a {CRYPTOSUITE} proof")
    if proof.get("proofPurpose") != "assertionMethod":
        raise ProofError("wrong-purpose", "the proof purpose is not assertionMethod")
    _check_proof_fields(proof)
    try:
        controller, public_key = resolve(str(proof.get("verificationMethod")))
    except LookupError as exc:
        raise ProofError("unknown-key", f"unknown signing key: {exc}") from exc
    issuer = document.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    if controller != issuer_id:
        raise ProofError("wrong-key", "the signing key does not belong to the credential's issuer")
    options = {k: v for k, v in proof.items() if k != "proofValue"}
    hash_data, expanded = _hash_data(document, options, loader)  # ProofError if not strict
    try:
        signature = multibase_decode(str(proof.get("proofValue", "")))
        public_key.verify(signature, hash_data)
    except (ValueError, InvalidSignature) as exc:
        raise ProofError(
            "bad-signature",
            "the signature does not match: the credential was changed after signing "
            "or was not signed by this key",
        ) from exc
    return Signed(proof, expanded)
