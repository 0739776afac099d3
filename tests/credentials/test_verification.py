"""Issued credentials verify with our verifier AND Digital Bazaar's; every tamper, a wrong
key, a revoked and an expired credential fail both."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hub.services.credentials import proof
from hub.services.credentials.contexts import OfflineLoaderError
from hub.services.credentials.keys import SigningKey
from hub.services.credentials.multikey import public_key_multibase
from hub.services.credentials.service import Credentials
from hub.services.credentials.verify import verify_credential


def check(library: Credentials, document: dict, **kwargs: Any):
    def status_lists(url: str):
        list_id = library.status_list_id(url)
        return library.status_list_credential(list_id) if list_id else None

    return verify_credential(
        document,
        loader=library.loader,
        known_keys=library.known_keys(),
        status_lists=status_lists,
        **kwargs,
    )


def leaf_paths(value: Any, path: tuple = ()) -> list[tuple]:
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in leaf_paths(v, (*path, k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in leaf_paths(v, (*path, i))]
    return [path]


def tampered(document: dict, path: tuple) -> dict:
    copy_ = copy.deepcopy(document)
    target = copy_
    for step in path[:-1]:
        target = target[step]
    old = target[path[-1]]
    if isinstance(old, bool):
        new: Any = not old
    elif isinstance(old, int | float):
        new = old + 1
    elif path[-1] == "proofValue":
        new = old[:-4] + ("AAAA" if not old.endswith("AAAA") else "BBBB")
    elif path[-1] in ("validFrom", "validUntil", "created"):
        new = old.replace(old[:4], str(int(old[:4]) - 1))
    elif old.startswith(("http", "urn:", "did:")):
        new = old[:-1] + ("X" if not old.endswith("X") else "Y")
    else:
        new = old + " (edited)"
    target[path[-1]] = new
    return copy_


@pytest.fixture
def issued(library: Credentials) -> dict:
    return library.award("ana", "cybersecurity-foundations", awarded_by="t", reason="r").document


def test_fresh_credential_is_valid_here_and_in_javascript(library, issued, js_verify):
    result = check(library, issued)
    assert result.valid, result.message
    assert result.code == "valid" and not result.warnings
    status_list = library.status_list_credential(1)
    (js,) = js_verify([issued], [status_list])
    assert js["verified"] and not js["revoked"], js


def test_every_field_tamper_fails_both_verifiers(library, issued, js_verify):
    paths = [p for p in leaf_paths(issued) if p[0] != "@context"]
    assert len(paths) > 20
    copies = [tampered(issued, path) for path in paths]
    for path, bad in zip(paths, copies, strict=True):
        result = check(library, bad)
        assert not result.valid, f"tampering {path} went unnoticed"
        assert result.code in {
            "not-a-badge",
            "bad-signature",
            "wrong-key",
            "unknown-key",
            "malformed",
            "unsupported-proof",
            "wrong-purpose",
            "expired",
            "not-yet-valid",
            "bad-status-list",
            "undefined-term",
            "not-strict",
        }, path
    status_list = library.status_list_credential(1)
    for path, js in zip(paths, js_verify(copies, [status_list]), strict=True):
        assert not (js["verified"] and not js["revoked"]), f"JS accepted tampered {path}"


def test_added_or_removed_field_fails(library, issued, js_verify):
    added = copy.deepcopy(issued)
    added["credentialSubject"]["achievement"]["description"] += "!"
    removed = copy.deepcopy(issued)
    del removed["credentialSubject"]["achievement"]["criteria"]
    for bad in (added, removed):
        assert not check(library, bad).valid
    assert not any(r["verified"] for r in js_verify([added, removed]))


def test_tampered_field_is_named_when_the_issuer_has_the_original(library, issued):
    bad = copy.deepcopy(issued)
    bad["credentialSubject"]["achievement"]["name"] = "Rocket Science"
    result = check(library, bad, original=lambda cid: library.get(cid).document)
    assert (result.valid, result.code) == (False, "tampered")
    assert "credentialSubject.achievement.name" in result.message


def test_signature_by_another_key_fails_both(library, issued, js_verify):
    other = Ed25519PrivateKey.generate()
    multibase = public_key_multibase(other.public_key())
    unsigned = {k: v for k, v in issued.items() if k != "proof"}
    now = datetime.now(UTC)
    # 1. another key, claiming to be our issuer's key: signature mismatch
    imposter = SigningKey(issued["proof"][0]["verificationMethod"], issued["issuer"]["id"], other)
    forged = proof.sign(unsigned, imposter, created=now, loader=library.loader)
    # 2. another key that honestly names itself, but is not the issuer's
    foreign = SigningKey(f"did:key:{multibase}#{multibase}", f"did:key:{multibase}", other)
    foreign_signed = proof.sign(unsigned, foreign, created=now, loader=library.loader)
    assert check(library, forged).code == "bad-signature"
    assert check(library, foreign_signed).code == "wrong-key"
    results = js_verify([forged, foreign_signed], [library.status_list_credential(1)])
    assert not any(r["verified"] for r in results), results


def test_revoked_credential_fails_both(library, issued, js_verify):
    keep = library.award("bob", "cybersecurity-foundations", awarded_by="t", reason="r").document
    library.revoke(issued["id"], revoked_by="prof", reason="academic misconduct")
    result = check(library, issued)
    assert (result.valid, result.code) == (False, "revoked")
    assert check(library, keep).valid  # the neighbour on the same list is untouched
    revoked_js, kept_js = js_verify([issued, keep], [library.status_list_credential(1)])
    assert revoked_js["revoked"] and not kept_js["revoked"] and kept_js["verified"]
    credential = library.get(issued["id"])
    assert credential.revocation_reason == "academic misconduct"
    assert credential.revoked_by == "prof"


def test_expired_credential_fails_both(settings, js_verify):
    from dataclasses import replace

    clock = [datetime(2020, 1, 1, tzinfo=UTC)]
    library = Credentials(replace(settings, valid_years=1), clock=lambda: clock[0])
    document = library.award("cy", "cybersecurity-foundations", awarded_by="t", reason="r").document
    assert document["validUntil"].startswith("2020-12-")
    result = check(library, document)
    assert (result.valid, result.code) == (False, "expired")
    clock[0] = datetime(2020, 6, 1, tzinfo=UTC)  # the status list is signed afresh then
    assert check(library, document, now=clock[0]).valid
    (js,) = js_verify([document], [library.status_list_credential(1)])
    assert not js["verified"] and "validuntil" in js["error"].lower(), js


def test_status_list_is_required_to_be_the_issuers(library, issued):
    other = Ed25519PrivateKey.generate()
    multibase = public_key_multibase(other.public_key())
    foreign = SigningKey(f"did:key:{multibase}#{multibase}", f"did:key:{multibase}", other)
    status_list = library.status_list_credential(1)
    unsigned = {k: v for k, v in status_list.items() if k != "proof"}
    unsigned["issuer"] = foreign.controller
    fake = proof.sign(unsigned, foreign, created=datetime.now(UTC), loader=library.loader)
    result = verify_credential(issued, loader=library.loader, status_lists=lambda url: fake)
    assert (result.valid, result.code) == (False, "bad-status-list")


def test_without_the_status_list_it_is_valid_with_a_warning(library, issued):
    result = verify_credential(issued, loader=library.loader)
    assert result.valid and result.warnings


def test_undefined_terms_are_refused_not_silently_unsigned(library, issued):
    extra = copy.deepcopy(issued)
    extra["credentialSubject"]["favouriteColour"] = "blue"
    with pytest.raises(proof.ProofError) as info:
        proof.canonize(extra, library.loader)
    assert info.value.code == "undefined-term"
    assert check(library, extra).code == "undefined-term"


def test_loader_is_offline(library):
    with pytest.raises(OfflineLoaderError):
        library.loader("https://example.org/context.json")
    tricky = {"@context": ["https://www.w3.org/ns/credentials/v2", "https://evil.test/ctx"]}
    with pytest.raises(proof.ProofError):
        proof.canonize(tricky, library.loader)


def test_hostile_documents_are_invalid_not_crashes(library, issued):
    deep: dict = {}
    node = deep
    for _ in range(5000):
        node["credentialSubject"] = {}
        node = node["credentialSubject"]
    shapes = [
        [],
        "text",
        {"@context": "https://www.w3.org/ns/credentials/v2"},
        {**issued, "proof": "nope"},
        {**issued, "proof": issued["proof"] * 2},
        {**issued, "validFrom": "yesterday"},
        {
            **issued,
            "credentialStatus": {"type": "BitstringStatusListEntry", "statusListIndex": "x"},
        },
        {**issued, "credentialSubject": deep},
        {**issued, "issuer": 42},
    ]
    for shape in shapes:
        result = check(library, shape)
        assert not result.valid, shape if not isinstance(shape, dict) else list(shape)
