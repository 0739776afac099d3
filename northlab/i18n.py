"""Message catalogues for everything a learner or cohort lead reads: gettext PO files.

Each component keeps a ``locale/`` folder in the layout gettext tools (Poedit, Weblate,
``pybabel``, ``msgmerge``) expect, read directly with Babel (no compiled ``.mo`` to go stale)::

    locale/<domain>.pot                     English: msgctxt = message id, msgid = the text
    locale/<lang>/LC_MESSAGES/<domain>.po   one translation per language (fr, iu, ...)

Texts use ``str.format`` placeholders (``{name}``, flag ``python-brace-format``). An empty or
fuzzy translation, or one whose placeholders differ from English, falls back to English,
then to the id. Achievements' texts get a catalogue per track made from their
``achievement.toml`` (see *Achievement texts* below). ``python -m northlab.i18n --help`` adds
a language, merges new English messages into every language, or exports JSON for the
JupyterLab extension; docs/translating.md explains the workflow.
"""

from __future__ import annotations

import argparse
import json
import string
import sys
import tomllib
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog as PoCatalog
from babel.messages.pofile import read_po, write_po

DEFAULT_LANGUAGE = "en"
#: Languages every catalogue must translate completely (tests hold them to it).
COMPLETE_LANGUAGES = ("fr",)
REPO = Path(__file__).resolve().parent.parent
#: Where northlab's catalogues live (not var/, .venv/ or node_modules/).
SOURCES = ("graders", "hub", "labs")
BRACE_FORMAT = "python-brace-format"
PO_WIDTH = 100


def placeholders(text: str) -> set[str]:
    """The ``{name}`` fields of a ``str.format`` text."""
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}


def read_catalogue(path: Path) -> PoCatalog:
    """One .pot or .po file (obsolete ``#~`` entries dropped)."""
    with path.open("rb") as file:
        return read_po(file, ignore_obsolete=True)


def template_path(folder: Path) -> Path:
    """The folder's one ``<domain>.pot``."""
    found = sorted(Path(folder).glob("*.pot"))
    if len(found) != 1:
        raise FileNotFoundError(f"{folder} must hold exactly one .pot template, found {len(found)}")
    return found[0]


def translation_paths(folder: Path) -> dict[str, Path]:
    """``{language: locale/<lang>/LC_MESSAGES/<domain>.po}`` of a locale folder."""
    domain = template_path(folder).stem
    return {path.parents[1].name: path
            for path in sorted(Path(folder).glob(f"*/LC_MESSAGES/{domain}.po"))}


class Catalog:
    """All languages of one locale folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.template = read_catalogue(template_path(self.folder))
        english = {m.context: m.id for m in self.template if m.id and m.context}
        #: ``{language: {message id: text}}``, only messages a language translates.
        self.messages: dict[str, dict[str, str]] = {DEFAULT_LANGUAGE: english}
        #: ``{language: message ids marked fuzzy}`` (English changed since the translation).
        self.fuzzy: dict[str, set[str]] = {}
        #: ``{language: message ids}`` whose placeholders differ from English (English is shown).
        self.broken: dict[str, set[str]] = {}
        for language, path in translation_paths(self.folder).items():
            entries = [m for m in read_catalogue(path)
                       if m.id and m.context in english and m.string]
            self.fuzzy[language] = {m.context for m in entries if m.fuzzy}
            self.broken[language] = {m.context for m in entries
                                     if placeholders(m.string) != placeholders(english[m.context])}
            self.messages[language] = {
                m.context: m.string for m in entries
                if m.context not in self.fuzzy[language] | self.broken[language]}

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

    def language_of(self, message_id: str, language: str) -> str:
        """The language :meth:`text` answers in (English for an untranslated message), for
        the ``lang`` attribute that tells screen readers how to pronounce it."""
        return language if message_id in self.messages.get(language, {}) else DEFAULT_LANGUAGE

    def all_languages(self, message_id: str, **values: object) -> dict[str, str]:
        """``{language: text}`` for every language of the catalogue (English where a language
        does not translate the message yet)."""
        return {lang: self.text(message_id, lang, **values) for lang in self.languages}

    def untranslated(self, language: str) -> set[str]:
        """English message ids that ``language`` does not translate (yet)."""
        return set(self.messages[DEFAULT_LANGUAGE]) - set(self.messages.get(language, {}))

    def missing(self) -> dict[str, set[str]]:
        """Untranslated ids of the languages that must be complete (French)."""
        return {lang: self.untranslated(lang) for lang in COMPLETE_LANGUAGES
                if self.untranslated(lang)}


@cache
def catalog(folder: Path) -> Catalog:
    """The (cached) catalogue of a locale folder."""
    return Catalog(folder)


class Shown(str):
    """A text to show and the language it is in (English where the page's has none)."""

    lang: str

    def __new__(cls, text: str, lang: str) -> Shown:
        shown = super().__new__(cls, text)
        shown.lang = lang
        return shown


def pick(texts: Any, language: str, fallback: str = "") -> Shown:
    """``texts[language]`` of a ``{language: text}`` (a lab's title, a test's feedback), else
    its English; a plain string is English; ``fallback`` (a name) when there is none."""
    if isinstance(texts, Mapping):
        for lang in (language, DEFAULT_LANGUAGE):
            if isinstance(texts.get(lang), str) and texts[lang]:
                return Shown(texts[lang], lang)
    if isinstance(texts, str) and texts:
        return Shown(texts, DEFAULT_LANGUAGE)
    return Shown(fallback, language)


def pick_language(accept_language: str | None, available: list[str]) -> str:
    """Choose a language from an HTTP ``Accept-Language`` header (``fr-CA; q=0.9, en``):
    the highest ``q`` first, the header's order between equals, ``q=0`` never."""
    weighted = []
    for part in (accept_language or "").split(","):
        tag, *parameters = (piece.strip() for piece in part.split(";"))
        weight = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value.strip())
                except ValueError:
                    weight = 0.0
        if weight > 0:
            weighted.append((weight, tag.split("-")[0].lower()))
    for _, lang in sorted(weighted, key=lambda pair: pair[0], reverse=True):
        if lang in available:
            return lang
    return DEFAULT_LANGUAGE


