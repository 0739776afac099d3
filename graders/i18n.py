"""Message catalogues for everything a learner or cohort lead reads.

Each component keeps a ``locale/`` folder with one JSON file per language
(``en.json``, ``fr.json``; a translator adds ``iu.json`` for Inuktitut with no code
change). A catalogue maps message ids to text with ``str.format`` placeholders.
Missing ids fall back to English, then to the id itself.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

DEFAULT_LANGUAGE = "en"
GRADERS_LOCALE = Path(__file__).parent / "locale"


class Catalog:
    """All languages of one locale folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.messages: dict[str, dict[str, str]] = {
            path.stem: json.loads(path.read_text(encoding="utf-8"))
            for path in sorted(self.folder.glob("*.json"))
        }

    @property
    def languages(self) -> list[str]:
        return sorted(self.messages)

    def text(self, message_id: str, language: str = DEFAULT_LANGUAGE, **values: object) -> str:
        """Return the message in ``language`` with ``values`` filled in."""
        for lang in (language, DEFAULT_LANGUAGE):
            template = self.messages.get(lang, {}).get(message_id)
            if template is not None:
                return template.format(**values)
        return message_id

    def all_languages(self, message_id: str, **values: object) -> dict[str, str]:
        """Return ``{language: text}`` for every language of the catalogue."""
        return {lang: self.text(message_id, lang, **values) for lang in self.languages}

    def missing(self) -> dict[str, set[str]]:
        """Message ids present in English but missing from another language."""
        english = set(self.messages.get(DEFAULT_LANGUAGE, {}))
        return {
            lang: english - set(messages)
            for lang, messages in self.messages.items()
            if english - set(messages)
        }


@cache
def catalog(folder: Path = GRADERS_LOCALE) -> Catalog:
    """The (cached) catalogue of a locale folder; defaults to the grader's own."""
    return Catalog(folder)


def pick_language(accept_language: str | None, available: list[str]) -> str:
    """Choose a language from an HTTP ``Accept-Language`` header."""
    if accept_language:
        weighted = []
        for part in accept_language.split(","):
            tag, _, q = part.strip().partition(";q=")
            try:
                weight = float(q) if q else 1.0
            except ValueError:
                weight = 0.0
            weighted.append((weight, tag.split("-")[0].lower()))
        for _, lang in sorted(weighted, reverse=True):
            if lang in available:
                return lang
    return DEFAULT_LANGUAGE
