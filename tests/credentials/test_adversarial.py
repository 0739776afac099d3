"""An outside reviewer's attacks on the credential service, and their siblings: what the
verifier reads from the JSON is exactly what was signed (one context, canonical compacted
shape), both verifiers agree on dates, keys and proofs, numbers canonicalise the same
everywhere, imitations are found in the RDF, and hostile input gives a clear INVALID or a
clear line, never a 500, a traceback, a blocked service or a memory blow-up."""

from __future__ import annotations

import asyncio
import base64
import copy
import gzip
import hashlib
import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from pyld import jsonld

from hub.services.credentials import proof, statuslist
from hub.services.credentials.contexts import OB_V3, VC_V2
from hub.services.credentials.keys import SigningKey
from hub.services.credentials.multikey import multibase_encode
from hub.services.credentials.pool import VerifierPool, verify_here
from hub.services.credentials.recipients import Budget
from hub.services.credentials.service import Credentials
from hub.services.credentials.strict import StrictError, check_json
from hub.services.credentials.verify import Issuer, verify_credential

from .conftest import make_record
from .test_cli import run as run  # the fixture
from .test_strict import jsonld_js
from .test_trust import stranger_key

XSD = "http://www.w3.org/2001/XMLSchema#"
CRED = "https://www.w3.org/2018/credentials#"


def attacker_sign(document: dict, key: SigningKey, loader: Any, **options: str) -> dict:
    """``document`` signed the way any JSON-LD tool would (plain PyLD, no strict mode)."""
    proof = {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "created": "2026-01-01T00:00:00Z",
        "verificationMethod": key.id,
        "proofPurpose": "assertionMethod",
        **options,
    }
    unsecured = {k: v for k, v in document.items() if k != "proof"}

    def digest(value: dict) -> bytes:
        nquads = jsonld.normalize(
            value,
            {"algorithm": "URDNA2015", "format": "application/n-quads",
             "documentLoader": loader},
        )
        return hashlib.sha256(nquads.encode()).digest()

    signature = key.private.sign(
        digest(dict(proof, **{"@context": document["@context"]})) + digest(unsecured)
    )
    return {**unsecured, "proof": [dict(proof, proofValue=multibase_encode(signature))]}


def stranger_badge(key: SigningKey, **fields: Any) -> dict:
    return {
        "@context": [VC_V2, OB_V3],
        "id": "urn:uuid:11111111-2222-4333-8444-555555555555",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": "X",
        "issuer": {"id": key.controller, "type": ["Profile"], "name": "Mallory U"},
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "achievement": {
                "id": "https://mallory.example/a", "type": ["Achievement"], "name": "PhD",
                "description": "d", "criteria": {"narrative": "n"},
            },
        },
        **fields,
    }


def _moved(document: dict, how: str) -> dict:
    """``document`` with credentialStatus / validUntil written another way (same RDF)."""
    d = copy.deepcopy(document)
    if how == "status full IRI":
        d[CRED + "credentialStatus"] = d.pop("credentialStatus")
    elif how == "status @nest":
        d["@nest"] = {"credentialStatus": d.pop("credentialStatus")}
    elif how == "status alias":
        d["@context"] = [*d["@context"], {"st": CRED + "credentialStatus"}]
        d["st"] = d.pop("credentialStatus")
    elif how == "status @included":
        d["credentialSubject"] = [d["credentialSubject"]]
        d["@included"] = [{"id": d["id"], "credentialStatus": d.pop("credentialStatus")}]
    elif how == "status as list":  # a sibling: more than one status entry
        d["credentialStatus"] = [d["credentialStatus"], dict(d["credentialStatus"], id="urn:x")]
    elif how == "validUntil value object":
        d[CRED + "validUntil"] = {"@value": d.pop("validUntil"), "@type": XSD + "dateTime"}
    elif how == "validUntil @nest":
        d["@nest"] = {"validUntil": d.pop("validUntil")}
    elif how == "subject @nest":
        d["@nest"] = {"credentialSubject": d.pop("credentialSubject")}
    elif how == "achievement @id":
        achievement = d["credentialSubject"]["achievement"]
        achievement["@id"] = achievement.pop("id")
    elif how == "achievement twice":
        d["credentialSubject"]["achievement"] = [d["credentialSubject"]["achievement"]] * 2
    elif how == "empty result":
        d["credentialSubject"]["result"] = []
    elif how == "empty full-IRI list":
        d["issuer"]["https://schema.org/accreditation"] = []
    elif how == "@included id only":
        d["@included"] = [{"id": "https://northlab.example/claims/also-passed-advanced"}]
    elif how == "name value object":
        d["name"] = {"@value": d["name"]}
    elif how == "type as @type":
        d["@type"] = d.pop("type")
    elif how == "proof with @context":
        d["proof"][0]["@context"] = d["@context"]
    return d


