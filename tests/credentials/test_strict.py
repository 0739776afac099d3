"""Strict mode: claims injected into a genuine credential are INVALID here and in Digital
Bazaar's verifier; what strict mode accepts canonicalises byte for byte like jsonld.js."""

from __future__ import annotations

import copy
import json
import subprocess
import zlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from hub.services.credentials import proof
from hub.services.credentials.contexts import OB_V3, VC_V2
from hub.services.credentials.service import Credentials
from hub.services.credentials.verify import verify_credential

from .conftest import HERE
from .test_verification import check

#: Properties OB 3.0 defines for each class (the 1EdTech AchievementCredential schema).
OB_PROPERTIES = {
    "AchievementCredential": [
        "id", "type", "name", "description", "image", "awardedDate", "credentialSubject",
        "endorsement", "endorsementJwt", "evidence", "issuer", "validFrom", "validUntil",
        "credentialSchema", "credentialStatus", "refreshService", "termsOfUse",
    ],
    "Profile": [
        "id", "type", "name", "url", "phone", "description", "endorsement", "image", "email",
        "address", "otherIdentifier", "official", "parentOrg", "familyName", "givenName",
        "additionalName", "patronymicName", "honorificPrefix", "honorificSuffix",
        "familyNamePrefix", "dateOfBirth",
    ],
    "Achievement": [
        "id", "type", "alignment", "achievementType", "creator", "creditsAvailable",
        "criteria", "description", "endorsement", "fieldOfStudy", "humanCode", "image",
        "inLanguage", "name", "otherIdentifier", "related", "resultDescription",
        "specialization", "tag", "version",
    ],
    "AchievementSubject": [
        "id", "type", "activityEndDate", "activityStartDate", "creditsEarned", "achievement",
        "identifier", "image", "licenseNumber", "narrative", "result", "role", "source", "term",
    ],
    "Result": ["type", "achievedLevel", "alignment", "resultDescription", "status", "value"],
    "Evidence": ["id", "type", "narrative", "name", "description", "genre", "audience"],
    "Alignment": [
        "type", "targetCode", "targetDescription", "targetName", "targetFramework",
        "targetType", "targetUrl",
    ],
    "Image": ["id", "type", "caption"],
    "Criteria": ["id", "narrative"],
    "IdentityObject": ["type", "hashed", "identityHash", "identityType", "salt"],
    "ResultDescription": [
        "id", "type", "alignment", "allowedValue", "name", "requiredLevel", "requiredValue",
        "resultType", "rubricCriterionLevel", "valueMax", "valueMin",
    ],
    "Related": ["id", "type", "inLanguage", "version"],
}
#: Where each class sits in the rich credential below.
LEVELS: dict[str, tuple] = {
    "AchievementCredential": (),
    "Profile": ("issuer",),
    "Achievement": ("credentialSubject", "achievement"),
    "AchievementSubject": ("credentialSubject",),
    "Result": ("credentialSubject", "result", 0),
    "Evidence": ("evidence", 0),
    "Alignment": ("credentialSubject", "achievement", "alignment", 0),
    "Image": ("credentialSubject", "achievement", "image"),
    "Criteria": ("credentialSubject", "achievement", "criteria"),
    "IdentityObject": ("credentialSubject", "identifier", 0),
    "ResultDescription": ("credentialSubject", "achievement", "resultDescription", 0),
    "Related": ("credentialSubject", "achievement", "related", 0),
}
EXTRA_LEVELS: dict[str, tuple] = {  # more places of the same classes
    "issuer.image": ("issuer", "image"),
    "achievement.creator": ("credentialSubject", "achievement", "creator"),
}
LEVEL_CLASS = {"issuer.image": "Image", "achievement.creator": "Profile"}
#: Two ways to add a claim that a JSON-LD processor drops instead of signing.
DROPPED_VALUES = (
    {"id": "claims/1", "type": ["Profile"], "name": "Harvard University"},
    "forged/100-percent.png",
)


def at(document: dict, path: tuple) -> Any:
    for step in path:
        document = document[step]
    return document


@pytest.fixture
def rich(library: Credentials) -> dict:
    """A genuine credential using every OB 3.0 level, signed by the library's key."""
    issued = library.award("ana", "cybersecurity-foundations", awarded_by="t", reason="r")
    document = {k: v for k, v in issued.document.items() if k != "proof"}
    achievement = document["credentialSubject"]["achievement"]
    alignment = {
        "type": ["Alignment"],
        "targetName": "NICE Framework: Cyber Defense Analysis",
        "targetUrl": "https://niccs.cisa.gov/workforce-development/nice-framework",
    }
    achievement["alignment"] = [alignment]
    achievement["creator"] = {"id": "https://northlab.example.org", "type": ["Profile"]}
    achievement["resultDescription"] = [
        {
            "id": "https://northlab.example.org/results/percent",
            "type": ["ResultDescription"],
            "name": "Best score",
            "resultType": "Percent",
        }
    ]
    document["credentialSubject"]["result"] = [
        {
            "type": ["Result"],
            "value": "85",
            "resultDescription": achievement["resultDescription"][0]["id"],
        }
    ]
    document["evidence"] = [
        {"id": "https://northlab.example.org/evidence/1", "type": ["Evidence"], "name": "Lab 1"}
    ]
    document["issuer"]["image"] = {"id": achievement["image"]["id"], "type": "Image"}
    with library.sessions() as session:
        key = library.keys.active(session)
    return proof.sign(document, key, created=datetime.now(UTC), loader=library.loader)


