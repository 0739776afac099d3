"""Answer cells of a Foundations activity: the form they make, and the learner's answers
written back into the learner's copy of the notebook.

An answer cell is an nbgrader solution cell whose metadata carries ``northlab.answer``
(``field``, ``type``, ``options``, ``label``: the Foundations activity contract). A code
cell's source becomes ``<field> = <literal>``: the literal is ``repr`` of a value this
module built and checked itself (a str, int, float, bool or a list of them), never text
from the request, and it must read back with :func:`ast.literal_eval` to the same value.
A markdown answer cell (a written reflection) holds the learner's text, HTML-escaped.
Nothing here executes anything: existing answers are read back with ``literal_eval``.
"""

from __future__ import annotations

import ast
import html
import json
import keyword
import math
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TYPES = ("choice", "choices", "text", "number", "file", "folder")
#: What nbgrader's release leaves in an answer cell (``ClearSolutions`` stubs).
STUBS = ("# YOUR CODE HERE\nraise NotImplementedError()", "YOUR ANSWER HERE")
MAX_NOTEBOOK_BYTES = 5 * 1024 * 1024
MAX_SOURCE_CHARS = 100_000  #: longer answer cells are not read back (literal_eval cost)
MAX_TEXT_CHARS = 5000
MAX_NUMBER_CHARS = 40
MAX_OPTIONS = 50
#: C0 controls and DEL, except tab and newline; lone surrogates.
UNWANTED = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")
INTEGER = re.compile(r"[+-]?[0-9]{1,30}")
DECIMAL = re.compile(r"[+-]?([0-9]{1,30}([.][0-9]{0,30})?|[.][0-9]{1,30})([eE][+-]?[0-9]{1,3})?")
#: 1 200 or 1 200,5 (spaces, no-break spaces between thousands)
GROUPED = re.compile(r"[+-]?[0-9]{1,3}(\s[0-9]{3})+([.,][0-9]{1,30})?")
Literal = str | int | float | bool


class AnswerError(ValueError):
    """An answer or an answer cell that cannot be used; ``message`` is a catalogue id."""

    def __init__(self, message: str, **values: object) -> None:
        super().__init__(message)
        self.message, self.values = message, values


@dataclass(frozen=True)
class Option:
    value: Literal
    label: dict[str, str]


@dataclass(frozen=True)
class Field:
    """One answer cell, as a form field."""

    name: str
    type: str
    label: dict[str, str]
    options: tuple[Option, ...]
    cell: int  #: index of the cell in the notebook
    markdown: bool  #: a written reflection (markdown cell): the text is the cell


def _is_literal(value: Any) -> bool:
    if type(value) is float:
        return math.isfinite(value)
    return type(value) in (str, int, bool)


def _label(raw: Any) -> dict[str, str]:
    if type(raw) is str:
        return {"en": raw}
    if type(raw) is dict:
        return {k: v for k, v in raw.items() if type(k) is str and type(v) is str}
    return {}


def _option(raw: Any) -> Option:
    if type(raw) is dict and "value" in raw:
        value, label = raw["value"], _label(raw.get("label"))
    else:
        value, label = raw, {}
    if not _is_literal(value):
        raise AnswerError("answer.bad_cell")
    return Option(value, label)


def _source(cell: dict[str, Any]) -> str:
    source = cell.get("source", "")
    if type(source) is list and all(type(part) is str for part in source):
        return "".join(source)
    return source if type(source) is str else ""


def field_of(cell: Any, index: int) -> Field | None:
    """The answer field of ``cell`` (None when it is no answer cell); a malformed one
    raises :class:`AnswerError`."""
    if type(cell) is not dict or type(cell.get("metadata")) is not dict:
        return None
    meta = cell["metadata"].get("northlab")
    spec = meta.get("answer") if type(meta) is dict else None
    if spec is None:
        return None
    if type(spec) is not dict:
        raise AnswerError("answer.bad_cell")
    name, kind, options = spec.get("field"), spec.get("type"), spec.get("options", [])
    markdown = cell.get("cell_type") == "markdown"
    if (type(name) is not str or not name.isidentifier() or keyword.iskeyword(name)
            or not name.isascii() or kind not in TYPES or (markdown and kind != "text")
            or type(options) is not list or len(options) > MAX_OPTIONS):
        raise AnswerError("answer.bad_cell")
    parsed = tuple(_option(raw) for raw in options)
    if kind in ("choice", "choices") and not parsed:
        raise AnswerError("answer.bad_cell")
    return Field(name, kind, _label(spec.get("label")), parsed, index, markdown)


def fields(notebook: dict[str, Any]) -> list[Field]:
    """Every answer field of a notebook, in order."""
    cells = notebook.get("cells")
    if type(cells) is not list:
        raise AnswerError("answer.bad_notebook")
    return [f for f in (field_of(cell, i) for i, cell in enumerate(cells)) if f is not None]