STATUS_RESHAPES = [
    "status full IRI", "status @nest", "status alias", "status @included", "status as list",
]
OTHER_RESHAPES = [
    "subject @nest", "achievement @id", "achievement twice", "empty result",
    "empty full-IRI list", "@included id only", "name value object", "type as @type",
    "proof with @context",
]


@pytest.mark.parametrize("how", STATUS_RESHAPES)
def test_a_revoked_credential_reshaped_is_invalid(library, how):
    issued = library.award("ana", "cybersecurity-foundations", awarded_by="t", reason="r")
    library.revoke(issued.id, revoked_by="admin", reason="cheating")
    assert verify_here(library, issued.document).code == "revoked"
    result = verify_here(library, _moved(issued.document, how))
    assert not result.valid and result.issued_by is None, result


@pytest.mark.parametrize("how", OTHER_RESHAPES)
def test_our_credential_reshaped_is_invalid(library, how):
    """Same RDF, so the same signature: but what a reader sees is no longer what was
    signed (claims without RDF, fields the verifier would not find)."""
    issued = library.award("ana", "cybersecurity-foundations", awarded_by="t", reason="r")
    result = verify_here(library, _moved(issued.document, how))
    assert not result.valid and result.code in ("not-strict", "malformed", "unsupported-proof")


@pytest.mark.parametrize("how", ["validUntil value object", "validUntil @nest"])
def test_an_expired_credential_reshaped_is_invalid(settings, how):
    past = datetime(2020, 3, 1, tzinfo=UTC)
    then = Credentials(replace(settings, valid_years=1), clock=lambda: past)
    old = then.award("bo", "cybersecurity-foundations", awarded_by="t", reason="r").document
    assert verify_here(then, old).code == "expired"
    result = verify_here(then, _moved(old, how))
    then.engine.dispose()
    assert not result.valid and result.code == "not-strict", result


def test_honest_credentials_stay_valid_and_ours(library, js_verify):
    issued = library.award("ana", "cybersecurity-foundations", awarded_by="t", reason="r")
    single = {**issued.document, "proof": issued.document["proof"][0]}
    for document in (issued.document, single):
        result = verify_here(library, document)
        assert (result.valid, result.issued_by) == (True, "ours"), result
        assert result.achievement_id and result.achievement_id.endswith(
            "/achievements/cybersecurity-foundations"
        )
    status_list = library.status_list_credential(1)
    assert "validUntil" in status_list
    assert all(r["verified"] for r in js_verify([issued.document], [status_list]))


def _date_and_key_cases(library: Credentials, ours: dict) -> dict[str, dict]:
    cases = {}
    for name, field, value in (
        ("validUntil without zone (past)", "validUntil", "2020-01-01T00:00:00"),
        ("validUntil date only (past)", "validUntil", "2020-01-01"),
        ("validUntil basic ISO (past)", "validUntil", "20200101T000000Z"),
        ("validUntil lowercase z (past)", "validUntil", "2020-01-01T00:00:00z"),
        ("validUntil nanoseconds (past)", "validUntil", "2020-01-01T00:00:00.000000001Z"),
        ("validFrom without zone (future)", "validFrom", "2099-01-01T00:00:00"),
        ("validFrom date only (future)", "validFrom", "2099-01-01"),
    ):
        key = stranger_key()
        cases[name] = attacker_sign(stranger_badge(key, **{field: value}), key, library.loader)
    key = stranger_key()
    bare = SigningKey(key.controller, key.controller, key.private)
    cases["verificationMethod without #fragment"] = attacker_sign(
        stranger_badge(bare), bare, library.loader
    )
    key = stranger_key()
    cases["proof.created 'yesterday' (signed)"] = attacker_sign(
        stranger_badge(key), key, library.loader, created="yesterday"
    )
    key = stranger_key()
    cases["proof.expires in the past (signed)"] = attacker_sign(
        stranger_badge(key), key, library.loader, expires="2000-01-01T00:00:00Z"
    )
    garbage = copy.deepcopy(ours)
    garbage["proof"].append(dict(garbage["proof"][0], proofValue="z" + "2" * 86))
    cases["ours with a garbage second proof"] = garbage
    cases["ours with an @included node"] = _moved(ours, "@included id only")
    return cases


