"""An achievement's learner-facing texts: ``name``, ``description`` and criteria ``narrative``.

``labs/<track>/achievement.toml`` gives each as an ``{en = ..., fr = ...}`` table (English is
the source). Translators work on the track's catalogue ``labs/<track>/locale/achievement.pot``
and ``<lang>/LC_MESSAGES/achievement.po`` (msgctxt ``<achievement id>.<field>``), which
:func:`write_templates` (``python -m graders.i18n update``) makes from the toml's English,
seeding each language's empty entries with the toml's text in that language. A language's
text is the catalogue's translation (non-empty, not fuzzy), else the toml's, else none.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from babel.messages.catalog import Catalog as PoCatalog

from graders.i18n import (
    BRACE_FORMAT,
    COMPLETE_LANGUAGES,
    DEFAULT_LANGUAGE,
    Catalog,
    add_language,
    placeholders,
    read_catalogue,
    translation_paths,
    update,
    write_catalogue,
)

FIELDS = ("name", "description", "narrative")
DOMAIN = "achievement"
#: Languages every track's catalogue starts with (Inuktitut empty until a translator fills it).
STARTED_LANGUAGES = (*COMPLETE_LANGUAGES, "iu")


def read_achievement(path: Path) -> dict:
    """The parsed ``achievement.toml`` (ValueError in one sentence when it cannot be read)."""
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"cannot read achievement {path}: {exc}") from exc


def toml_texts(data: dict) -> dict[str, dict[str, str]]:
    """``{field: {language: text}}`` as the toml gives them (non-empty texts only)."""
    tables = {"name": data.get("name"), "description": data.get("description"),
              "narrative": (data.get("criteria") or {}).get("narrative")}
    return {field: {str(lang): str(text) for lang, text in table.items() if str(text).strip()}
            if isinstance(table, dict) else {} for field, table in tables.items()}


def message_id(achievement_id: str, field: str) -> str:
    return f"{achievement_id}.{field}"


def texts(path: Path, data: dict) -> dict[str, dict[str, str]]:
    """``{field: {language: text}}``: the toml's texts, each language the track's catalogue
    translates taking the catalogue's text."""
    found = toml_texts(data)
    folder = Path(path).parent / "locale"
    if not (folder / f"{DOMAIN}.pot").is_file():
        return found
    catalog = Catalog(folder)
    achievement_id = str(data.get("id", ""))
    for field, table in found.items():
        for language, messages in catalog.messages.items():
            text = messages.get(message_id(achievement_id, field), "")
            if language != DEFAULT_LANGUAGE and text.strip():
                table[language] = text
    return found


def _template(entries: list[tuple[str, str, Path]]) -> PoCatalog:
    po = PoCatalog(domain=DOMAIN, project="northlab", version="1", fuzzy=False,
                   header_comment="# English texts of this track's achievements, made from "
                                  "achievement.toml\n# by `python -m graders.i18n update`: "
                                  "edit the English there, not here.")
    for context, english, source in entries:
        po.add(english, context=context, auto_comments=[f"{source.name}: {context}"],
               flags={BRACE_FORMAT} if placeholders(english) else set())
    return po


def _same_messages(a: PoCatalog, b: PoCatalog) -> bool:
    def key(po: PoCatalog) -> list:
        return [(m.context, m.id, sorted(m.flags), m.auto_comments) for m in po if m.id]
    return key(a) == key(b)


def write_templates(labs_root: Path) -> list[Path]:
    """Make or refresh each track's achievement catalogue from its ``achievement.toml`` files:
    the ``.pot`` (only when the English changed), every language's ``.po`` merged, and empty
    entries seeded with the toml's text in that language. Returns the files written."""
    tracks: dict[Path, list[Path]] = {}
    for path in sorted(Path(labs_root).glob("*/achievement.toml")):
        tracks.setdefault(path.parent, []).append(path)
    written: list[Path] = []
    for track_dir, paths in tracks.items():
        folder, entries, seeds = track_dir / "locale", [], {}
        for path in paths:
            data = read_achievement(path)
            for field, table in toml_texts(data).items():
                if not table.get(DEFAULT_LANGUAGE):
                    raise ValueError(f"{path}: {field} needs its English text (en)")
                context = message_id(str(data.get("id", "")), field)
                entries.append((context, table[DEFAULT_LANGUAGE], path))
                seeds[context] = table
        template, pot = _template(entries), folder / f"{DOMAIN}.pot"
        if not pot.is_file() or not _same_messages(template, read_catalogue(pot)):
            write_catalogue(template, pot)
            written.append(pot)
        languages = {lang for table in seeds.values() for lang in table} | set(STARTED_LANGUAGES)
        for language in sorted(languages - {DEFAULT_LANGUAGE}):
            add_language(folder, language)
        update(folder)
        for language, po_path in translation_paths(folder).items():
            po = read_catalogue(po_path)
            empty = [m for m in po if m.id and not m.string and seeds.get(m.context, {})
                     .get(language)]
            for message in empty:
                message.string = seeds[message.context][language]
            if empty:
                write_catalogue(po, po_path)
                written.append(po_path)
    return written
