"""Message catalogues complete in French; achievements bilingual; did:web keys and rotation."""

from __future__ import annotations

import os
import tomllib
from dataclasses import replace
from pathlib import Path

from graders.lab import TRACKS
from hub.services.credentials.achievements import load_achievements
from hub.services.credentials.app import CATALOG
from hub.services.credentials.keys import did_web
from hub.services.credentials.service import Credentials
from hub.services.credentials.settings import load_settings
from hub.services.credentials.verify import verify_credential
from northlab.i18n import Catalog
from northlab.settings import REPO


def test_every_english_message_exists_in_french():
    assert Catalog(CATALOG.folder).missing() == {}
    assert {"en", "fr"} <= set(CATALOG.languages)


def test_every_failure_code_has_a_translated_reason():
    codes = {
        "valid",
        "bad-signature",
        "tampered",
        "wrong-key",
        "unknown-key",
        "revoked",
        "expired",
        "not-yet-valid",
        "malformed",
        "no-proof",
        "unsupported-proof",
        "wrong-purpose",
        "undefined-term",
        "bad-status-list",
        "not-found",
    }
    for code in codes:
        assert CATALOG.text(f"reason_{code}", "fr", detail="x") != f"reason_{code}"


def test_repository_achievements_are_bilingual_and_one_per_track():
    achievements = load_achievements(REPO / "labs")
    tracks = {a.track for a in achievements.values()}
    assert tracks == set(TRACKS)
    for achievement in achievements.values():
        assert achievement.name["fr"] and achievement.narrative["fr"]
        assert achievement.min_labs >= 1 and 0 < achievement.min_percent <= 100
    for path in (REPO / "labs").glob("*/*/lab.toml"):  # every lab names a known achievement
        lab = tomllib.loads(path.read_text(encoding="utf-8"))
        assert lab.get("credential", achievement.id) in achievements, path


def test_did_web_identifiers():
    assert did_web("lab.example.org") == "did:web:lab.example.org"
    assert did_web("localhost:8000/services/credentials") == (
        "did:web:localhost%3A8000:services:credentials"
    )


def test_did_web_rotation_keeps_old_credentials_verifiable(settings, js_verify):
    web = replace(settings, did_method="web", did_web_domain="lab.example.org")
    library = Credentials(web)
    first = library.award("ana", "cybersecurity-foundations", awarded_by="t", reason="r").document
    library.rotate_key()
    second = library.award("bob", "cybersecurity-foundations", awarded_by="t", reason="r").document
    assert first["issuer"]["id"] == second["issuer"]["id"] == "did:web:lab.example.org"
    assert first["proof"][0]["verificationMethod"] != second["proof"][0]["verificationMethod"]
    did_document = library.did_document()
    assert len(did_document["verificationMethod"]) == 2
    known = {
        m["id"]: (did_document["id"], m["publicKeyMultibase"])
        for m in did_document["verificationMethod"]
    }
    for document in (first, second):
        result = verify_credential(document, loader=library.loader, known_keys=known)
        assert result.valid, result.message
        # without the DID document, a did:web credential cannot be checked offline
        assert verify_credential(document, loader=library.loader).code == "unknown-key"
    lists = [library.status_list_credential(n) for n in (1, 2)]
    both = js_verify([first, second], lists, [did_document])
    assert all(r["verified"] and not r["revoked"] for r in both), both
    forged = dict(second, name="Changed")
    assert not js_verify([forged], lists, [did_document])[0]["verified"]


def test_settings_from_file_and_environment(tmp_path: Path):
    config = tmp_path / "northlab.toml"
    config.write_text(
        'data_root = "/srv/x"\nport = 8123\n[credentials]\nissuer_name = "Nunavut Lab"\n'
    )
    settings = load_settings({"NORTHLAB_CONFIG": str(config)})
    assert settings.public_url == "http://127.0.0.1:8123/services/credentials"
    assert settings.issuer_name == "Nunavut Lab" and settings.data_root == Path("/srv/x")
    assert settings.db_url == "sqlite:////srv/x/credentials/records.sqlite"
    env = load_settings(
        {"NORTHLAB_CONFIG": str(config), "NORTHLAB_CREDENTIALS_ISSUER_NAME": "Env Lab"}
    )
    assert env.issuer_name == "Env Lab"


def test_public_url_may_be_the_hubs_address():
    bare = load_settings(
        {"NORTHLAB_CONFIG": os.devnull, "NORTHLAB_CREDENTIALS_PUBLIC_URL": "https://lab.example.org/"}
    )
    assert bare.public_url == "https://lab.example.org/services/credentials"
    full = load_settings(
        {"NORTHLAB_CONFIG": os.devnull, "NORTHLAB_CREDENTIALS_PUBLIC_URL": "https://x.org/a/b/"}
    )
    assert full.public_url == "https://x.org/a/b"