def test_dates_keys_and_proofs_invalid_here_and_as_in_digital_bazaar(library, js_verify):
    """Both verifiers refuse these, except two that Digital Bazaar accepts (a second, broken
    proof next to a good one; a signed proof ``expires`` in the past): there we are the
    stricter, never the more lenient."""
    ours = library.award("ana", "cybersecurity-foundations", awarded_by="t", reason="r")
    cases = _date_and_key_cases(library, ours.document)
    theirs = js_verify(list(cases.values()), [library.status_list_credential(1)])
    lenient_there = {"ours with a garbage second proof", "proof.expires in the past (signed)"}
    for (name, document), js in zip(cases.items(), theirs, strict=True):
        result = verify_here(library, document)
        assert not result.valid, (name, result)
        assert js["verified"] is (name in lenient_there), (name, js)


@pytest.mark.parametrize(
    "number",
    [1234567890123456.5, -1234567890123456.5, 2251799813685248.5, 1e-7, 5e-324,
     0.5000000000000001, 1.7976931348623157e308, 0.30000000000000004, 1.5e21],
)
def test_numbers_read_differently_are_refused(library, number):
    with pytest.raises(StrictError):
        check_json({"value": number})
    key = stranger_key()
    badge = stranger_badge(key)
    badge["credentialSubject"]["creditsEarned"] = number
    result = verify_credential(attacker_sign(badge, key, library.loader), loader=library.loader)
    assert (result.valid, result.code) == (False, "not-strict"), result


def test_safe_numbers_canonicalise_like_jsonld_js(library, tmp_path):
    numbers = [1.5, 0.25, 123.456, 2.75, 99.9, 0.001, 12345678.125, -3.5]
    documents = []
    for number in numbers:
        check_json({"value": number})
        documents.append({"@context": [VC_V2, OB_V3], "id": "urn:uuid:0",
                          "type": ["AchievementSubject"], "creditsEarned": number})
    for document, js in zip(documents, jsonld_js(documents, tmp_path), strict=True):
        assert proof.canonize(document, library.loader) == js["nquads"], document


def test_imitation_is_found_in_the_rdf_with_confusable_names(library):
    issuers = library.issuers()
    for name in ("n\u03bfrthlab test", "NORTHLAB  Test", "northl\u0430b t\u0435st",
                 "ｎｏｒｔｈｌａｂ test", "nórthlab test", "north\u200blab test"):
        key = stranger_key()
        badge = stranger_badge(key)
        badge["issuer"]["name"] = name
        signed = attacker_sign(badge, key, library.loader)
        result = verify_credential(signed, loader=library.loader, issuers=issuers)
        assert (result.valid, result.code) == (False, "impersonation"), (name, result)
    # our address, spelt with an upper-case host, deep in the RDF
    key = stranger_key()
    badge = stranger_badge(key)
    url = library.settings.public_url.replace("http://", "HTTP://")
    badge["credentialSubject"]["achievement"]["id"] = url + "/achievements/x"
    result = verify_credential(
        attacker_sign(badge, key, library.loader), loader=library.loader, issuers=issuers
    )
    assert result.code == "impersonation", result
    # compact IRIs through an added context cannot hide it: an added context is refused
    key = stranger_key()
    badge = stranger_badge(key)
    badge["@context"] = [*badge["@context"], {"nl": library.settings.public_url[:12]}]
    badge["credentialSubject"]["achievement"]["id"] = "nl:" + url[12:] + "/achievements/x"
    result = verify_credential(
        attacker_sign(badge, key, library.loader), loader=library.loader, issuers=issuers
    )
    assert not result.valid and result.code == "not-strict", result
    assert Issuer(own_name="northlab test").imitation(stranger_badge(key), []) is None