def test_honest_credentials_are_valid_in_both(library, rich, js_verify):
    plain = library.award("bo", "cybersecurity-foundations", awarded_by="t", reason="r").document
    single = {**plain, "proof": plain["proof"][0]}  # the older single-object form
    holder = library.award("cy", "cybersecurity-foundations", awarded_by="t", reason="r",
                           holder="did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK")
    status_list = library.status_list_credential(1)
    honest = [rich, plain, single, holder.document]
    for document in honest:
        result = check(library, document)
        assert result.valid, result.message
    results = js_verify(honest, [status_list])
    assert all(r["verified"] and not r["revoked"] for r in results), results


def injected_corpus(rich: dict) -> list[tuple[str, dict]]:
    """Every property OB 3.0 defines, at every level, set to a value a processor would drop."""
    corpus = []
    levels = [*LEVELS.items(), *EXTRA_LEVELS.items()]
    for level, path in levels:
        for name in OB_PROPERTIES[level if level in LEVELS else LEVEL_CLASS[level]]:
            for shape, value in enumerate(DROPPED_VALUES):
                bad = copy.deepcopy(rich)
                at(bad, path)[name] = copy.deepcopy(value)
                corpus.append((f"{level}.{name}#{shape}", bad))
    everything = {name for names in OB_PROPERTIES.values() for name in names}
    for level in ("AchievementCredential", "Profile", "Achievement", "AchievementSubject"):
        for name in sorted(everything - set(OB_PROPERTIES[level])):  # defined elsewhere only
            bad = copy.deepcopy(rich)
            at(bad, LEVELS[level])[name] = copy.deepcopy(DROPPED_VALUES[0])
            corpus.append((f"{level}.{name}#elsewhere", bad))
    return corpus


def test_injected_claims_are_invalid_in_both(library, rich, js_verify):
    corpus = injected_corpus(rich)
    assert len(corpus) > 450
    accepted = [
        name for name, bad in corpus if verify_credential(bad, loader=library.loader).valid
    ]
    assert accepted == []
    # Digital Bazaar in one node process for the issue's own list and a sample of the rest
    named = [
        ("Achievement.alignment#0", "CISSP"), ("Achievement.creator#0", "Harvard"),
        ("AchievementSubject.result#0", "100 %"), ("AchievementCredential.evidence#1", ""),
        ("Achievement.image#1", ""), ("Profile.image#1", ""),
    ]
    chosen = {name for name, _ in named}
    sample = [bad for name, bad in corpus if name in chosen or zlib.crc32(name.encode()) % 4 == 0]
    results = js_verify(sample, [library.status_list_credential(1)])
    assert not [r for r in results if r["verified"]]


def jsonld_js(documents: list[dict], tmp_path: Path) -> list[dict]:
    path = tmp_path / "documents.json"
    path.write_text(json.dumps(documents))
    proc = subprocess.run(
        ["node", str(HERE / "canonize_with_jsonld.mjs"), str(path)],
        capture_output=True, text=True, timeout=300,
    )
    lines = [json.loads(line) for line in proc.stdout.split("\n") if line]
    assert len(lines) == len(documents), proc.stderr
    return lines


ODD_IDS = [
    "urn:x<y>", "urn:x y", "urn:x\u200by", "urn:x\u202ey", "urn:x\u00a0y", "urn:x\ny",
    "https://e.org/%zz", 'https://e.org/a"b', "urn:x{y}", "urn:x|y", "urn:x^y", "urn:x`y",
    "urn:x\\y", "rel", "./rel", "#frag", "_:b0", "HTTPS://E.ORG/A", "urn:\u00e9t\u00e9",
    "did:key:z6Mk#z6Mk", "urn:uuid:1B4E28BA-2FA1-11D2-883F-0016D3CCA427", "",
]
ODD_VALUES: list[Any] = [
    "a\bb", "a\x00b", "a\x7fb", "a\u0085b", "a\u2028b", "a\u202eb", "tab\there", "cr\rlf\n",
    "\ud83d\ude00 emoji", "é", 5.0, 1e300, 0.1, 2**60, 2**53 - 1, -0.0, 1.5, True, 0,
    {"@value": "x", "@language": "EN"}, {"@value": "x", "@language": "en_US"},
    {"@value": "x", "@language": "en-US"}, {"@value": "x", "@language": "toolonglanguage"},
    {"@value": "x", "@direction": "rtl"}, {"@value": "x", "@index": "i"},
    {"@value": {"a": 1}, "@type": "@json"}, {"@value": "x", "@type": "relative"},
    {"@value": "2026-01-01", "@type": "http://www.w3.org/2001/XMLSchema#date"}, {},
    [], [None], {"@id": "rel"}, {"@foo": "x"}, {"@list": ["a", "b"]},
]


