"""nbgrader notebooks: read the lab's source notebook and turn a submitted notebook into a
grading plan (learner cells for the worker, test cells for the judge).

Like ``nbgrader autograde`` (OverwriteCells), test cells and locked cells always come from
the lab's source notebook, matched by ``grade_id``; what the learner wrote in them is
ignored. Submitted notebooks are untrusted JSON: size and shape are checked.

What the lab's own code binds (library names, lab names: :mod:`graders.judge.lab_names`)
is read from the source notebook too: the judge resolves those names itself, never from
whatever the learner's namespace holds under the same name.
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graders.judge.lab_names import LabCode, analyse

MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024
MAX_CELLS = 5000
MAX_CELL_CHARS = 1_000_000
HIDDEN_MARK = "### BEGIN HIDDEN TESTS"


class NotebookError(ValueError):
    """A notebook that is not valid nbformat-4 JSON of a sane size."""


@dataclass
class TestCell:
    id: str
    source: str
    points: float
    hidden: bool
    feedback: dict[str, str]


@dataclass
class SourceNotebook:
    """What grading needs from the lab's source notebook."""

    tests: dict[str, TestCell] = field(default_factory=dict)
    locked: dict[str, str] = field(default_factory=dict)
    manual: list[str] = field(default_factory=list)  #: manually graded cells (not allowed)
    code: LabCode = field(default_factory=LabCode)  #: what the lab's own code binds

    @property
    def max_score(self) -> float:
        return sum(t.points for t in self.tests.values())


def _source(cell: dict[str, Any]) -> str:
    source = cell.get("source", "")
    if type(source) is list and all(type(s) is str for s in source):
        source = "".join(source)
    if type(source) is not str:
        raise NotebookError("a cell has no valid source")
    if len(source) > MAX_CELL_CHARS:
        raise NotebookError("a cell is too large")
    return source


def cells_of(data: bytes | str) -> list[dict[str, Any]]:
    """The cells of a notebook, checked for shape and size."""
    if len(data) > MAX_NOTEBOOK_BYTES:
        raise NotebookError("the notebook is too large")
    try:
        nb = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise NotebookError(f"the notebook is not valid JSON ({str(exc)[:80]})") from None
    if type(nb) is not dict or type(nb.get("cells")) is not list:
        raise NotebookError("the notebook has no list of cells")
    if len(nb["cells"]) > MAX_CELLS:
        raise NotebookError("the notebook has too many cells")
    cells = []
    for cell in nb["cells"]:
        if type(cell) is not dict or type(cell.get("cell_type")) is not str:
            raise NotebookError("a cell is malformed")
        meta = cell.get("metadata", {})
        if type(meta) is not dict:
            raise NotebookError("a cell has malformed metadata")
        nbg = meta.get("nbgrader", {})
        cells.append({"type": cell["cell_type"], "source": _source(cell),
                      "nbgrader": nbg if type(nbg) is dict else {},
                      "northlab": meta.get("northlab", {}) if type(
                          meta.get("northlab", {})) is dict else {}})
    return cells


def python_of(source: str) -> ast.Module | None:
    """A cell's source as Python (IPython magics turned into calls), or None if it is not."""
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError):
        pass
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        return ast.parse(TransformerManager().transform_cell(source))
    except (SyntaxError, ValueError):
        return None


def _role(cell: dict[str, Any]) -> str:
    nbg = cell["nbgrader"]
    if nbg.get("solution"):
        return "solution"
    return "test" if nbg.get("grade") else "lab"


def read_source(path: Path) -> SourceNotebook:
    """Test cells (with points and feedback), locked cells and what the lab's own code binds
    (``code``; its ``cell_names`` count code cells only) in the lab's notebook."""
    result = SourceNotebook()
    cells = cells_of(Path(path).read_bytes())
    result.code = analyse([(_role(cell), cell["source"], python_of(cell["source"]))
                           for cell in cells if cell["type"] == "code"])
    for cell in cells:
        nbg = cell["nbgrader"]
        grade_id = nbg.get("grade_id")
        if not isinstance(grade_id, str):
            continue
        if nbg.get("grade") and not nbg.get("solution") and cell["type"] == "code":
            feedback = cell["northlab"].get("feedback", {})
            result.tests[grade_id] = TestCell(
                id=grade_id, source=cell["source"], points=float(nbg.get("points", 0)),
                hidden=HIDDEN_MARK in cell["source"],
                feedback=dict(feedback) if isinstance(feedback, dict) else {})
        elif nbg.get("grade"):
            result.manual.append(grade_id)
        elif nbg.get("locked") and cell["type"] == "code":
            result.locked[grade_id] = cell["source"]
    return result


def plan(source: SourceNotebook, submitted: bytes) -> list[dict[str, Any]]:
    """The ordered steps to grade ``submitted`` (raises :class:`NotebookError`)."""
    steps: list[dict[str, Any]] = []
    seen: set[str] = set()
    for cell in cells_of(submitted):
        grade_id = cell["nbgrader"].get("grade_id")
        if isinstance(grade_id, str) and grade_id in source.tests:
            if grade_id not in seen:
                seen.add(grade_id)
                steps.append({"kind": "test", "id": grade_id,
                              "source": source.tests[grade_id].source})
            continue
        if isinstance(grade_id, str) and grade_id in source.locked:
            if grade_id not in seen:
                seen.add(grade_id)
                steps.append({"kind": "learner", "source": source.locked[grade_id]})
            continue
        if cell["type"] == "code":
            steps.append({"kind": "learner", "source": cell["source"]})
    return steps