def test_budget_forgets_the_least_recently_used_keys():
    budget = Budget(2, max_keys=100)
    for i in range(1000):
        assert budget.take(f"credential:{i}")
    assert len(budget) <= 100
    assert budget.take("credential:999") and not budget.take("credential:999")


def test_status_list_bomb_and_broken_lists_are_refused_quickly():
    bomb = "u" + base64.urlsafe_b64encode(gzip.compress(b"\0" * (64 << 20), 9)).decode()
    with pytest.raises(ValueError, match="larger than"):
        statuslist.is_set(bomb, 5)
    whole = gzip.compress(b"\0" * 16384)
    for broken in (whole[:-12], whole[:10] + b"\xff" * 30, whole + b"junk"):
        with pytest.raises(ValueError, match="cannot be decoded"):
            statuslist.is_set("u" + base64.urlsafe_b64encode(broken).decode(), 5)
    assert statuslist.is_set(statuslist.encode([5]), 5)


def _signed_list(key: SigningKey, loader: Any, url: str, encoded: str, **fields: str) -> dict:
    document = {
        "@context": [VC_V2], "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": key.controller, "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {"id": url + "#list", "type": "BitstringStatusList",
                              "statusPurpose": "revocation", "encodedList": encoded},
        **fields,
    }
    return attacker_sign(document, key, loader)


def _with_status(key: SigningKey, loader: Any, url: str) -> dict:
    status = {"id": url + "#5", "type": "BitstringStatusListEntry", "statusPurpose": "revocation",
              "statusListIndex": "5", "statusListCredential": url}
    return attacker_sign(stranger_badge(key, credentialStatus=status), key, loader)


def test_cli_hostile_status_lists_and_did_documents_are_one_line(run, library, tmp_path):
    url = "https://mallory.example/status/1"
    bomb = "u" + base64.urlsafe_b64encode(gzip.compress(b"\0" * (32 << 20), 9)).decode()
    truncated = "u" + base64.urlsafe_b64encode(gzip.compress(b"\0" * 16384)[:-12]).decode()
    for encoded in (bomb, truncated):
        key = stranger_key()
        (tmp_path / "c.json").write_text(json.dumps(_with_status(key, library.loader, url)))
        sl = _signed_list(key, library.loader, url, encoded)
        (tmp_path / "l.json").write_text(json.dumps(sl))
        out = run("credential", "verify", "--no-local", str(tmp_path / "c.json"),
                  "--status-list", str(tmp_path / "l.json"))
        assert out.returncode == 1 and "Traceback" not in out.stderr, out
        assert out.stdout.startswith("INVALID: the status list cannot be read"), out
    ours = library.award("ana", "cybersecurity-foundations", awarded_by="t", reason="r")
    (tmp_path / "ours.json").write_text(json.dumps(ours.document))
    (tmp_path / "list-id.json").write_text('{"id": ["x"]}')
    (tmp_path / "did-str.json").write_text('{"id": "did:web:x", "verificationMethod": "abc"}')
    for option, side in (("--status-list", "list-id.json"), ("--did-document", "did-str.json")):
        out = run("credential", "verify", str(tmp_path / "ours.json"), option,
                  str(tmp_path / side))
        assert out.returncode == 2 and "Traceback" not in out.stderr, out
        assert (out.stdout + out.stderr).count("\n") == 1, out
    big = tmp_path / "big.json"
    big.write_text(json.dumps({"padding": "x" * 300_000}))
    out = run("credential", "verify", str(big))
    assert out.returncode == 2 and "larger than" in out.stderr, out
    listed = tmp_path / "status.json"
    listed.write_text(json.dumps(library.status_list_credential(1)))
    out = run("credential", "verify", str(listed))
    assert out.returncode == 1 and "not an Open Badge" in out.stdout, out


