"""Results in, credentials out: criteria, idempotency, manual awards and their audit."""

from __future__ import annotations

import base64

import pytest
from sqlalchemy import select

from hub.services.credentials.service import CredentialsError
from hub.services.records import Award, Result, TestResult
from northlab.results import InvalidResult

from .conftest import make_record


def test_learner_below_the_criteria_gets_nothing(library):
    library.record_result(make_record("bea", "lab-one", 9), reported_by="grader")
    library.record_result(make_record("bea", "lab-two", 6.9), reported_by="grader")  # < 70 %
    library.record_result(make_record("bea", "lab-other", 10), reported_by="grader")  # not counted
    intake = library.record_result(make_record("bea", "lab-three", 7), reported_by="grader")
    assert intake.created and intake.issued == []
    assert library.credentials_of("bea") == []


def test_third_passing_lab_issues_exactly_one_credential(library):
    assert library.record_result(make_record("ana", "lab-one", 7), reported_by="g").issued == []
    assert library.record_result(make_record("ana", "lab-two", 10), reported_by="g").issued == []
    issued = library.record_result(make_record("ana", "lab-three", 8), reported_by="g").issued
    assert len(issued) == 1
    # more passing results do not issue the same achievement again
    assert library.record_result(make_record("ana", "lab-four", 10), reported_by="g").issued == []
    (credential,) = library.credentials_of("ana")
    assert credential.achievement == "cybersecurity-foundations"
    with library.sessions() as session:
        award = session.scalars(select(Award)).one()
        assert award.kind == "criteria"
        assert len(award.evidence["results"]) == 3


def test_best_submission_counts(library):
    library.record_result(make_record("cy", "lab-one", 2, "a"), reported_by="g")
    library.record_result(make_record("cy", "lab-one", 9, "b"), reported_by="g")
    library.record_result(make_record("cy", "lab-two", 9), reported_by="g")
    assert library.record_result(make_record("cy", "lab-three", 9), reported_by="g").issued


def test_results_are_idempotent_on_learner_lab_submission(library):
    first = library.record_result(make_record("dee", "lab-one", 9), reported_by="g")
    again = library.record_result(make_record("dee", "lab-one", 3), reported_by="g")
    assert first.created and not again.created and first.result_id == again.result_id
    with library.sessions() as session:
        assert len(session.scalars(select(Result)).all()) == 1
        assert session.scalars(select(Result)).one().score == 9
        assert session.scalars(select(TestResult)).one().feedback["fr"].startswith("Vérifiez")


def test_invalid_result_is_refused_and_nothing_stored(library):
    record = make_record("eve", "lab-one", 11)  # score above max_score
    with pytest.raises(InvalidResult):
        library.record_result(record, reported_by="g")
    with pytest.raises(InvalidResult):
        library.record_result({"schema": "northlab.result/1"}, reported_by="g")
    assert library.counts()["results"] == 0


def test_manual_award_records_who_and_why(library):
    credential = library.award(
        "fay", "cybersecurity-foundations", awarded_by="prof", reason="prior learning"
    )
    assert credential.document["credentialSubject"]["achievement"]["name"].startswith(
        "Cybersecurity Foundations"
    )
    with library.sessions() as session:
        award = session.scalars(select(Award)).one()
    assert (award.kind, award.awarded_by, award.reason) == ("manual", "prof", "prior learning")


def test_manual_award_rejects_unknown_achievement_and_empty_reason(library):
    with pytest.raises(CredentialsError, match="unknown achievement"):
        library.award("fay", "nope", awarded_by="prof", reason="x")
    with pytest.raises(CredentialsError, match="reason"):
        library.award("fay", "cybersecurity-foundations", awarded_by="prof", reason=" ")


def test_credential_shape_is_open_badges_3(library):
    doc = library.award("gus", "cybersecurity-foundations", awarded_by="p", reason="r").document
    assert doc["@context"] == [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ]
    assert doc["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert doc["issuer"]["type"] == ["Profile"] and doc["issuer"]["id"].startswith("did:key:z6Mk")
    subject = doc["credentialSubject"]
    assert subject["type"] == ["AchievementSubject"]
    identity = subject["identifier"][0]
    assert identity["hashed"] is True and "gus" not in str(subject)
    assert subject["achievement"]["criteria"]["narrative"]
    assert doc["validFrom"].endswith("Z")
    assert doc["proof"][0]["cryptosuite"] == "eddsa-rdfc-2022"
    assert doc["credentialStatus"]["type"] == "BitstringStatusListEntry"


def test_credential_has_the_fields_real_issuers_fill(library):
    doc = library.award("gus", "cybersecurity-foundations", awarded_by="p", reason="r").document
    achievement = doc["credentialSubject"]["achievement"]
    assert doc["name"] == achievement["name"] == "Cybersecurity Foundations"  # one language
    assert doc["description"].startswith("Practised core defensive security skills")
    assert achievement["inLanguage"] == "en"
    (related,) = achievement["related"]
    assert related == {"id": achievement["id"] + "/fr", "type": ["Related"], "inLanguage": "fr"}
    image = achievement["image"]
    assert image["type"] == "Image" and image["id"].startswith("data:image/svg+xml;base64,")
    svg = base64.b64decode(image["id"].split(",", 1)[1]).decode()
    assert "Cybersecurity Foundations" in svg and "Fondements de la cybersécurité" in svg
    (schema,) = doc["credentialSchema"]
    assert schema["id"].endswith("ob_v3p0_achievementcredential_schema.json")
    assert "id" not in doc["credentialSubject"]  # no holder DID unless the learner gave one
    with pytest.raises(CredentialsError, match="not a DID"):
        library.award("gus", "cybersecurity-foundations", awarded_by="p", reason="r",
                      holder="https://not-a-did.example")


def test_revoked_credential_is_not_reissued_by_the_next_result(library):
    for lab in ("lab-one", "lab-two", "lab-three"):
        issued = library.record_result(make_record("hal", lab, 9), reported_by="g").issued
    library.revoke(issued[0], revoked_by="prof", reason="copied work")
    assert library.record_result(make_record("hal", "lab-four", 10), reported_by="g").issued == []
    again = library.award("hal", "cybersecurity-foundations", awarded_by="prof", reason="redone")
    assert [c.id for c in library.credentials_of("hal")] == [again.id, issued[0]]
