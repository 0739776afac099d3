"""The Foundations form <-> notebook rewriting, with hostile answers and hostile cells."""

from __future__ import annotations

import ast
import copy
import json
from pathlib import Path

import pytest

from hub.config.settings import REPO
from hub.foundations import answers
from hub.foundations.answers import AnswerError
from hub.foundations.folder import ActivityFolder
from hub.foundations.markdown import render_markdown
from northlab.i18n import pick

FIXTURE = REPO / "tests" / "fixtures" / "foundations" / "first-steps" / "source" / \
    "first-steps.ipynb"


def notebook() -> dict:
    return answers.read_notebook(FIXTURE)


def field(nb: dict, name: str) -> answers.Field:
    return next(f for f in answers.fields(nb) if f.name == name)


def assignment(source: str) -> tuple[str, object]:
    """Name and value of a ``name = literal`` cell, read without executing it."""
    tree = ast.parse(source)
    assert len(tree.body) == 1 and isinstance(tree.body[0], ast.Assign)
    return tree.body[0].targets[0].id, ast.literal_eval(tree.body[0].value)


def test_fields_of_the_fixture_in_order() -> None:
    nb = notebook()
    found = [(f.name, f.type, f.markdown) for f in answers.fields(nb)]
    assert found == [("strongest", "choice", False), ("free_boxes", "number", False),
                     ("safe_habits", "choices", False), ("greeting", "text", False),
                     ("trip_folder", "folder", False), ("reflection", "text", True)]
    assert pick(field(nb, "strongest").label, "fr") == "Quel mot de passe est le plus solide ?"
    assert pick(field(nb, "safe_habits").options[1].label, "fr") == \
        "Donner son mot de passe à un ami"


HOSTILE_TEXTS = [
    "'); import os; os.system('id'); ('",
    '"""\nimport os\n"""',
    "\\' + __import__('os').getcwd() + \\'",
    "x\nfree_boxes = 1000\n",
    "{{7*7}} <script>alert(1)</script> ${HOME} %s",
    "ᐃᓄᒃᑎᑐᑦ \u202e reversed \u200b",
    "tab\there\r\nwindows\rold mac",
]


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
def test_hostile_text_becomes_one_string_literal(text: str) -> None:
    nb = notebook()
    greeting = field(nb, "greeting")
    value = answers.value_from_form(greeting, [text])
    answers.write_answers(nb, {"greeting": value})
    name, written = assignment(nb["cells"][greeting.cell]["source"])
    assert name == "greeting" and written == value
    assert written == text.replace("\r\n", "\n").replace("\r", "\n")
    assert answers.current(nb, greeting) == value


def test_control_characters_are_dropped_and_length_is_capped() -> None:
    greeting = field(notebook(), "greeting")
    assert answers.value_from_form(greeting, ["a\x00b\x1bc\x7fd\ud800"]) == "abcd"
    with pytest.raises(AnswerError) as caught:
        answers.value_from_form(greeting, ["x" * (answers.MAX_TEXT_CHARS + 1)])
    assert caught.value.message == "answer.too_long"
    with pytest.raises(AnswerError):
        answers.value_from_form(greeting, ["one", "two"])  # a field sent twice


@pytest.mark.parametrize(("typed", "value"), [
    ("7", 7), (" -12 ", -12), ("3.5", 3.5), ("3,5", 3.5), ("1 200", 1200),
    ("1\u202f200,5", 1200.5), (".5", 0.5), ("2e3", 2000.0),
])
def test_numbers_as_people_type_them(typed: str, value: float) -> None:
    free = field(notebook(), "free_boxes")
    parsed = answers.value_from_form(free, [typed])
    assert parsed == value and type(parsed) is type(value)


@pytest.mark.parametrize("typed", [
    "nan", "inf", "-inf", "1e999", "7; import os", "__import__('os')", "0x10", "1_0e5j",
    "7 7.5", "1,2,3", "9" * 41, "(7)", "7)", "１２",
])
def test_anything_else_is_not_a_number(typed: str) -> None:
    with pytest.raises(AnswerError) as caught:
        answers.value_from_form(field(notebook(), "free_boxes"), [typed])
    assert caught.value.message == "answer.not_a_number"