def test_cli_forged_did_document_and_stale_list_change_nothing(run, settings, tmp_path):
    web = replace(settings, did_method="web", did_web_domain="127.0.0.1%3A9/services/credentials")
    lib = Credentials(web)
    issued = lib.award("ana", "cybersecurity-foundations", awarded_by="t", reason="r")
    ours = issued.document["issuer"]["id"]
    stale = lib.status_list_credential(1)
    lib.revoke(issued.id, revoked_by="admin", reason="fraud")
    lib.engine.dispose()
    key = stranger_key()
    fragment = key.id.split("#")[1]
    forged_key = SigningKey(f"{ours}#{fragment}", ours, key.private)
    badge = stranger_badge(forged_key)
    badge["issuer"]["name"] = "northlab test"
    did = {"@context": ["https://www.w3.org/ns/did/v1"], "id": ours, "verificationMethod": [
        {"id": forged_key.id, "type": "Multikey", "controller": ours,
         "publicKeyMultibase": fragment}]}
    files = {"forged.json": attacker_sign(badge, forged_key, lib.loader), "did.json": did,
             "revoked.json": issued.document, "stale.json": stale}
    for name, document in files.items():
        (tmp_path / name).write_text(json.dumps(document))
    env = {"NORTHLAB_CREDENTIALS_DID_METHOD": "web",
           "NORTHLAB_CREDENTIALS_DID_WEB_DOMAIN": web.did_web_domain,
           "NORTHLAB_CREDENTIALS_ISSUER_NAME": "northlab test"}
    forged = run("credential", "verify", str(tmp_path / "forged.json"), "--did-document",
                 str(tmp_path / "did.json"), extra_env=env)
    assert forged.returncode == 1 and "INVALID" in forged.stdout, forged
    assert "issued by this northlab" not in forged.stdout.lower()
    revoked = run("credential", "verify", str(tmp_path / "revoked.json"), "--status-list",
                  str(tmp_path / "stale.json"), extra_env=env)
    assert revoked.returncode == 1 and "revoked" in revoked.stdout, revoked
    # a stranger's DID document whose key names another controller is refused
    did["id"] = "did:web:mallory.example"
    (tmp_path / "did.json").write_text(json.dumps(did))
    out = run("credential", "verify", str(tmp_path / "forged.json"), "--did-document",
              str(tmp_path / "did.json"), extra_env=env)
    assert out.returncode == 2 and "does not belong" in out.stderr, out


def test_a_stale_status_list_is_refused_offline(settings):
    """Outside this server (no local DB), a status list past its validUntil is refused."""
    past = datetime.now(UTC) - timedelta(days=3)
    then = Credentials(settings, clock=lambda: past)
    issued = then.award("ana", "cybersecurity-foundations", awarded_by="t", reason="r")
    stale = then.status_list_credential(1)
    then.engine.dispose()
    result = verify_credential(
        issued.document, loader=then.loader, status_lists=lambda url: stale
    )
    assert (result.valid, result.code) == (False, "bad-status-list"), result
    assert "out of date" in result.message


def test_pool_deadline_stops_work_and_the_worker_goes_on(library):
    document = library.award("ana", "cybersecurity-foundations", awarded_by="t",
                             reason="r").document

    async def scenario() -> list:
        quick = VerifierPool(library.settings, workers=1, seconds=0.0001)
        busy = VerifierPool(library.settings, workers=1, queue=0)
        try:
            first = await quick.verify(document)
            quick.seconds = 60.0
            second = await quick.verify(document)
            return [first, second, await busy.verify(document)]
        finally:
            quick.shutdown()
            busy.shutdown()

    first, second, refused = asyncio.run(scenario())
    assert (first.valid, first.code) == (False, "too-costly"), first
    assert (second.valid, second.issued_by) == (True, "ours"), second
    assert (refused.valid, refused.code) == (False, "busy"), refused


def _blank_node_tree() -> dict:
    values = [i + 0.5 for i in range(290)]

    def node(depth: int, index: int = 0) -> dict:
        found: dict = {"https://x.example/v": values, "https://x.example/i": index}
        if depth:
            found["https://x.example/c"] = [node(depth - 1, i) for i in range(2)]
        return found

    key = stranger_key()
    badge = stranger_badge(key)
    badge["credentialSubject"]["https://x.example/p"] = node(4)
    badge["proof"] = [{"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022",
                       "created": "2026-01-01T00:00:00Z", "verificationMethod": key.id,
                       "proofPurpose": "assertionMethod", "proofValue": "z1111"}]
    return badge