def odd_documents() -> list[dict]:
    def base(**fields: Any) -> dict:
        return {"@context": [VC_V2, OB_V3], "id": "urn:uuid:0", "type": ["Achievement"], **fields}

    documents = [base(id=value) for value in ODD_IDS]
    documents += [base(name=value) for value in ODD_VALUES]
    documents += [base(type=["Achievement", "Undefined"]), base(undefinedTerm="x")]
    documents += [base(image=value) for value in ("rel.png", "data:image/png;base64,AA==")]
    for context, extra in (
        ({"x": "https://e.org/x"}, {"x": "y"}),
        ({"x": {"@id": "relative"}}, {"x": "y"}),
        ({"x": "_:b"}, {"x": "y"}),
        ({"@vocab": "rel/"}, {"zzz": "y"}),
        ({"@vocab": "https://e.org/v#"}, {"zzz": "y"}),
        ({"@base": "https://e.org/"}, {"id": "rel"}),
        ({"x": {"@id": "https://e.org/x", "@container": "@index"}}, {"x": {"k": "v"}}),
        ({"x": {"@id": "https://e.org/x", "@container": "@language"}}, {"x": {"en": "v"}}),
    ):
        documents.append(base(**{"@context": [VC_V2, OB_V3, context], **extra}))
    return documents


def test_accepted_documents_canonicalise_like_jsonld_js(library, tmp_path):
    documents = odd_documents()
    theirs = jsonld_js(documents, tmp_path)
    accepted = 0
    for document, js in zip(documents, theirs, strict=True):
        try:
            ours = proof.canonize(document, library.loader)
        except proof.ProofError:
            continue
        accepted += 1
        assert "error" not in js, (document, js)  # at least as strict as jsonld.js safe mode
        assert ours == js["nquads"], document
    assert accepted >= 10  # the honest shapes in the list were accepted


@pytest.mark.parametrize("odd", ["urn:x<y>", "urn:x y", "urn:x\u200by", "rel"])
def test_odd_ids_of_the_issue_are_refused_when_signing(library, odd):
    document = copy.deepcopy(
        library.award("cy", "cybersecurity-foundations", awarded_by="t", reason="r").document
    )
    del document["proof"]
    document["evidence"] = [{"id": odd, "type": ["Evidence"], "name": "Extra"}]
    with library.sessions() as session:
        key = library.keys.active(session)
    with pytest.raises(proof.ProofError) as info:
        proof.sign(document, key, created=datetime.now(UTC), loader=library.loader)
    assert info.value.code == "not-strict"


def test_hostile_shapes_are_invalid_quickly(library, rich):
    siblings = copy.deepcopy(rich)
    siblings["evidence"] = [{"type": ["Evidence"], "name": "x"} for _ in range(150)]
    many = copy.deepcopy(rich)
    many["evidence"] = [{"type": ["Evidence"], "name": str(i)} for i in range(500)]
    deep = copy.deepcopy(rich)
    node = deep["credentialSubject"]
    for _ in range(40):
        node["source"] = {"type": ["Profile"]}
        node = node["source"]
    surrogate = copy.deepcopy(rich)
    surrogate["name"] = "\ud800"
    # blank nodes alike enough that URDNA2015 would try 2 x 12! orderings (hours)
    poison = copy.deepcopy(rich)
    poison["credentialSubject"]["source"] = [
        {"type": ["Profile"], "parentOrg": [{"type": ["Profile"]} for _ in range(12)]}
        for _ in range(2)
    ]
    for document in (siblings, many, deep, surrogate, poison):
        result = check(library, document)
        assert not result.valid and result.code in ("not-strict", "bad-signature"), result


def test_credentials_issued_before_strict_mode_stay_valid(library, js_verify):
    """A credential of the session-start code (proof object, salt in the identifier,
    "English / French" names) and its status list still verify, in both verifiers."""
    golden = json.loads((HERE / "golden" / "issued-by-1663ef2.json").read_text("utf-8"))
    old, status_list = golden["credential"], golden["status_list"]
    result = verify_credential(old, loader=library.loader, status_lists=lambda url: status_list)
    assert (result.valid, result.code, result.issued_by) == (True, "valid", "unknown"), result
    (js,) = js_verify([old], [status_list])
    assert js["verified"] and not js["revoked"], js
