"""The public address comes from the hub's settings, loopback addresses are not signed
outside the demo, and a did:web issuer's DID document resolves over HTTP."""

from __future__ import annotations

import os
from dataclasses import replace

import pytest
import requests

from hub.config.settings import load_settings as hub_settings
from hub.managed import services
from hub.services.credentials.keys import did_web_url
from hub.services.credentials.service import Credentials, CredentialsError
from hub.services.credentials.settings import load_settings
from tests.support.ports import free_port

from .conftest import ServiceProcess, make_record


def credential_service_env(tmp_path, **hub_env: str) -> dict[str, str]:
    settings = hub_settings({"NORTHLAB_DATA": str(tmp_path / "data"), **hub_env})
    settings.hub_dir.mkdir(parents=True, exist_ok=True)
    listed, _ = services(settings)
    (credentials,) = [s for s in listed if s["name"] == "credentials"]
    # what JupyterHub adds for a managed service, plus what the service reads by default
    return {
        **credentials["environment"],
        "JUPYTERHUB_SERVICE_PREFIX": "/services/credentials/",
        "NORTHLAB_CONFIG": os.devnull,
    }


def test_the_service_signs_the_hubs_port_and_public_url(tmp_path):
    env = credential_service_env(tmp_path, NORTHLAB_PORT="18400")
    assert load_settings(env).public_url == "http://127.0.0.1:18400/services/credentials"
    env = credential_service_env(
        tmp_path, NORTHLAB_PORT="18400", NORTHLAB_PUBLIC_URL="https://lab.example.org/",
        NORTHLAB_LABS_ROOT=str(tmp_path / "labs"),
    )
    assert load_settings(env).public_url == "https://lab.example.org/services/credentials"
    assert load_settings(env).labs_root == tmp_path / "labs"  # the hub's labs, too


def test_the_demos_permission_reaches_the_service(tmp_path, monkeypatch):
    monkeypatch.delenv("NORTHLAB_CREDENTIALS_ALLOW_LOOPBACK", raising=False)
    assert not load_settings(credential_service_env(tmp_path)).allow_loopback
    monkeypatch.setenv("NORTHLAB_CREDENTIALS_ALLOW_LOOPBACK", "1")  # what `northlab demo` sets
    assert load_settings(credential_service_env(tmp_path)).allow_loopback


def test_the_credential_verbs_read_the_same_public_url(tmp_path):
    config = tmp_path / "northlab.toml"
    config.write_text('public_url = "https://lab.example.org"\nport = 18400\n')
    assert hub_settings({"NORTHLAB_CONFIG": str(config)}).public_base_url == (
        "https://lab.example.org")
    assert load_settings({"NORTHLAB_CONFIG": str(config)}).public_url == (
        "https://lab.example.org/services/credentials")


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8000", "http://localhost:8000", "http://[::1]", "http://127.1.2.3"]
)
def test_loopback_addresses_are_refused_unless_allowed(settings, url):
    library = Credentials(replace(settings, public_url=url, allow_loopback=False))
    with pytest.raises(CredentialsError, match="loopback"):
        library.award("ana", "cybersecurity-foundations", awarded_by="t", reason="r")
    for lab in ("lab-one", "lab-two", "lab-three"):  # results are kept, nothing is issued
        intake = library.record_result(make_record("ana", lab, 9), reported_by="t")
        assert intake.created and intake.issued == []
    assert library.counts() == {"results": 3, "credentials": 0}
    allowed = Credentials(replace(settings, public_url="https://lab.example.org/x"))
    assert allowed.evaluate_learner("ana")  # once the URL is public, what is due is issued
    library.engine.dispose()
    allowed.engine.dispose()


def test_did_web_urls():
    assert did_web_url("did:web:lab.example.org") == "https://lab.example.org/.well-known/did.json"
    assert did_web_url("did:web:lab.example.org%3A8443:services:credentials", "http") == (
        "http://lab.example.org:8443/services/credentials/did.json")


def test_did_web_document_resolves_over_http(settings, js_verify, tmp_path):
    """A bare-domain did:web, its document served at /.well-known/did.json (the path form,
    <prefix>did.json, is the same handler)."""
    port = free_port()
    service = ServiceProcess(
        replace(settings, public_url=f"http://127.0.0.1:{port}"),
        port, token="t", prefix="/", env={"NORTHLAB_CREDENTIALS_DID_METHOD": "web"},
    )
    service.start()
    try:
        headers = {"Authorization": "token t"}
        for lab in ("lab-one", "lab-two", "lab-three"):
            record = make_record("ana", lab, 9)
            requests.post(service.base + "api/results", json=record, headers=headers,
                          timeout=30).raise_for_status()
        library = Credentials(service.settings)
        (credential,) = library.credentials_of("ana")
        library.engine.dispose()
        did = credential.document["issuer"]["id"]
        assert did.startswith(f"did:web:127.0.0.1%3A{port}")
        url = did_web_url(did, scheme="http")
        assert url == f"http://127.0.0.1:{port}/.well-known/did.json"
        did_document = requests.get(url, timeout=30).json()
        assert did_document["id"] == did
        status_url = credential.document["credentialStatus"]["statusListCredential"]
        status_list = requests.get(status_url, timeout=30).json()
        (js,) = js_verify([credential.document], [status_list], [did_document])
        assert js["verified"], js
    finally:
        service.stop()
