"""An achievement's texts reach the credential through the track's PO catalogue
(labs/<track>/locale/achievement.po): a language a translator fills appears on the
achievement's page and in issued credentials; an empty catalogue adds no language."""

from __future__ import annotations

import base64
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
import requests

from hub.services.credentials.badge import achievement_document
from hub.services.credentials.service import Credentials
from northlab.i18n import ACHIEVEMENT_FIELDS, read_catalogue, write_catalogue
from tests.support.ports import free_port

from .conftest import ServiceProcess
from .test_foundations_badge import FOUNDATIONS, foundations_record

#: Stands in for a translator's text (the test needs syllabics, not a real translation).
TRANSLATED = {"name": "ᐃᓄᒃᑎᑐᑦ ᐊ", "description": "ᐃᓄᒃᑎᑐᑦ ᐅ", "narrative": "ᐃᓄᒃᑎᑐᑦ ᐃ"}


def copy_track(tmp_path: Path) -> Path:
    """The foundations track's achievement, labs and catalogue, as shipped."""
    labs = tmp_path / "labs"
    track = labs / "foundations"
    for lab in FOUNDATIONS.glob("*/lab.toml"):
        (track / lab.parent.name).mkdir(parents=True)
        shutil.copy(lab, track / lab.parent.name / "lab.toml")
    shutil.copy(FOUNDATIONS / "achievement.toml", track / "achievement.toml")
    shutil.copytree(FOUNDATIONS / "locale", track / "locale")
    return labs


def translate(labs: Path, texts: dict[str, str], fuzzy: bool = False) -> None:
    """What Poedit does when a translator fills the Inuktitut entries."""
    path = labs / "foundations" / "locale" / "iu" / "LC_MESSAGES" / "achievement.po"
    po = read_catalogue(path)
    for message in po:
        field = (message.context or "").removeprefix("digital-foundations.")
        if field in texts:
            message.string = texts[field]
            if fuzzy:
                message.flags.add("fuzzy")
    write_catalogue(po, path)


@pytest.fixture
def library(settings, tmp_path):
    def make(labs: Path) -> Credentials:
        made.append(Credentials(replace(settings, labs_root=labs)))
        return made[-1]
    made: list[Credentials] = []
    yield make
    for credentials in made:
        credentials.engine.dispose()


def test_the_shipped_catalogue_gives_english_and_french_only(library, tmp_path):
    achievement = library(copy_track(tmp_path)).achievement("digital-foundations")
    assert achievement.languages == ("en", "fr")
    assert achievement.name["fr"] == "Bases du numérique"


def test_a_filled_inuktitut_catalogue_names_the_issued_credential_in_inuktitut(
        library, tmp_path, settings):
    labs = copy_track(tmp_path)
    translate(labs, TRANSLATED)
    credentials = library(labs)
    achievement = credentials.achievement("digital-foundations")
    assert achievement.languages == ("en", "fr", "iu")
    page = achievement_document(achievement, settings.public_url, "iu")
    assert (page["name"], page["description"], page["criteria"]["narrative"]) == tuple(
        TRANSLATED[field] for field in ACHIEVEMENT_FIELDS)
    for lab in sorted(achievement.labs):
        credentials.record_result(foundations_record("ana", lab, 9), reported_by="grader")
    (credential,) = credentials.credentials_of("ana")
    subject = credential.document["credentialSubject"]["achievement"]
    assert [r["inLanguage"] for r in subject["related"]] == ["fr", "iu"]
    svg = base64.b64decode(subject["image"]["id"].split(",", 1)[1]).decode()
    assert f'lang="iu">{TRANSLATED["name"]}' in svg


@pytest.mark.parametrize("case", ["name only", "fuzzy"])
def test_a_partial_or_fuzzy_translation_adds_no_language(library, tmp_path, case):
    labs = copy_track(tmp_path)
    if case == "name only":
        translate(labs, {"name": TRANSLATED["name"]})
    else:
        translate(labs, TRANSLATED, fuzzy=True)
    achievement = library(labs).achievement("digital-foundations")
    assert achievement.languages == ("en", "fr")
    assert "iu" not in achievement.description


def test_the_catalogue_wins_over_the_toml_and_the_toml_fills_in(library, tmp_path):
    labs = copy_track(tmp_path)
    fr = labs / "foundations" / "locale" / "fr" / "LC_MESSAGES" / "achievement.po"
    po = read_catalogue(fr)
    po.get("Digital Foundations", context="digital-foundations.name").string = "Bases (revu)"
    po.get(next(m.id for m in po if m.context == "digital-foundations.description"),
           context="digital-foundations.description").string = ""
    write_catalogue(po, fr)
    achievement = library(labs).achievement("digital-foundations")
    assert achievement.name["fr"] == "Bases (revu)"
    assert achievement.description["fr"].startswith("A suivi un programme")


def test_the_service_serves_inuktitut_once_the_catalogue_has_it(settings, tmp_path):
    labs = copy_track(tmp_path)
    port = free_port()
    served = replace(settings, labs_root=labs,
                     public_url=f"http://127.0.0.1:{port}/services/credentials")
    for translated in (False, True):
        if translated:
            translate(labs, TRANSLATED)
        process = ServiceProcess(served, port, token="grader-secret-token")
        process.start()
        try:
            response = requests.get(process.base + "achievements/digital-foundations/iu",
                                    timeout=30)
        finally:
            process.stop()
        if translated:
            assert response.json()["name"] == TRANSLATED["name"]
        else:
            assert response.status_code == 404
