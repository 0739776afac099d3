"""The Digital Foundations achievement (labs/foundations/achievement.toml) is issued from the
six weekly activities' results, as an OB 3.0 credential that names it in English, French
and, once a translator adds it, Inuktitut; the credential verifies."""

from __future__ import annotations

import base64
import copy
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
import requests

from hub.services.credentials.badge import achievement_document
from hub.services.credentials.service import Credentials
from tests.support.ports import free_port

from .conftest import REPO, ServiceProcess, make_record
from .test_verification import check

FOUNDATIONS = REPO / "labs" / "foundations"
#: Stands in for a translator's text (the test needs syllabics, not a real translation).
TRANSLATED = {"name": "ᐃᓄᒃᑎᑐᑦ ᐊ", "description": "ᐃᓄᒃᑎᑐᑦ ᐅ", "narrative": "ᐃᓄᒃᑎᑐᑦ ᐃ"}


def with_inuktitut(achievement: str) -> str:
    """What a translator does: add ``iu`` next to ``fr`` in name, description, narrative."""
    for key, text in TRANSLATED.items():
        start = achievement.index(f"\n{key} = {{ en = ") + 1
        end = achievement.index(" }\n", start)
        achievement = achievement[:end] + f', iu = "{text}"' + achievement[end:]
    return achievement


@pytest.fixture
def foundations_settings(settings, tmp_path: Path):
    labs = tmp_path / "foundations-labs"
    for lab in FOUNDATIONS.glob("*/lab.toml"):
        (labs / "foundations" / lab.parent.name).mkdir(parents=True)
        shutil.copy(lab, labs / "foundations" / lab.parent.name / "lab.toml")
    (labs / "foundations" / "achievement.toml").write_text(
        with_inuktitut((FOUNDATIONS / "achievement.toml").read_text(encoding="utf-8")),
        encoding="utf-8")
    return replace(settings, labs_root=labs)


def foundations_record(learner: str, lab: str, score: float) -> dict:
    record = copy.deepcopy(make_record(learner, lab, score))
    record["track"] = "foundations"
    return record


def test_six_weeks_earn_digital_foundations_in_three_languages(foundations_settings):
    library = Credentials(foundations_settings)
    try:
        achievement = library.achievement("digital-foundations")
        assert achievement.languages == ("en", "fr", "iu")
        labs = sorted(achievement.labs)
        assert len(labs) == 6
        for lab in labs[:-1]:
            assert library.record_result(foundations_record("ana", lab, 8),
                                         reported_by="grader").issued == []
        issued = library.record_result(foundations_record("ana", labs[-1], 7),
                                       reported_by="grader").issued
        assert len(issued) == 1
        (credential,) = library.credentials_of("ana")
        document = credential.document
        subject = document["credentialSubject"]["achievement"]
        assert subject["name"] == "Digital Foundations" and subject["inLanguage"] == "en"
        related = {r["inLanguage"]: r["id"] for r in subject["related"]}
        assert set(related) == {"fr", "iu"} and related["iu"].endswith("/digital-foundations/iu")
        svg = base64.b64decode(subject["image"]["id"].split(",", 1)[1]).decode()
        for language, name in (("en", "Digital"), ("fr", "Bases du numérique"),
                               ("iu", TRANSLATED["name"])):
            assert f'lang="{language}">{name}' in svg
        public = foundations_settings.public_url
        french = achievement_document(achievement, public, "fr")
        inuktitut = achievement_document(achievement, public, "iu")
        assert french["name"] == "Bases du numérique"
        assert (inuktitut["name"], inuktitut["description"]) == (
            TRANSLATED["name"], TRANSLATED["description"])
        assert inuktitut["criteria"]["narrative"] == TRANSLATED["narrative"]
        assert check(library, document).valid
        tampered = copy.deepcopy(document)
        tampered["credentialSubject"]["achievement"]["related"][1]["inLanguage"] = "fr"
        assert not check(library, tampered).valid
    finally:
        library.engine.dispose()


def test_without_a_translation_the_credential_is_english_and_french(settings, tmp_path):
    labs = tmp_path / "plain"
    (labs / "foundations").mkdir(parents=True)
    shutil.copy(FOUNDATIONS / "achievement.toml", labs / "foundations" / "achievement.toml")
    library = Credentials(replace(settings, labs_root=labs))
    try:
        achievement = library.achievement("digital-foundations")
        assert achievement.languages == ("en", "fr")
        document = achievement_document(achievement, settings.public_url)
        assert [r["inLanguage"] for r in document["related"]] == ["fr"]
    finally:
        library.engine.dispose()


def test_the_service_serves_each_language_of_the_achievement(foundations_settings):
    port = free_port()
    served = replace(foundations_settings,
                     public_url=f"http://127.0.0.1:{port}/services/credentials")
    process = ServiceProcess(served, port, token="grader-secret-token")
    process.start()
    try:
        base = process.base + "achievements/digital-foundations"
        assert requests.get(base + "/iu", timeout=30).json()["name"] == TRANSLATED["name"]
        assert requests.get(base + "/fr", timeout=30).json()["name"] == "Bases du numérique"
        assert requests.get(base + "/de", timeout=30).status_code == 404
    finally:
        process.stop()
