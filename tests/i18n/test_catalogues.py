"""The gettext catalogues: translators' layout, French complete, placeholders kept, Inuktitut
started without invented text, and the update/init workflow of docs/translating.md."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from northlab.i18n import (
    BRACE_FORMAT,
    Catalog,
    add_language,
    locale_folders,
    pick_language,
    placeholders,
    read_catalogue,
    template_path,
    translation_paths,
    update,
)

REPO = Path(__file__).resolve().parents[2]
FOLDERS = locale_folders(REPO)
IDS = [str(folder.relative_to(REPO)) for folder in FOLDERS]
#: Inuktitut entries shipped translated, each one sure (CLDR's own name of the language).
#: More only from a named translator (their tool fills the Last-Translator header).
INUKTITUT = {"language.name": "ᐃᓄᒃᑎᑐᑦ"}
NO_TRANSLATOR = "FULL NAME <EMAIL@ADDRESS>"


def test_every_learner_facing_component_has_a_catalogue_and_no_json_is_left():
    names = set(IDS)
    assert {"hub/locale", "graders/locale", "hub/services/gradebook/locale",
            "hub/services/credentials/locale", "hub/services/exchange/locale",
            "hub/kit/locale"} <= names
    left = [p for top in ("graders", "hub", "labs") for p in (REPO / top).glob("**/locale/*.json")]
    assert left == []


@pytest.mark.parametrize("folder", FOLDERS, ids=IDS)
def test_layout_is_what_gettext_tools_expect(folder):
    domain = template_path(folder).stem
    assert set(translation_paths(folder)) >= {"fr", "iu"}
    for language, path in translation_paths(folder).items():
        assert path == folder / language / "LC_MESSAGES" / f"{domain}.po"
        assert str(read_catalogue(path).locale) == language


@pytest.mark.parametrize("folder", FOLDERS, ids=IDS)
def test_every_language_has_every_message_of_the_template(folder):
    """``python -m northlab.i18n update`` was run: same ids, same English, nothing extra."""
    english = {m.context: m.id for m in read_catalogue(template_path(folder)) if m.id}
    assert english and all(english), folder
    for path in translation_paths(folder).values():
        entries = {m.context: m.id for m in read_catalogue(path) if m.id}
        assert entries == english, path


@pytest.mark.parametrize("folder", FOLDERS, ids=IDS)
def test_french_is_complete(folder):
    catalog = Catalog(folder)
    assert catalog.missing() == {} and catalog.fuzzy["fr"] == set()
    assert set(catalog.messages["fr"]) == set(catalog.messages["en"])


@pytest.mark.parametrize("folder", FOLDERS, ids=IDS)
def test_placeholders_match_in_every_language_and_are_flagged(folder):
    catalog = Catalog(folder)
    assert all(not broken for broken in catalog.broken.values()), catalog.broken
    english = catalog.messages["en"]
    for language, messages in catalog.messages.items():
        for key, text in messages.items():
            assert placeholders(text) == placeholders(english[key]), (language, key)
    for message in read_catalogue(template_path(folder)):
        if message.id:
            flagged = BRACE_FORMAT in message.flags
            assert flagged == bool(placeholders(message.id)), message.context


@pytest.mark.parametrize("folder", FOLDERS, ids=IDS)
def test_inuktitut_holds_only_reviewed_entries_and_falls_back_to_english(folder):
    catalog = Catalog(folder)
    if read_catalogue(translation_paths(folder)["iu"]).last_translator == NO_TRANSLATOR:
        assert catalog.messages["iu"] == {k: v for k, v in INUKTITUT.items()
                                          if k in catalog.messages["en"]}
    untranslated = min(k for k in catalog.untranslated("iu")
                       if not placeholders(catalog.messages["en"][k]))
    assert catalog.text(untranslated, "iu") == catalog.messages["en"][untranslated]
    assert catalog.all_languages(untranslated)["iu"] == catalog.messages["en"][untranslated]
    assert catalog.language_of(untranslated, "iu") == "en"  # screen readers read it as English
    assert catalog.language_of(untranslated, "fr") == "fr"


def test_untranslated_text_on_an_inuktitut_page_is_marked_english():
    from hub.pages.hub_pages import PageTexts
    from hub.pages.track_form import in_every_language

    assert '<span class="l-iu" lang="en">Choose your track</span>' in in_every_language(
        "spawn.choose")
    texts = PageTexts()
    assert (texts.lang_of("sign_in", "iu"), texts.lang_of("sign_in", "fr")) == ("en", "fr")
    assert texts.catalog.language_of("language.name", "iu") == "iu"


def test_a_translation_with_wrong_placeholders_is_not_shown(tmp_path):
    folder = shutil.copytree(REPO / "hub" / "locale", tmp_path / "locale")
    french = folder / "fr" / "LC_MESSAGES" / "hub.po"
    text = french.read_text(encoding="utf-8")
    assert 'msgstr "Bienvenue, {user}"' in text
    french.write_text(text.replace('msgstr "Bienvenue, {user}"', 'msgstr "Bienvenue, {nom}"'),
                      encoding="utf-8")
    catalog = Catalog(folder)
    assert catalog.broken["fr"] == {"page.welcome"}
    assert catalog.text("page.welcome", "fr", user="ana") == "Welcome, ana"
    assert catalog.missing() == {"fr": {"page.welcome"}}


def test_update_brings_new_english_to_every_language_and_marks_changed_english_fuzzy(tmp_path):
    folder = shutil.copytree(REPO / "hub" / "locale", tmp_path / "locale")
    pot = folder / "hub.pot"
    text = pot.read_text(encoding="utf-8")
    text = text.replace('msgid "Welcome, {user}"', 'msgid "Hello, {user}"')
    text += '\n#, python-brace-format\nmsgctxt "page.new"\nmsgid "New {thing}"\nmsgstr ""\n'
    pot.write_text(text, encoding="utf-8")
    update(folder)
    catalog = Catalog(folder)
    for language in ("fr", "iu"):
        assert "page.new" in catalog.untranslated(language)
    assert catalog.fuzzy["fr"] == {"page.welcome"}
    assert catalog.text("page.welcome", "fr", user="ana") == "Hello, ana"
    assert catalog.missing() == {"fr": {"page.new", "page.welcome"}}
    before = {p: p.read_bytes() for p in translation_paths(folder).values()}
    update(folder)  # idempotent
    assert before == {p: p.read_bytes() for p in translation_paths(folder).values()}


def test_a_new_language_starts_empty_in_poedit_form(tmp_path):
    folder = shutil.copytree(REPO / "graders" / "locale", tmp_path / "locale")
    path = add_language(folder, "cr")
    assert path == folder / "cr" / "LC_MESSAGES" / "graders.po"
    assert add_language(folder, "cr") is None
    catalog = Catalog(folder)
    assert "cr" in catalog.languages and catalog.messages["cr"] == {}
    assert catalog.text("test.passed", "cr") == "Passed."
    po = read_catalogue(path)
    assert all(not m.string for m in po if m.id)
    assert any(BRACE_FORMAT in m.flags for m in po if m.id)


def test_json_export_for_the_lab_extension_and_clear_errors():
    python = [sys.executable, "-m", "northlab.i18n"]
    done = subprocess.run([*python, "json", "hub/locale"], cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0
    assert '"ᐃᓄᒃᑎᑐᑦ"' in done.stdout and '"Mes attestations"' in done.stdout
    bad = subprocess.run([*python, "json", "no/such/folder"], cwd=REPO, capture_output=True,
                         text=True, timeout=120)
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    assert bad.stderr.count("\n") == 1 and "one .pot" in bad.stderr


@pytest.mark.parametrize(("header", "chosen"), [
    ("fr; q=0.9, en;q=0.5", "fr"), ("en;q=0.5, fr-CA ; Q=0.8", "fr"), ("en, fr", "en"),
    ("fr, en", "fr"), ("fr;q=0, en;q=0.1", "en"), ("de, iu;q=0.3", "iu"), ("", "en"),
    ("fr;q=abc, en;q=0.2", "en"),
])
def test_the_accept_language_header_is_read_as_browsers_write_it(header, chosen):
    assert pick_language(header, ["en", "fr", "iu"]) == chosen
