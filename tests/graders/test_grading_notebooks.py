"""Turning a submitted notebook into a grading plan (nbgrader's OverwriteCells rules)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from northlab_labkit import NB_LAB, honest  # noqa: E402

from graders.notebooks import NotebookError, cells_of, plan, read_source  # noqa: E402

SOURCE = read_source(NB_LAB / "source" / "nb-basics.ipynb")


def steps_of(nb: dict) -> list[tuple[str, str]]:
    return [(s["kind"], s.get("id") or s["source"][:20]) for s in plan(SOURCE, json.dumps(nb))]


def test_source_notebook_model() -> None:
    assert list(SOURCE.tests) == ["test-square", "test-means", "test-total"]
    assert SOURCE.max_score == 6 and SOURCE.manual == {}
    assert SOURCE.tests["test-means"].hidden and not SOURCE.tests["test-square"].hidden
    assert SOURCE.tests["test-square"].feedback["fr"].startswith("square(x) doit")
    assert "imports" in SOURCE.locked


def test_test_and_locked_cells_come_from_the_lab() -> None:
    nb = json.loads(honest())
    for cell in nb["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if grade_id in ("imports", "test-square"):
            cell["source"] = "import os; os._exit(0)"
    steps = plan(SOURCE, json.dumps(nb))
    by_id = {s.get("id"): s for s in steps if s["kind"] == "test"}
    assert by_id["test-square"]["source"] == SOURCE.tests["test-square"].source
    assert "BEGIN HIDDEN TESTS" in by_id["test-means"]["source"]  # hidden tests included
    assert steps[0] == {"kind": "learner", "source": SOURCE.locked["imports"]}


def test_learner_order_is_kept_and_duplicates_dropped() -> None:
    nb = json.loads(honest())
    cells = nb["cells"]
    test_square = next(c for c in cells if c["metadata"].get("nbgrader", {}).get(
        "grade_id") == "test-square")
    nb["cells"] = [test_square, *cells, test_square]
    kinds = steps_of(nb)
    assert kinds[0] == ("test", "test-square")
    assert [k for k in kinds if k == ("test", "test-square")] == [("test", "test-square")]
    assert ("learner", "# Notebook basics") not in kinds  # markdown is not executed


@pytest.mark.parametrize("data", [b"", b"{", b"[]", b'{"cells": {}}', b'{"cells": [1]}',
                                  b'{"cells": [{"cell_type": "code", "source": 5}]}',
                                  b'{"cells": [{"cell_type": "code", "metadata": []}]}'])
def test_malformed_notebooks(data: bytes) -> None:
    with pytest.raises(NotebookError):
        cells_of(data)
