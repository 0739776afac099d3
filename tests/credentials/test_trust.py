"""Who issued: ours, a known issuer, or a stranger; imitations of ours are INVALID; the
recipient is a secret-salted hash checked only here, within a budget; hostile pastes on the
verify page are a clear INVALID, never an error page."""

from __future__ import annotations

import copy
import hashlib
import json
import re
from dataclasses import replace
from datetime import UTC, datetime

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hub.services.credentials import proof
from hub.services.credentials.app import RECIPIENT_CHECKS_PER_HOUR
from hub.services.credentials.keys import SigningKey
from hub.services.credentials.multikey import public_key_multibase
from hub.services.credentials.service import Credentials
from hub.services.credentials.verify import verify_credential

from .conftest import make_record


def stranger_key() -> SigningKey:
    private = Ed25519PrivateKey.generate()
    multibase = public_key_multibase(private.public_key())
    return SigningKey(f"did:key:{multibase}#{multibase}", f"did:key:{multibase}", private)


def signed_by_stranger(library: Credentials, document: dict) -> dict:
    """``document`` re-signed by a fresh did:key that names itself as the issuer."""
    key = stranger_key()
    unsigned = {k: v for k, v in copy.deepcopy(document).items() if k != "proof"}
    unsigned["issuer"]["id"] = key.controller
    return proof.sign(unsigned, key, created=datetime.now(UTC), loader=library.loader)


def check(library: Credentials, document: dict):
    return verify_credential(document, loader=library.loader, issuers=library.issuers())


@pytest.fixture
def ours(library: Credentials) -> dict:
    return library.award("ana", "cybersecurity-foundations", awarded_by="t", reason="r").document


def foreign(library: Credentials, ours: dict, **issuer: str) -> dict:
    """A stranger's credential: ours with every address of ours replaced, a new id and
    issuer name (unless ``issuer`` says otherwise), signed by a fresh did:key."""
    text = json.dumps(ours).replace(library.settings.public_url, "https://elsewhere.example")
    document = json.loads(text)
    document["id"] = "urn:uuid:00000000-0000-4000-8000-000000000000"
    document["issuer"].update({"name": "Lab X", "url": "https://elsewhere.example", **issuer})
    return signed_by_stranger(library, document)


def test_ours_known_and_unknown_issuers(library, ours, settings):
    assert check(library, ours).issued_by == "ours"
    stranger = foreign(library, ours)
    result = check(library, stranger)
    assert (result.valid, result.issued_by) == (True, "unknown"), result
    assert (result.code, result.issued_by) == ("valid", "unknown")
    trusting = Credentials(replace(settings, trusted_issuers=(stranger["issuer"]["id"],)))
    assert check(trusting, stranger).issued_by == "known"
    trusting.engine.dispose()


@pytest.mark.parametrize(
    "issuer",
    [{"name": "northlab test"}, {"name": "NorthLab-Test"}, {"name": "ｎｏｒｔｈｌａｂ test"},
     {"url": "HTTP://127.0.0.1:9/services/credentials/"}],
)
def test_a_stranger_using_our_name_or_address_is_invalid(library, ours, issuer):
    result = check(library, foreign(library, ours, **issuer))
    assert (result.valid, result.code) == (False, "impersonation"), result


@pytest.mark.parametrize(
    "spelling",
    ["tag:evil.example,2026:{id}", "urn:uuid:{upper}", "URN:UUID:{id}", "urn:uuid:{bare}", "https://x.example/{id}"],
)
def test_a_strangers_credential_with_our_id_in_any_spelling_is_invalid(library, ours, spelling):
    uuid = ours["id"].removeprefix("urn:uuid:")
    claimed = spelling.format(id=uuid, upper=uuid.upper(), bare=uuid.replace("-", ""))
    forged = foreign(library, ours)
    forged = signed_by_stranger(library, {**forged, "id": claimed})
    result = check(library, forged)
    assert (result.valid, result.code) == (False, "impersonation"), result


