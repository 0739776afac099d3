"""nbgrader notebooks: read the lab's source notebook and turn a submitted notebook into a
grading plan (learner cells for the worker, test cells for the judge).

Like ``nbgrader autograde`` (OverwriteCells), test cells and locked cells always come from
the lab's source notebook, matched by ``grade_id``; what the learner wrote in them is
ignored. Submitted notebooks are untrusted JSON: size and shape are checked.

Manually graded parts (answer cells with ``grade`` and ``solution``, code or markdown, and
task cells) are graded by a person; as in nbgrader, an answer cell left as released (same
checksum as the release) gets 0 at once, any other answer waits for a person.

What the lab's own code binds (library names, lab names: :mod:`graders.judge.lab_names`)
is read from the source notebook too: the judge resolves those names itself, never from
whatever the learner's namespace holds under the same name.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graders.judge.lab_names import LabCode, analyse

if TYPE_CHECKING:
    from nbformat import NotebookNode

MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024
MAX_CELLS = 5000
MAX_CELL_CHARS = 1_000_000
#: nbgrader's default delimiters of a hidden test region; like nbgrader's ClearHiddenTests,
#: a line CONTAINING one begins or ends the region (``## BEGIN HIDDEN TESTS`` hides too)
HIDDEN_BEGIN, HIDDEN_END = "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"
#: learner cell outputs kept for the autograded notebook: UTF-8 bytes per cell, lines per
#: text (nbgrader's LimitOutput keeps 1000) and the MIME types kept; the learner's output is
#: hostile and formgrader shows it to instructors, so active content (HTML, JavaScript, SVG,
#: widgets) is dropped and only plain text and raster images stay
OUTPUT_CHARS = 64 * 1024
OUTPUT_LINES = 1000
OUTPUT_MIME = ("text/plain", "image/png", "image/jpeg")
_SURROGATES = re.compile("[\ud800-\udfff]")
_OUTPUT_ROOM = 256


def hidden_lines(source: str) -> set[int]:
    """Line numbers (from 1) of the hidden region(s) of a test cell, markers included: the
    lines nbgrader's release removes."""
    hidden, inside = set(), False
    for number, line in enumerate(source.splitlines(), 1):
        if HIDDEN_BEGIN in line:
            inside = True
        if inside:
            hidden.add(number)
        if HIDDEN_END in line and HIDDEN_BEGIN not in line:
            inside = False
    return hidden


class NotebookError(ValueError):
    """A notebook that is not valid nbformat-4 JSON of a sane size: the text says why (for
    instructors and logs); the learner reads the grader catalogue's
    ``error.invalid-notebook.<reason>`` with ``values``."""

    def __init__(self, detail: str, reason: str = "", **values: object) -> None:
        super().__init__(detail)
        self.reason, self.values = reason, values


@dataclass
class TestCell:
    id: str
    source: str
    points: float
    hidden: bool
    feedback: dict[str, str]


@dataclass
class ManualCell:
    """A part a person grades: an answer cell (``grade`` + ``solution``) or a task cell."""

    id: str
    points: float
    task: bool
    cell_type: str
    locked: bool


@dataclass
class SourceNotebook:
    """What grading needs from the lab's source notebook."""

    tests: dict[str, TestCell] = field(default_factory=dict)
    locked: dict[str, str] = field(default_factory=dict)
    manual: dict[str, ManualCell] = field(default_factory=dict)  #: graded by a person
    #: grade_ids of every graded part (tests and manual parts), in notebook order
    order: list[str] = field(default_factory=list)
    code: LabCode = field(default_factory=LabCode)  #: what the lab's own code binds

    @property
    def max_score(self) -> float:
        return sum(t.points for t in self.tests.values())


def _source(cell: dict[str, Any]) -> str:
    source = cell.get("source", "")
    if type(source) is list and all(type(s) is str for s in source):
        source = "".join(source)
    if type(source) is not str:
        raise NotebookError("a cell has no valid source", "source")
    if len(source) > MAX_CELL_CHARS:
        raise NotebookError("a cell is too large", "long-cell", count=MAX_CELL_CHARS)
    return source


def writable(value: Any) -> Any:
    """A JSON value whose every string, keys included, UTF-8 can encode: lone surrogates
    (``"\\ud800"`` in the JSON, or raw bytes json decodes with ``surrogatepass``) become
    U+FFFD. The one place learner text is made encodable (rule 10): applied where a
    submitted notebook is read, so nothing downstream (nbgrader's checksum, the judge's
    frame, the record, the autograded notebook) meets one."""
    text = json.dumps(value, ensure_ascii=False)
    return json.loads(_text(text)) if _SURROGATES.search(text) else value


