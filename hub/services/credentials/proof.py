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
import math
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pyld.canon import URDNA2015
from pyld.jsonld import JsonLdError, JsonLdProcessor

from hub.services.credentials.keys import SigningKey
from hub.services.credentials.multikey import multibase_decode, multibase_encode
from hub.services.credentials.strict import StrictError, check_expanded, check_json

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


def canonize(document: dict[str, Any], loader: Loader) -> str:
    """RDFC-1.0 (URDNA2015) canonical N-Quads of a JSON-LD document, strict mode."""
    processor = JsonLdProcessor(on_property_dropped=_dropped)
    options = {"documentLoader": loader, "base": None}
    try:
        check_json(document)
        expanded = processor.expand(document, options)
        check_expanded(expanded)
        dataset = processor.to_rdf(expanded, {**options, "produceGeneralizedRdf": False})
        return BoundedURDNA2015().main(dataset, {"format": "application/n-quads"})
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


def _hash_data(document: dict[str, Any], options: dict[str, Any], loader: Loader) -> bytes:
    config = dict(options, **{"@context": document["@context"]})
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    return (
        hashlib.sha256(canonize(config, loader).encode()).digest()
        + hashlib.sha256(canonize(unsecured, loader).encode()).digest()
    )


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
    signature = key.private.sign(_hash_data(document, options, loader))
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


def verify(
    document: dict[str, Any],
    resolve: Callable[[str], tuple[str, Ed25519PublicKey]],
    *,
    loader: Loader,
) -> dict[str, Any]:
    """Check the proof of ``document``; return the proof, raise :class:`ProofError`.

    ``resolve(verification method) -> (controller DID, public key)`` may raise LookupError.
    """
    proof = single_proof(document)
    if proof.get("type") != "DataIntegrityProof" or proof.get("cryptosuite") != CRYPTOSUITE:
        raise ProofError("unsupported-proof", f"the proof is not a {CRYPTOSUITE} proof")
    if proof.get("proofPurpose") != "assertionMethod":
        raise ProofError("wrong-purpose", "the proof purpose is not assertionMethod")
    try:
        controller, public_key = resolve(str(proof.get("verificationMethod")))
    except LookupError as exc:
        raise ProofError("unknown-key", f"unknown signing key: {exc}") from exc
    issuer = document.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    if controller != issuer_id:
        raise ProofError("wrong-key", "the signing key does not belong to the credential's issuer")
    options = {k: v for k, v in proof.items() if k != "proofValue"}
    hash_data = _hash_data(document, options, loader)  # ProofError for malformed JSON-LD
    try:
        signature = multibase_decode(str(proof.get("proofValue", "")))
        public_key.verify(signature, hash_data)
    except (ValueError, InvalidSignature) as exc:
        raise ProofError(
            "bad-signature",
            "the signature does not match: the credential was changed after signing "
            "or was not signed by this key",
        ) from exc
    return proof