def current(notebook: dict[str, Any], field: Field) -> Literal | list[Literal] | None:
    """The answer the notebook holds now (None: blank, the stub, or not readable as
    ``<field> = <literal>``)."""
    source = _source(notebook["cells"][field.cell])
    if source.strip() in STUBS or len(source) > MAX_SOURCE_CHARS:
        return None
    if field.markdown:
        return html.unescape(source) if source.strip() else None
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    if (len(tree.body) != 1 or type(tree.body[0]) is not ast.Assign
            or len(tree.body[0].targets) != 1
            or type(tree.body[0].targets[0]) is not ast.Name
            or tree.body[0].targets[0].id != field.name):
        return None
    try:
        value = ast.literal_eval(tree.body[0].value)
    except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
        return None
    if type(value) is list and all(_is_literal(v) for v in value):
        return value
    return value if _is_literal(value) else None


def clean_text(raw: str) -> str:
    """The learner's text: newlines made ``\\n``, control characters dropped, capped."""
    text = UNWANTED.sub("", raw.replace("\r\n", "\n").replace("\r", "\n"))
    if len(text) > MAX_TEXT_CHARS:
        raise AnswerError("answer.too_long", limit=MAX_TEXT_CHARS)
    return text


def parse_number(raw: str) -> int | float:
    """A number as people type it: ``12``, ``-3.5``, ``3,5``, ``1 200``."""
    text = raw.strip()
    if GROUPED.fullmatch(text):  # spaces only between groups of three digits
        text = re.sub(r"\s", "", text)
    if text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")
    if len(text) > MAX_NUMBER_CHARS:
        raise AnswerError("answer.not_a_number")
    if INTEGER.fullmatch(text):
        return int(text)
    if DECIMAL.fullmatch(text):
        value = float(text)
        if math.isfinite(value):
            return value
    raise AnswerError("answer.not_a_number")


def _chosen(field: Field, raw: str) -> Literal:
    """Options are sent as their position in the list, never as their value."""
    if not raw.isdigit() or int(raw) >= len(field.options):
        raise AnswerError("answer.not_an_option")
    return field.options[int(raw)].value


def value_from_form(field: Field, raw: list[str],
                    paths: set[str] = frozenset()) -> Literal | list[Literal] | None:
    """The checked value of ``field`` from the form's values for it (None: left blank).
    ``paths``: what a file or folder answer may name (the activity folder's files or
    folders, relative to it)."""
    if field.type == "choices":
        return [_chosen(field, item) for item in dict.fromkeys(raw)]
    if len(raw) > 1:
        raise AnswerError("answer.one_value")
    text = raw[0] if raw else ""
    if not text.strip():
        return None
    if field.type == "choice":
        return _chosen(field, text)
    if field.type == "number":
        return parse_number(text)
    if field.type == "text":
        return clean_text(text)
    if text not in paths:  # file, folder
        raise AnswerError("answer.no_such_item")
    return text


def answer_source(field: Field, value: Literal | list[Literal] | None) -> str:
    """The cell source holding ``value``: ``<field> = <literal>`` (code) or the text."""
    if field.markdown:
        return html.escape(value or "", quote=False)
    if value is not None and not (_is_literal(value) or (
            type(value) is list and all(_is_literal(v) for v in value))):
        raise AnswerError("answer.bad_value")
    literal = repr(value)
    if ast.literal_eval(literal) != value:  # never write what would not read back
        raise AnswerError("answer.bad_value")
    return f"{field.name} = {literal}"


def write_answers(notebook: dict[str, Any],
                  answers: dict[str, Literal | list[Literal] | None]) -> int:
    """Put ``answers`` (field name -> value) into their cells; returns how many changed."""
    changed = 0
    for field in fields(notebook):
        if field.name not in answers:
            continue
        cell = notebook["cells"][field.cell]
        source = answer_source(field, answers[field.name])
        if _source(cell) != source:
            cell["source"] = source
            if cell.get("cell_type") == "code":
                cell["outputs"], cell["execution_count"] = [], None
            changed += 1
    return changed


def read_notebook(path: Path) -> dict[str, Any]:
    """A notebook file as JSON (size-capped; the learner's own file, still checked)."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_NOTEBOOK_BYTES + 1)
    except OSError as exc:
        raise AnswerError("answer.bad_notebook") from exc
    if len(data) > MAX_NOTEBOOK_BYTES:
        raise AnswerError("answer.bad_notebook")
    try:
        notebook = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise AnswerError("answer.bad_notebook") from exc
    if type(notebook) is not dict or type(notebook.get("cells")) is not list:
        raise AnswerError("answer.bad_notebook")
    return notebook


def activity_meta(path: Path) -> dict[str, Any]:
    """The notebook's ``northlab.activity`` metadata (``week``, ``title``...), or {}."""
    try:
        meta = read_notebook(path).get("metadata")
    except AnswerError:
        return {}
    found = meta.get("northlab", {}) if type(meta) is dict else {}
    found = found.get("activity", {}) if type(found) is dict else {}
    return found if type(found) is dict else {}


def save_notebook(path: Path, notebook: dict[str, Any]) -> None:
    """Replace the notebook file in one step (a crash leaves the old or the new file)."""
    text = json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".answers-", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(temporary, path.stat().st_mode & 0o777)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