def writable_notebook(nb: NotebookNode) -> NotebookNode:
    """``nb`` (as nbgrader read it) with :func:`writable` text."""
    from nbformat import from_dict

    return from_dict(writable(nb))


def cells_of(data: bytes | str) -> list[dict[str, Any]]:
    """The cells of a notebook, checked for shape and size; its text :func:`writable`."""
    if len(data) > MAX_NOTEBOOK_BYTES:
        raise NotebookError("the notebook is too large", "size",
                            mb=MAX_NOTEBOOK_BYTES // 2**20)
    try:
        nb = writable(json.loads(data))
    except json.JSONDecodeError as exc:
        raise NotebookError(f"the notebook is not valid JSON ({str(exc)[:80]})", "json-at",
                            line=exc.lineno, column=exc.colno) from None
    except (ValueError, RecursionError) as exc:  # not UTF-8/16/32 text; nested too deeply
        raise NotebookError(f"the notebook is not valid JSON ({str(exc)[:80]})",
                            "json") from None
    if type(nb) is not dict or type(nb.get("cells")) is not list:
        raise NotebookError("the notebook has no list of cells", "no-cells")
    if len(nb["cells"]) > MAX_CELLS:
        raise NotebookError("the notebook has too many cells", "many-cells", count=MAX_CELLS)
    cells = []
    for cell in nb["cells"]:
        if type(cell) is not dict or type(cell.get("cell_type")) is not str:
            raise NotebookError("a cell is malformed", "cell")
        meta = cell.get("metadata", {})
        if type(meta) is not dict:
            raise NotebookError("a cell has malformed metadata", "metadata")
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


def read_source(path: Path, expanded: dict[str, str] | None = None) -> SourceNotebook:
    """Test cells (with points and feedback), locked cells and what the lab's own code binds
    (``code``; its ``cell_names`` count code cells only) in the lab's notebook.
    ``expanded``: grade_id -> the test cell's source with its AUTOTEST lines expanded
    (:mod:`graders.autotest`), used instead of the notebook's."""
    expanded = expanded or {}
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
            source = expanded.get(grade_id, cell["source"])
            result.tests[grade_id] = TestCell(
                id=grade_id, source=source, points=float(nbg.get("points", 0)),
                hidden=bool(hidden_lines(source)),
                feedback=dict(feedback) if isinstance(feedback, dict) else {})
        elif nbg.get("grade") or nbg.get("task"):
            result.manual[grade_id] = ManualCell(
                id=grade_id, points=float(nbg.get("points", 0)), task=not nbg.get("grade"),
                cell_type=cell["type"], locked=bool(nbg.get("locked")))
        elif nbg.get("locked") and cell["type"] == "code":
            result.locked[grade_id] = cell["source"]
            continue
        else:
            continue
        if grade_id not in result.order:
            result.order.append(grade_id)
    return result


def release_checksums(path: Path, source: SourceNotebook) -> dict[str, str]:
    """grade_id -> nbgrader's checksum of each manually graded answer cell as released
    (what ``nbgrader generate_assignment`` stores): an answer still equal to it is
    unanswered. Empty (and nbgrader not imported) when the notebook has no answer cells."""
    if not any(not cell.task for cell in source.manual.values()):
        return {}
    from nbgrader.utils import compute_checksum

    from graders.release import release_notebook

    return {cell.metadata.nbgrader["grade_id"]: compute_checksum(cell)
            for cell in release_notebook(path).cells
            if cell.metadata.get("nbgrader", {}).get("grade_id") in source.manual
            and cell.metadata.nbgrader.get("grade")}


def manual_states(source: SourceNotebook, checksums: dict[str, str], submitted: bytes
                  ) -> dict[str, bool]:
    """grade_id -> whether a person has to grade that manually graded part of ``submitted``
    (True: a task, or an answer whose checksum, computed as nbgrader does after
    OverwriteCells with cell type, lock and points from the source, differs from the
    release's) or it is unanswered (False: 0 at once, as nbgrader). Parts missing from the
    submission are absent. Raises :class:`NotebookError`."""
    states: dict[str, bool] = {}
    for cell in cells_of(submitted):
        grade_id = cell["nbgrader"].get("grade_id")
        if not isinstance(grade_id, str) or grade_id not in source.manual or grade_id in states:
            continue
        part = source.manual[grade_id]
        states[grade_id] = part.task or grade_id not in checksums or not _unchanged(
            part, cell, checksums[grade_id])
    return states


def _unchanged(part: ManualCell, cell: dict[str, Any], checksum: str) -> bool:
    """Whether a submitted answer cell has the release's checksum (nbgrader's own
    ``compute_checksum``); metadata flags that are not booleans never match."""
    grade, solution = cell["nbgrader"].get("grade", False), cell["nbgrader"].get("solution",
                                                                                 False)
    if type(grade) is not bool or type(solution) is not bool:
        return False
    from nbformat import NotebookNode
    from nbgrader.utils import compute_checksum

    node = NotebookNode(cell_type=part.cell_type, source=cell["source"], metadata=NotebookNode(
        nbgrader=NotebookNode(grade=grade, solution=solution, locked=part.locked,
                              grade_id=part.id, points=part.points)))
    return compute_checksum(node) == checksum


def plan(source: SourceNotebook, submitted: bytes, keep: int = 0) -> list[dict[str, Any]]:
    """The ordered steps to grade ``submitted`` (raises :class:`NotebookError`). ``keep``:
    UTF-8 bytes of each learner cell's outputs the judge brings back (0: none); such steps
    name their ``cell`` (index in ``submitted``)."""
    steps: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, cell in enumerate(cells_of(submitted)):
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
                steps.append({"kind": "learner", "source": source.locked[grade_id]} | (
                    {"cell": index, "keep": keep} if keep else {}))
            continue
        if cell["type"] == "code":
            steps.append({"kind": "learner", "source": cell["source"]} | (
                {"cell": index, "keep": keep} if keep else {}))
    return steps


def _text(value: str) -> str:
    """Learner text made writable: lone surrogates (no UTF-8 encoding) become U+FFFD."""
    return _SURROGATES.sub("\ufffd", value)


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


def _capped_text(text: str, budget: int) -> str:
    """``text`` (made writable) cut to OUTPUT_LINES lines and ``budget`` UTF-8 bytes."""
    text = _text(text)
    lines = text.splitlines(keepends=True)
    if len(lines) > OUTPUT_LINES:
        text = "".join(lines[:OUTPUT_LINES]) + f"... ({len(lines) - OUTPUT_LINES} more lines)\n"
    if _size(text) > budget:  # room left for the note and the output's JSON around it
        cut = max(budget - _OUTPUT_ROOM, 0)
        text = text.encode("utf-8")[:cut].decode("utf-8", "ignore") \
            + f"\n... (output cut at {cut} bytes)\n"
    return text


def _clean_output(item: Any, budget: int) -> dict[str, Any] | None:
    """One output of the expected shape (exact types checked before any comparison), or
    None."""
    if type(item) is not dict:
        return None
    kind, name = item.get("output_type"), item.get("name")
    if type(kind) is not str:
        return None
    if kind == "stream" and type(name) is str and name in ("stdout", "stderr") \
            and type(item.get("text")) is str:
        return {"output_type": "stream", "name": name,
                "text": _capped_text(item["text"], budget)}
    if kind in ("execute_result", "display_data") and type(item.get("data")) is dict:
        data = {mime: _capped_text(value, budget) if mime == "text/plain" else value
                for mime, value in item["data"].items()
                if type(mime) is str and mime in OUTPUT_MIME and type(value) is str
                and (mime == "text/plain" or _size(_text(value)) <= budget)}
        if not data:
            return None
        output = {"output_type": kind, "data": data, "metadata": {}}
        if kind == "execute_result":
            count = item.get("execution_count")
            output["execution_count"] = count if type(count) is int else None
        return output
    ename, evalue, frames = item.get("ename"), item.get("evalue"), item.get("traceback")
    if kind == "error" and type(ename) is str and type(evalue) is str \
            and type(frames) is list:
        text = _capped_text("\n".join(line for line in frames[:100] if type(line) is str),
                            budget)
        return {"output_type": "error", "ename": _text(ename[:200]),
                "evalue": _capped_text(evalue, 2000), "traceback": text.split("\n") if text else []}
    return None


def output_bytes(output: dict[str, Any]) -> int:
    """What one cleaned output costs against the caps: its UTF-8 JSON, every field counted."""
    return _size(json.dumps(output, ensure_ascii=False))


def clean_outputs(raw: Any, limit: int = OUTPUT_CHARS) -> list[dict[str, Any]]:
    """nbformat outputs from what a learner cell produced. Hostile data: exact types are
    checked before anything is compared, anything not of the expected shape is dropped,
    lone surrogates become U+FFFD, only :data:`OUTPUT_MIME` types stay and the outputs
    kept cost at most ``limit`` UTF-8 bytes in all (:func:`output_bytes`)."""
    outputs: list[dict[str, Any]] = []
    budget = limit
    for item in raw[:1000] if type(raw) is list else []:
        output = _clean_output(item, budget)
        if output is None:
            continue
        cost = output_bytes(output)
        if cost > budget:
            break
        budget -= cost
        outputs.append(output)
    return outputs
