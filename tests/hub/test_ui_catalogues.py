"""Every catalogue a learner or lead reads: complete in French, one French word for credential,
and the credential service's pages link back to the hub and the gradebook."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from tornado.template import Loader, Template

from hub.tracks import LOCALE
from northlab.i18n import Catalog, locale_folders

REPO = Path(__file__).resolve().parents[2]
CATALOGUES = locale_folders(REPO)


def test_the_catalogues_are_found():
    names = {str(folder.relative_to(REPO)) for folder in CATALOGUES}
    assert {"hub/locale", "graders/locale", "hub/services/gradebook/locale",
            "hub/services/credentials/locale"} <= names


@pytest.mark.parametrize("folder", CATALOGUES, ids=lambda p: str(p.relative_to(REPO)))
def test_french_says_attestation_for_every_credential(folder):
    """One French term: 'attestation' wherever English says 'credential'."""
    english, french = Catalog(folder).messages["en"], Catalog(folder).messages["fr"]
    for key, text in english.items():
        if re.search(r"credential", text, re.I):
            assert re.search(r"attestation", french.get(key, ""), re.I), (key, french.get(key))
    for key, text in french.items():
        assert not re.search(r"titres? de comp[ée]tences?", text, re.I), (key, text)


def test_hub_catalogue_is_complete_with_the_same_placeholders():
    assert LOCALE.missing() == {}
    for key, text in LOCALE.messages["en"].items():
        wanted = set(re.findall(r"{(\w+)}", text))
        assert set(re.findall(r"{(\w+)}", LOCALE.messages["fr"][key])) == wanted, key


def test_lab_and_nbgrader_texts_are_translated():
    """The JupyterLab menu and every nbgrader text it replaces differ in French."""
    for key, text in LOCALE.messages["en"].items():
        if key.startswith(("lab.", "nbgrader.")) and key != "lab.menu":
            assert LOCALE.messages["fr"][key] != text, key


def credentials_page(lang: str) -> str:
    loader = Loader(str(REPO / "hub" / "services" / "credentials" / "templates"))
    page = Template('{% extends "base.html" %}{% block body %}<p>x</p>{% end %}', loader=loader)
    catalog = Catalog(REPO / "hub" / "services" / "credentials" / "locale")
    return page.generate(
        handler=SimpleNamespace(settings={"prefix": "/services/credentials/"}), lang=lang,
        request=SimpleNamespace(uri=f"/services/credentials/verify?id=x&lang={lang}"),
        other="fr" if lang == "en" else "en", t=lambda key, **v: catalog.text(key, lang, **v),
    ).decode()


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_credentials_pages_link_back_to_the_hub_and_progress(lang):
    page = credentials_page(lang)
    for href, key in (("/hub/home", "page.home"), ("/services/gradebook/me", "page.progress"),
                      ("/services/credentials/", "page.credentials")):
        assert f'<a href="{href}">{LOCALE.text(key, lang)}</a>' in page
    for other in set(LOCALE.languages) - {lang}:  # the switch goes through the hub, which
        switch = ("/hub/northlab/language?lang=" + other  # remembers it for the person
                  + "&amp;next=%2Fservices%2Fcredentials%2Fverify%3Fid%3Dx")
        assert f'<a href="{switch}" lang="{other}" hreflang="{other}">' in page, other


def test_the_same_place_has_the_same_name_everywhere():
    """Hub pages, JupyterLab's menu and the gradebook name My progress / credentials alike."""
    gradebook = Catalog(REPO / "hub" / "services" / "gradebook" / "locale")
    credentials = Catalog(REPO / "hub" / "services" / "credentials" / "locale")
    for lang in ("en", "fr"):
        progress = {LOCALE.text("page.progress", lang), LOCALE.text("lab.progress", lang),
                    gradebook.text("nav.me", lang), gradebook.text("me.title", lang)}
        mine = {LOCALE.text("page.credentials", lang), LOCALE.text("lab.credentials", lang),
                gradebook.text("nav.credentials", lang),
                credentials.text("my_credentials", lang)}
        assert len(progress) == 1 and len(mine) == 1, (progress, mine)
