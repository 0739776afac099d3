"""What the exchange tells people, in every language of ``locale/`` (English first).

Learners read these in the Assignments tab, which has no language switch, so an error
carries all languages and is shown as ``English / Français``.
"""

from __future__ import annotations

from pathlib import Path

from northlab.i18n import DEFAULT_LANGUAGE, Catalog

CATALOG = Catalog(Path(__file__).parent / "locale")


def translate(message_id: str, **values: object) -> dict[str, str]:
    """``{language: text}`` for ``message_id`` with ``values`` filled in."""
    return CATALOG.all_languages(message_id, **values)


def one_line(messages: dict[str, str]) -> str:
    """All languages on one line, English first, without repeating identical texts."""
    ordered = [messages.get(DEFAULT_LANGUAGE, "")] + [
        text for lang, text in sorted(messages.items()) if lang != DEFAULT_LANGUAGE
    ]
    return " / ".join(dict.fromkeys(text for text in ordered if text))


class Translated(Exception):
    """An error whose sentence exists in every language (``messages``); str() is one line."""

    def __init__(self, message_id: str, **values: object) -> None:
        self.message_id, self.values = message_id, values
        self.messages = translate(message_id, **values)
        super().__init__(one_line(self.messages))
