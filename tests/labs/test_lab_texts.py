"""Every lab of every track speaks English and French to learners.

Checked without grading (fast): lab.toml title and summary, every instructions cell of the
notebook, every graded notebook cell's hint, and every code-lab grader test's hint.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from graders.lab import lab_dirs, load_lab

REPO = Path(__file__).resolve().parents[2]
LAB_DIRS = lab_dirs(REPO / "labs")

# Frequent short words of each language: a cell written in only one language has (almost)
# none of the other's. Short label cells (under MIN_WORDS words) are not judged.
ENGLISH = {"the", "and", "is", "of", "to", "you", "with", "your", "a", "an", "in", "for",
           "that", "are", "this", "it", "on", "be", "not", "from", "if", "or", "each", "at"}
FRENCH = {"le", "la", "les", "des", "et", "est", "une", "un", "du", "pour", "vous", "que",
          "qui", "dans", "sur", "avec", "au", "aux", "pas", "ce", "votre", "de", "en", "à"}
MIN_MARKERS = 3
MIN_WORDS = 12


def markers(text: str) -> tuple[int, int]:
    words = re.findall(r"[a-zà-ÿ]+", text.lower())
    return len(ENGLISH & set(words)), len(FRENCH & set(words))


def bilingual(value: object) -> bool:
    return isinstance(value, dict) and all(
        isinstance(value.get(lang), str) and value[lang].strip() for lang in ("en", "fr"))


def test_there_are_labs():
    assert len(LAB_DIRS) >= 4


def test_marker_heuristic_tells_languages_apart():
    english_only = "Write the function that returns the route, and check it with the tests."
    french_only = "Écrivez la fonction qui renvoie le trajet, et vérifiez-la avec les tests."
    assert markers(english_only)[1] < MIN_MARKERS <= markers(english_only)[0]
    assert markers(french_only)[0] < MIN_MARKERS <= markers(french_only)[1]


@pytest.mark.parametrize("path", LAB_DIRS, ids=lambda p: p.name)
def test_lab_toml_texts(path):
    lab = load_lab(path)  # raises when title/summary lack English or French
    assert bilingual(lab.title) and bilingual(lab.summary)
    assert lab.title["en"] != lab.title["fr"] and lab.summary["en"] != lab.summary["fr"]


@pytest.mark.parametrize("path", LAB_DIRS, ids=lambda p: p.name)
def test_notebook_instructions_in_both_languages(path):
    lab = load_lab(path)
    notebook = json.loads(lab.notebook.read_text(encoding="utf-8"))
    judged, one_language = 0, {"en": 0, "fr": 0}
    for index, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] != "markdown":
            continue
        if cell.get("metadata", {}).get("nbgrader", {}).get("solution"):
            continue  # the learner's own answer cell
        text = "".join(cell["source"])
        language = cell.get("metadata", {}).get("northlab", {}).get("language")
        if language in one_language:  # a cell in one language (the foundations pages)
            one_language[language] += 1
        if len(text.split()) < MIN_WORDS:
            continue
        lines = [line for line in text.splitlines() if line.strip()]
        if any(line.startswith("|") for line in lines) and all(
                line.startswith(("|", "#")) for line in lines):
            assert "English" in text and "Français" in text, f"cell {index}: glossary columns"
            continue  # a word list (a glossary table): no sentences for the markers
        english, french = markers(text)
        if language in one_language:
            assert (english, french)[language == "fr"] >= MIN_MARKERS, \
                f"markdown cell {index} is not in {language}"
            continue
        assert english >= MIN_MARKERS, f"markdown cell {index} has no English text"
        assert french >= MIN_MARKERS, f"markdown cell {index} has no French text"
        judged += 1
    assert one_language["en"] == one_language["fr"], "one-language cells come in en/fr pairs"
    assert judged + one_language["en"] >= 1, "the notebook has no instructions"


@pytest.mark.parametrize("path", LAB_DIRS, ids=lambda p: p.name)
def test_graded_hints_in_both_languages(path):
    lab = load_lab(path)
    if lab.kind == "notebook":
        notebook = json.loads(lab.notebook.read_text(encoding="utf-8"))
        graded = [c for c in notebook["cells"]  # tests (a person grades answer cells)
                  if c.get("metadata", {}).get("nbgrader", {}).get("grade")
                  and not c["metadata"]["nbgrader"].get("solution")]
        assert graded
        for cell in graded:
            hint = cell["metadata"].get("northlab", {}).get("feedback")
            assert bilingual(hint), cell["metadata"]["nbgrader"].get("grade_id")
        return
    tests = []
    for file in sorted(lab.grader_dir.glob("test_*.py")):
        tree = ast.parse(file.read_text(encoding="utf-8"))
        tests += [node for node in tree.body
                  if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")]
    assert tests
    for test in tests:
        hints = [d for d in test.decorator_list if isinstance(d, ast.Call)
                 and ast.unparse(d.func).endswith("mark.feedback")]
        assert len(hints) == 1, f"{test.name} needs one @pytest.mark.feedback(en=..., fr=...)"
        texts = {k.arg: k.value for k in hints[0].keywords}
        for lang in ("en", "fr"):
            value = texts.get(lang)
            assert value is not None, f"{test.name}: feedback has no {lang} text"
            assert str(ast.literal_eval(value)).strip(), f"{test.name}: empty {lang} feedback"
