"""The standalone service over real HTTP: results API contract and public pages."""

from __future__ import annotations

import copy

import pytest
import requests

from .conftest import make_record

pytestmark = pytest.mark.slow


def post(service, record, token=None):
    headers = {"Authorization": f"token {token or service.token}"} if token != "" else {}
    return requests.post(service.base + "api/results", json=record, headers=headers, timeout=30)


def test_results_api_contract(service):
    record = make_record("ana", "lab-one", 9)
    assert post(service, record).status_code == 201
    again = post(service, record)
    assert again.status_code == 200 and again.json()["stored"] is False
    assert post(service, {"schema": "northlab.result/1"}).status_code == 400
    bad_json = requests.post(
        service.base + "api/results",
        data=b"{not json",
        headers={"Authorization": f"token {service.token}"},
        timeout=30,
    )
    assert bad_json.status_code == 400
    assert post(service, record, token="").status_code == 401
    assert post(service, record, token="not-the-token").status_code == 403


def test_issue_on_third_lab_and_public_documents(service):
    for lab in ("lab-one", "lab-two"):
        assert post(service, make_record("bob", lab, 8)).json()["issued"] == []
    issued = post(service, make_record("bob", "lab-three", 7)).json()["issued"]
    assert len(issued) == 1
    status_list = requests.get(service.base + "status/1", timeout=30)
    assert status_list.status_code == 200
    assert status_list.json()["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    achievement = requests.get(service.base + "achievements/cybersecurity-foundations", timeout=30)
    assert achievement.json()["type"] == ["Achievement"]
    french = requests.get(achievement.json()["related"][0]["id"], timeout=30).json()
    assert (french["inLanguage"], french["name"]) == ("fr", "Fondements de la cybersécurité")
    image = requests.get(service.base + "achievements/cybersecurity-foundations/image.svg",
                         timeout=30)
    assert image.headers["Content-Type"] == "image/svg+xml" and b"<svg" in image.content
    assert requests.get(service.base + "achievements/nope", timeout=30).status_code == 404

    page = requests.get(service.base + f"verify?id={issued[0]}&lang=fr", timeout=30)
    assert 'data-valid="true"' in page.text and "Attestation valide" in page.text
    assert requests.get(service.base + "verify?id=" + "0" * 8, timeout=30).status_code == 200


def test_verify_page_rejects_a_tampered_paste(service, library):
    document = library.award("cy", "cybersecurity-foundations", awarded_by="t", reason="r").document
    bad = copy.deepcopy(document)
    bad["validFrom"] = "2001-01-01T00:00:00Z"
    import json

    page = requests.post(
        service.base + "verify?lang=en", data={"json": json.dumps(bad)}, timeout=30
    )
    assert page.status_code == 200
    assert 'data-valid="false"' in page.text and "NOT valid" in page.text
    upload = requests.post(
        service.base + "verify?lang=fr",
        files={"file": ("c.json", b"not json at all")},
        timeout=30,
    )
    assert 'data-code="malformed"' in upload.text and "bien formée" in upload.text


def test_learner_pages_need_the_hub(service):
    assert requests.get(service.base, timeout=30).status_code == 503