def locale_folders(root: Path = REPO) -> list[Path]:
    """Every catalogue folder of the repository."""
    return sorted(path.parent for top in SOURCES for path in (root / top).glob("**/locale/*.pot"))


def write_catalogue(po: PoCatalog, path: Path) -> None:
    """Write a .po/.pot in the form translators' tools write it (stable, message order kept)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as file:
        write_po(file, po, width=PO_WIDTH, omit_header=False, ignore_obsolete=True)


def new_translation(template: PoCatalog, language: str) -> PoCatalog:
    """An empty translation of ``template`` into ``language`` (every message untranslated)."""
    po = PoCatalog(locale=language, domain=template.domain, project="northlab", version="1",
                   fuzzy=False, header_comment=f"# {language} translation of northlab's messages.\n"
                                  "# Empty msgstr: not translated yet (English is shown).")
    for message in template:
        if message.id:
            po.add(message.id, context=message.context, flags=message.flags,
                   auto_comments=message.auto_comments)
    return po


def update(folder: Path) -> list[Path]:
    """Merge the English template into every language of ``folder`` (like ``msgmerge``):
    new messages arrive untranslated, changed English turns the translation fuzzy."""
    template = read_catalogue(template_path(folder))
    english = {m.context: m.id for m in template if m.id}
    written = []
    for path in translation_paths(folder).values():
        po = read_catalogue(path)
        changed = {m.context: m for m in po if m.id and english.get(m.context, m.id) != m.id}
        for old in changed.values():  # same id, new English: keep the translation, fuzzy
            po.delete(old.id, context=old.context)
            po.add(english[old.context], string=old.string, context=old.context,
                   flags=old.flags | {"fuzzy"})
        po.update(template, no_fuzzy_matching=True)
        for message in po:
            if message.id and placeholders(message.id):
                message.flags.add(BRACE_FORMAT)
            if message.context in changed:
                message.previous_id = [changed[message.context].id]  # Poedit shows the change
        write_catalogue(po, path)
        written.append(path)
    return written


def add_language(folder: Path, language: str) -> Path | None:
    """Start ``language`` in ``folder`` (nothing when it exists)."""
    template_file = template_path(folder)
    path = folder / language / "LC_MESSAGES" / f"{template_file.stem}.po"
    if path.exists():
        return None
    write_catalogue(new_translation(read_catalogue(template_file), language), path)
    return path


def status(cat: Catalog, listed: str | None = None) -> str:
    """One line per language: how much of a folder is translated; then, for the ``listed``
    language, each message it does not translate yet (id and English)."""
    total = len(cat.messages[DEFAULT_LANGUAGE])
    lines = [f"{cat.folder.relative_to(REPO)}: {total} messages"]
    for language in cat.languages:
        if language != DEFAULT_LANGUAGE:
            done, fuzzy = len(cat.messages[language]), len(cat.fuzzy.get(language, ()))
            lines.append(f"  {language}: {done} translated, {total - done - fuzzy} untranslated,"
                         f" {fuzzy} fuzzy")
    if listed:
        english = cat.messages[DEFAULT_LANGUAGE]
        lines += [f"    {listed} {key}: {english[key]}" for key in sorted(cat.untranslated(listed))]
    return "\n".join(lines)


# -- Achievement texts ------------------------------------------------------------------------
# An achievement's ``name``, ``description`` and criteria ``narrative`` are ``{en = ...,
# fr = ...}`` tables in ``labs/<track>/achievement.toml`` (English is the source). Translators
# work on the track's catalogue ``labs/<track>/locale/achievement.pot`` + ``<lang>/LC_MESSAGES/
# achievement.po`` (msgctxt ``<achievement id>.<field>``), which ``update`` makes from the
# toml's English, seeding each language's empty entries with the toml's text in that language.
# A language's text is the catalogue's translation (non-empty, not fuzzy), else the toml's.

ACHIEVEMENT_FIELDS = ("name", "description", "narrative")
ACHIEVEMENT_DOMAIN = "achievement"
#: Languages every track's catalogue starts with (Inuktitut empty until a translator fills it).
STARTED_LANGUAGES = (*COMPLETE_LANGUAGES, "iu")


def read_achievement(path: Path) -> dict:
    """The parsed ``achievement.toml`` (ValueError in one sentence when it cannot be read)."""
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"cannot read achievement {path}: {exc}") from exc


def _toml_texts(data: dict) -> dict[str, dict[str, str]]:
    """An achievement's ``{field: {language: text}}`` as its toml gives them (non-empty)."""
    tables = {"name": data.get("name"), "description": data.get("description"),
              "narrative": (data.get("criteria") or {}).get("narrative")}
    return {field: {str(lang): str(text) for lang, text in table.items() if str(text).strip()}
            if isinstance(table, dict) else {} for field, table in tables.items()}


