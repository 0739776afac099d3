"""Is an Inuktitut page's English marked? Shared by the services' page tests."""

from __future__ import annotations

import re
from collections.abc import Iterable

from bs4 import BeautifulSoup, Comment

SYLLABICS = re.compile("[\u1400-\u167f\u18b0-\u18ff]")
LATIN = re.compile("[A-Za-z\u00c0-\u024f]")


def mismarked(page: str, names: Iterable[str] = ()) -> list[str]:
    """Texts of an Inuktitut page in the wrong language: syllabics outside ``lang="iu"``,
    Latin letters (English shown for a text not translated yet) inside it. ``names``
    (people, cohorts, ids) are in no language and are left out of the texts."""
    body = BeautifulSoup(page, "html.parser").body
    assert body is not None and body.find_parent("html")["lang"] == "iu"
    names = sorted(names, key=len, reverse=True)
    found = []
    for text in body.find_all(string=True):
        if isinstance(text, Comment) or text.parent.name in ("script", "style"):
            continue
        words = str(text)
        for name in names:
            words = words.replace(name, "")
        lang = text.find_parent(attrs={"lang": True})["lang"]
        if SYLLABICS.search(words) and lang != "iu" or \
                not SYLLABICS.search(words) and LATIN.search(words) and lang == "iu":
            found.append(f"{lang}: {words.strip()[:60]}")
    return found