def test_options_are_chosen_by_position_only() -> None:
    nb = notebook()
    strongest, habits = field(nb, "strongest"), field(nb, "safe_habits")
    assert answers.value_from_form(strongest, ["1"]) == "Qimmiq-kayak-tundra-42"
    assert answers.value_from_form(habits, ["2", "0", "2"]) == ["update", "lock"]
    assert answers.value_from_form(habits, []) == []
    for bad in ("3", "-1", "1.0", "Qimmiq-kayak-tundra-42", "__class__", "1 ", "٣"):
        with pytest.raises(AnswerError):
            answers.value_from_form(strongest, [bad])
    with pytest.raises(AnswerError):
        answers.value_from_form(habits, ["0", "9"])


def test_file_and_folder_answers_name_only_what_is_in_the_folder() -> None:
    folder = field(notebook(), "trip_folder")
    assert answers.value_from_form(folder, ["trip-plan"], {"trip-plan"}) == "trip-plan"
    for bad in ("../trip-plan", "/etc", "trip-plan/..", "x'); import os#"):
        with pytest.raises(AnswerError):
            answers.value_from_form(folder, [bad], {"trip-plan"})


def test_written_answers_read_back_and_others_are_untouched() -> None:
    nb = notebook()
    before = copy.deepcopy(nb)
    changed = answers.write_answers(nb, {"free_boxes": 7.25, "safe_habits": ["lock"],
                                         "strongest": None})
    assert changed == 3
    assert assignment(nb["cells"][field(nb, "free_boxes").cell]["source"]) == (
        "free_boxes", 7.25)
    assert assignment(nb["cells"][field(nb, "strongest").cell]["source"]) == (
        "strongest", None)
    touched = {field(nb, n).cell for n in ("free_boxes", "safe_habits", "strongest")}
    for index, (old, new) in enumerate(zip(before["cells"], nb["cells"], strict=True)):
        if index not in touched:
            assert old == new
    assert nb["metadata"] == before["metadata"]
    assert answers.write_answers(nb, {"free_boxes": 7.25}) == 0  # same again: no change


@pytest.mark.parametrize("value", [float("nan"), float("inf"), {"a": 1}, ("t",), b"x",
                                   [["nested"]], object(), 1j])
def test_values_that_are_not_plain_literals_are_refused(value: object) -> None:
    with pytest.raises(AnswerError):
        answers.answer_source(field(notebook(), "greeting"), value)  # type: ignore[arg-type]


def test_a_reflection_is_the_cell_text_with_html_escaped() -> None:
    nb = notebook()
    reflection = field(nb, "reflection")
    text = "I keep it <b>secret</b> & never <script>alert(1)</script> share it"
    answers.write_answers(nb, {"reflection": answers.value_from_form(reflection, [text])})
    source = nb["cells"][reflection.cell]["source"]
    assert "<" not in source and ">" not in source
    assert answers.current(nb, reflection) == text


@pytest.mark.parametrize("spec", [
    {"field": "x; import os", "type": "text"},
    {"field": "import", "type": "text"},
    {"field": "__builtins__.x", "type": "text"},
    {"field": "ｘ", "type": "text"},  # a name Python would NFKC-normalise
    {"field": "x", "type": "python"},
    {"field": "x", "type": "choice", "options": []},
    {"field": "x", "type": "choice", "options": [{"value": [1]}]},
    {"field": "x", "type": "choice", "options": "abc"},
    {"field": "x", "type": "choice", "options": [float("nan")]},
    "text",
])
def test_malformed_answer_cells_are_refused(spec: object) -> None:
    cell = {"cell_type": "code", "source": "", "metadata": {"northlab": {"answer": spec}}}
    with pytest.raises(AnswerError) as caught:
        answers.field_of(cell, 0)
    assert caught.value.message == "answer.bad_cell"


@pytest.mark.parametrize("source", [
    "# YOUR CODE HERE\nraise NotImplementedError()",
    "free_boxes = __import__('os').system('id')",
    "free_boxes = 7\nprint('more')",
    "other = 7",
    "free_boxes = " + "[" * 5000 + "]" * 5000,
    "free_boxes = 1e999999",
    "free_boxes = {'a': 1}",
    "free_boxes: int = 7",
    "free_boxes = (",
])
def test_only_a_plain_assignment_is_read_back(source: str) -> None:
    nb = notebook()
    free = field(nb, "free_boxes")
    nb["cells"][free.cell]["source"] = source
    assert answers.current(nb, free) is None