def _achievement_message(achievement_id: str, field: str) -> str:
    return f"{achievement_id}.{field}"


def achievement_texts(path: Path, data: dict) -> dict[str, dict[str, str]]:
    """``{field: {language: text}}``: the toml's texts, each language the track's catalogue
    translates taking the catalogue's text."""
    found = _toml_texts(data)
    folder = Path(path).parent / "locale"
    if not (folder / f"{ACHIEVEMENT_DOMAIN}.pot").is_file():
        return found
    catalog = Catalog(folder)
    achievement_id = str(data.get("id", ""))
    for field, table in found.items():
        for language, messages in catalog.messages.items():
            text = messages.get(_achievement_message(achievement_id, field), "")
            if language != DEFAULT_LANGUAGE and text.strip():
                table[language] = text
    return found


def _achievement_template(entries: list[tuple[str, str, Path]]) -> PoCatalog:
    po = PoCatalog(domain=ACHIEVEMENT_DOMAIN, project="northlab", version="1", fuzzy=False,
                   header_comment="# English texts of this track's achievements, made from "
                                  "achievement.toml\n# by `python -m northlab.i18n update`: "
                                  "edit the English there, not here.")
    for context, english, source in entries:
        po.add(english, context=context, auto_comments=[f"{source.name}: {context}"],
               flags={BRACE_FORMAT} if placeholders(english) else set())
    return po


def _same_messages(a: PoCatalog, b: PoCatalog) -> bool:
    def key(po: PoCatalog) -> list:
        return [(m.context, m.id, sorted(m.flags), m.auto_comments) for m in po if m.id]
    return key(a) == key(b)


def write_achievement_templates(labs_root: Path) -> list[Path]:
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
            for field, table in _toml_texts(data).items():
                if not table.get(DEFAULT_LANGUAGE):
                    raise ValueError(f"{path}: {field} needs its English text (en)")
                context = _achievement_message(str(data.get("id", "")), field)
                entries.append((context, table[DEFAULT_LANGUAGE], path))
                seeds[context] = table
        template, pot = _achievement_template(entries), folder / f"{ACHIEVEMENT_DOMAIN}.pot"
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m northlab.i18n", description="northlab's gettext catalogues.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("update", help="merge each .pot into every language's .po (msgmerge)")
    status_command = commands.add_parser(
        "status", help="translated / untranslated / fuzzy counts per language")
    status_command.add_argument("--list", metavar="LANGUAGE", dest="listed",
                                help="also list each message LANGUAGE does not translate yet")
    init = commands.add_parser("init", help="start a new language in every catalogue folder")
    init.add_argument("language", help="language code, e.g. iu, cr, oj")
    export = commands.add_parser("json", help="print a folder's texts as JSON {lang: {id: text}}")
    export.add_argument("folder", type=Path)
    args = parser.parse_args(argv)
    try:
        if args.command == "json":
            json.dump(Catalog(args.folder).messages, sys.stdout, ensure_ascii=False, indent=1)
            print()
            return 0
        if args.command == "update":  # achievements' texts first: they make their catalogues
            for path in write_achievement_templates(REPO / "labs"):
                print(path.relative_to(REPO))
        for folder in locale_folders():
            if args.command == "status":
                print(status(Catalog(folder), args.listed))
                continue
            if args.command == "update":
                written = update(folder)
            else:
                written = [p for p in [add_language(folder, args.language)] if p]
            for path in written:
                print(path.relative_to(REPO))
    except (OSError, ValueError) as error:
        print(f"northlab i18n: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