def test_costly_documents_are_invalid_before_canonicalising(library):
    result = verify_credential(_blank_node_tree(), loader=library.loader)
    assert (result.valid, result.code) == (False, "not-strict"), result
    assert "values" in result.message


def _page(response: requests.Response) -> tuple[str, str]:
    found = re.search(r'data-valid="(\w+)" data-code="([\w-]+)"', response.text)
    assert found, response.text[:300]
    return found.group(1), found.group(2)


def _rss_kb(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", status).group(1))


def test_verify_page_never_500_and_refuses_big_bodies(service):
    verify = service.base + "verify"
    for lab in ("lab-one", "lab-two", "lab-three"):
        record = make_record("ana", lab, 10)
        response = requests.post(service.base + "api/results", json=record, timeout=60,
                                 headers={"Authorization": f"token {service.token}"})
        assert response.status_code == 201, response.text
    lib = Credentials(service.settings)
    (credential,) = lib.credentials_of("ana")
    document = credential.document
    lib.engine.dispose()
    status_list = requests.get(service.base + "status/1", timeout=60).json()
    pastes = {how: _moved(document, how) for how in
              ("subject @nest", "achievement @id", "achievement twice")}
    pastes["status list"] = status_list
    pastes["blank node tree"] = _blank_node_tree()
    for name, paste in pastes.items():
        response = requests.post(verify, data={"json": json.dumps(paste)}, timeout=120)
        assert response.status_code == 200, (name, response.status_code)
        assert _page(response)[0] == "false", name
    assert _page(requests.post(verify, data={"json": json.dumps(status_list)}, timeout=120)) == (
        "false", "not-a-badge")
    assert requests.get(service.base + "status/" + "9" * 30, timeout=60).status_code == 404
    # budgets are per credential: a client-sent X-Real-Ip buys nothing, and one client's
    # checks of one credential do not use up another's
    for i in range(10):
        requests.post(verify, data={"json": json.dumps(document), "recipient": f"guess{i}"},
                      timeout=120)
    spoofed = requests.post(verify, data={"json": json.dumps(document), "recipient": "ana"},
                            headers={"X-Real-Ip": "10.9.9.9"}, timeout=120)
    assert "Too many recipient checks" in spoofed.text
    # bodies: 3 MB gets a bilingual 413 page; 40 MB is cut off without being kept
    before = _rss_kb(service.proc.pid)
    for language, words in (("en", "too large"), ("fr", "trop gros")):
        big = requests.post(verify + f"?lang={language}", data={"json": "a" * (3 << 20)},
                            timeout=120)
        assert big.status_code == 413 and words in big.text, (language, big.status_code)
    try:
        huge = requests.post(verify, data=b"a" * (40 << 20), timeout=120,
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert huge.status_code in (400, 413)
    except requests.ConnectionError:
        pass  # the server may close the connection while the client is still sending
    assert _rss_kb(service.proc.pid) - before < 30_000
    assert requests.get(verify, timeout=60).status_code == 200



def test_a_status_list_signed_just_after_the_check_began_is_accepted(settings):
    """The verifier's clock is read before the list is signed on demand (or the list's
    server runs a little ahead): a list valid from a few seconds later still counts."""
    clock = [datetime(2026, 5, 1, 12, 0, 0, tzinfo=UTC)]
    library = Credentials(settings, clock=lambda: clock[0])
    issued = library.award("ana", "cybersecurity-foundations", awarded_by="t", reason="r")
    clock[0] += timedelta(seconds=10)
    status_list = library.status_list_credential(1)
    clock[0] += timedelta(hours=1)
    from_later = library.status_list_credential(1)
    library.engine.dispose()
    moment = clock[0] - timedelta(hours=1, milliseconds=500)  # just before the first list

    def check(listed: dict):
        return verify_credential(
            issued.document, loader=library.loader, status_lists=lambda url: listed,
            now=moment,
        )

    assert (check(status_list).valid, check(status_list).code) == (True, "valid")
    assert check(from_later).code == "bad-status-list"  # an hour ahead is not clock skew