def test_notebook_is_replaced_in_one_step(tmp_path: Path) -> None:
    path = tmp_path / "first-steps.ipynb"
    path.write_bytes(FIXTURE.read_bytes())
    path.chmod(0o600)
    nb = answers.read_notebook(path)
    answers.write_answers(nb, {"free_boxes": 7})
    answers.save_notebook(path, nb)
    assert json.loads(path.read_text(encoding="utf-8")) == nb
    assert path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["first-steps.ipynb"]
    path.write_text("[1, 2]")
    with pytest.raises(AnswerError):
        answers.read_notebook(path)


def test_activity_folder_stays_inside(tmp_path: Path) -> None:
    (tmp_path / "first-steps.ipynb").write_text("{}")
    (tmp_path / "outside").mkdir()
    root = tmp_path / "activity"
    root.mkdir()
    (root / "link").symlink_to(tmp_path / "outside")
    (root / "first-steps.ipynb").write_text("{}")
    folder = ActivityFolder(root, frozenset({"first-steps.ipynb"}))
    assert folder.make_folder("", "trip-plan") == "trip-plan"
    assert folder.upload("trip-plan", "C:\\fakepath\\..\\notes.txt", b"hi") == \
        "trip-plan/notes.txt"
    for bad in ("..", ".", ".hidden", "a/b", "", "x" * 101, "tab\tname"):
        with pytest.raises(AnswerError):
            folder.make_folder("", bad)
    for parent in ("link", "../outside", "trip-plan/../..", "/tmp"):
        with pytest.raises(AnswerError):
            folder.upload(parent, "x.txt", b"x")
    with pytest.raises(AnswerError):
        folder.upload("", "first-steps.ipynb", b"{}")  # the notebook is not replaced
    with pytest.raises(AnswerError):
        folder.move("first-steps.ipynb", "trip-plan")
    with pytest.raises(AnswerError):
        folder.move("trip-plan", "trip-plan")
    assert folder.move("trip-plan/notes.txt", "") == "notes.txt"
    assert [e.path for e in folder.entries()] == ["trip-plan", "first-steps.ipynb",
                                                  "notes.txt"]
    assert not list((tmp_path / "outside").iterdir())


def test_rename_and_delete_stay_inside_and_spare_the_notebook(tmp_path: Path) -> None:
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "keep.txt").write_text("keep")
    root = tmp_path / "activity"
    (root / "centre-files" / "forms").mkdir(parents=True)
    (root / "centre-files" / "untitled.txt").write_text("booking")
    (root / "centre-files" / "copy.txt").write_text("copy")
    (root / "first-steps.ipynb").write_text("{}")
    (root / "link").symlink_to(tmp_path / "outside")
    folder = ActivityFolder(root, frozenset({"first-steps.ipynb"}))
    assert folder.rename("centre-files/untitled.txt", "hall-booking.txt") == \
        "centre-files/hall-booking.txt"
    for bad in ("../escape.txt", "a/b.txt", ".hidden", ""):
        with pytest.raises(AnswerError):
            folder.rename("centre-files/hall-booking.txt", bad)
    for item in ("first-steps.ipynb", "", "link", "link/keep.txt", "../outside/keep.txt"):
        for change in (lambda i: folder.rename(i, "x.txt"), folder.delete):
            with pytest.raises(AnswerError):
                change(item)
    with pytest.raises(AnswerError) as caught:
        folder.rename("centre-files/copy.txt", "hall-booking.txt")
    assert caught.value.message == "folder.exists"
    with pytest.raises(AnswerError) as caught:
        folder.delete("centre-files")  # not empty: nothing is lost
    assert caught.value.message == "folder.not_empty"
    assert folder.delete("centre-files/copy.txt") == "centre-files/copy.txt"
    assert folder.delete("centre-files/forms") == "centre-files/forms"
    assert [e.path for e in folder.entries()] == [
        "centre-files", "centre-files/hall-booking.txt", "first-steps.ipynb"]
    assert (tmp_path / "outside" / "keep.txt").read_text() == "keep"


def test_instructions_cannot_carry_html_or_load_anything() -> None:
    html = render_markdown("# Title\n<script>alert(1)</script> <img src=x onerror=alert(1)>"
                           "\n\n![map](https://example.com/map.png) [go](javascript:alert(1))")
    assert "<script" not in html and "<img" not in html and "https://example" not in html
    assert "javascript:" not in html and "<h3" in html