def test_recipient_is_a_secret_salted_email_hash(library, settings):
    library.recipients.set_email("ana", "Ana.Lopez@Example.org")
    issued = library.award("ana", "cybersecurity-foundations", awarded_by="t", reason="r")
    document = issued.document
    (identity,) = document["credentialSubject"]["identifier"]
    assert identity["identityType"] == "emailAddress" and "salt" not in identity
    # not the unsalted hash, nor one salted with anything public in the credential
    public = [document["id"], document["id"].removeprefix("urn:uuid:"), "", document["validFrom"]]
    for salt in public:
        digest = hashlib.sha256(("ana.lopez@example.org" + salt).encode()).hexdigest()
        assert identity["identityHash"] != "sha256$" + digest
    assert library.recipients.issued_to(document, "ana.lopez@example.org")
    assert library.recipients.issued_to(document, " ANA.LOPEZ@example.org ")
    assert not library.recipients.issued_to(document, "bob@example.org")
    other = library.award("bob", "cybersecurity-foundations", awarded_by="t", reason="r").document
    assert other["credentialSubject"]["identifier"][0]["identityType"] == "identifier"
    assert library.recipients.issued_to(other, "bob") and not library.recipients.issued_to(
        other, "ana")
    holder = library.award("cy", "cybersecurity-foundations", awarded_by="t", reason="r",
                           holder="did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK")
    assert holder.document["credentialSubject"]["id"].startswith("did:key:")


def verify_page(service, text: str, recipient: str = "", lang: str = "en") -> requests.Response:
    return requests.post(
        service.base + f"verify?lang={lang}",
        data={"json": text, "recipient": recipient},
        timeout=120,
    )


def result_of(page: requests.Response) -> tuple[str, str]:
    assert page.status_code == 200, page.text[:300]
    valid = re.search(r'data-valid="(\w+)" data-code="([\w-]+)"', page.text)
    assert valid, page.text[:500]
    return valid.group(1), valid.group(2)


def test_verify_page_says_who_issued_and_checks_the_recipient(service):
    headers = {"Authorization": f"token {service.token}"}
    for lab in ("lab-one", "lab-two", "lab-three"):
        requests.post(service.base + "api/results", json=make_record("ana", lab, 9),
                      headers=headers, timeout=30).raise_for_status()
    library = Credentials(service.settings)
    (credential,) = library.credentials_of("ana")
    stranger = foreign(library, credential.document)
    library.engine.dispose()
    page = verify_page(service, json.dumps(stranger))
    assert result_of(page) == ("true", "valid")
    assert "Valid signature, from an unknown issuer" in page.text
    assert "Unknown issuer — the signature is valid but anyone can make such a key." in page.text
    text = json.dumps(credential.document)
    page = verify_page(service, text, recipient="ana")
    assert result_of(page) == ("true", "valid") and "Valid credential" in page.text
    assert f"Issued by this northlab ({service.base.rstrip('/')})" in page.text
    assert "Yes: this credential was issued to this person." in page.text
    page = verify_page(service, text, recipient="bob", lang="fr")
    assert "Délivrée par ce northlab" in page.text and "Non : cette attestation" in page.text
    assert "Fondements de la cybersécurité" in page.text  # our achievement, in French
    for _ in range(RECIPIENT_CHECKS_PER_HOUR - 2):
        verify_page(service, text, recipient="someone-else")
    page = verify_page(service, text, recipient="ana")
    assert "Too many recipient checks" in page.text and "Yes:" not in page.text
    assert result_of(page) == ("true", "valid")  # verifying itself is not limited


def test_hostile_pastes_are_invalid_not_errors(service):
    deep = "[" * 30000 + "]" * 30000
    shapes = [
        deep[:60000], '{"a": NaN}', '{"a": Infinity}', "x" * 70000, "[]", "null", '"text"',
        '{"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"]'
        ', "issuer": {"id": ["x"]}, "proof": [{}]}',
        '{"\\ud800": "\\udfff"}', '{"@context": {"@context": {"@context": 1}}}',
    ]
    for text in shapes:
        assert result_of(verify_page(service, text))[0] == "false", text[:60]
    binary = requests.post(service.base + "verify", files={"file": ("c.json", b"\xff\xfe\x00")},
                           timeout=60)
    assert result_of(binary) == ("false", "malformed")
