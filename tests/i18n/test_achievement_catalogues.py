"""Achievement texts' catalogues (labs/<track>/locale/achievement.*): made from
achievement.toml by ``python -m northlab.i18n update``, French seeded from the toml, Inuktitut
left for a translator, the shipped ones up to date, and ``status --list`` shows what is left."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from northlab.i18n import (
    Catalog,
    achievement_texts,
    read_achievement,
    write_achievement_templates,
)

REPO = Path(__file__).resolve().parents[2]
FOUNDATIONS = REPO / "labs" / "foundations" / "achievement.toml"
IDS = {"digital-foundations.name", "digital-foundations.description",
       "digital-foundations.narrative"}


def track_with(tmp_path: Path, achievement: str) -> Path:
    (tmp_path / "labs" / "foundations").mkdir(parents=True, exist_ok=True)
    (tmp_path / "labs" / "foundations" / "achievement.toml").write_text(achievement, "utf-8")
    return tmp_path / "labs"


def test_update_makes_the_catalogue_from_the_toml_and_seeds_french(tmp_path):
    labs = track_with(tmp_path, FOUNDATIONS.read_text("utf-8"))
    written = write_achievement_templates(labs)
    locale = labs / "foundations" / "locale"
    assert locale / "achievement.pot" in written
    catalog = Catalog(locale)
    assert set(catalog.messages["en"]) == IDS and catalog.messages["en"][
        "digital-foundations.name"] == "Digital Foundations"
    assert catalog.messages["fr"]["digital-foundations.name"] == "Bases du numérique"
    assert catalog.untranslated("iu") == IDS
    assert write_achievement_templates(labs) == []  # idempotent: nothing changed, nothing written


def test_changed_english_turns_french_fuzzy_and_the_toml_text_is_used(tmp_path):
    original = FOUNDATIONS.read_text("utf-8")
    labs = track_with(tmp_path, original)
    write_achievement_templates(labs)
    labs = track_with(tmp_path, original.replace('en = "Digital Foundations"',
                                                 'en = "Digital Foundations Plus"'))
    assert labs / "foundations" / "locale" / "achievement.pot" in write_achievement_templates(labs)
    catalog = Catalog(labs / "foundations" / "locale")
    assert catalog.fuzzy["fr"] == {"digital-foundations.name"}
    path = labs / "foundations" / "achievement.toml"
    name = achievement_texts(path, read_achievement(path))["name"]
    assert name == {"en": "Digital Foundations Plus", "fr": "Bases du numérique"}


def test_a_language_given_in_the_toml_is_seeded_too(tmp_path):
    achievement = FOUNDATIONS.read_text("utf-8").replace(
        'fr = "Bases du numérique" }', 'fr = "Bases du numérique", iu = "ᐊᐃ" }')
    labs = track_with(tmp_path, achievement)
    write_achievement_templates(labs)
    catalog = Catalog(labs / "foundations" / "locale")
    assert catalog.messages["iu"] == {"digital-foundations.name": "ᐊᐃ"}


def test_a_broken_achievement_is_one_sentence(tmp_path):
    labs = track_with(tmp_path, "id = \n")
    with pytest.raises(ValueError, match="cannot read achievement .*achievement.toml"):
        write_achievement_templates(labs)


def test_the_shipped_achievement_catalogues_are_up_to_date(tmp_path):
    """Whoever changes an achievement's English runs ``python -m northlab.i18n update``."""
    for toml in sorted((REPO / "labs").glob("*/achievement.toml")):
        copy = tmp_path / "labs" / toml.parent.name
        shutil.copytree(toml.parent / "locale", copy / "locale")
        shutil.copy(toml, copy / "achievement.toml")
    assert write_achievement_templates(tmp_path / "labs") == []


def test_status_lists_the_untranslated_inuktitut_achievement_texts():
    shown = subprocess.run([sys.executable, "-m", "northlab.i18n", "status", "--list", "iu"],
                           cwd=REPO, capture_output=True, text=True, timeout=120, check=True)
    assert "labs/foundations/locale: 3 messages" in shown.stdout
    assert "    iu digital-foundations.name: Digital Foundations\n" in shown.stdout
