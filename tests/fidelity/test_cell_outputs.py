"""The outputs of the learner's cells that the graded run brings back for the autograded
notebook (issue 19): the learner's own text, so bounded, cleaned of active content, and
unable to change a grade."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from graders.engine import Grader
from graders.lab import load_lab
from graders.nbgrader_bridge import cell_outputs
from graders.notebooks import OUTPUT_CHARS
from graders.submissions import Submission

sys.path.insert(0, str(Path(__file__).resolve().parent))
from judge_kit import LAB_TOML, notebook  # noqa: E402

CELLS = [
    ("solution", "shows", 'print("hi")\nx = 3\nx', 0),
    ("plain", "", 'from IPython.display import HTML, Javascript, display\n'
                  'display(HTML("<script>alert(1)</script>"))\n'
                  'display(Javascript("alert(1)"))', 0),
    ("plain", "", 'print("y" * 200_000)', 0),
    ("plain", "", "1 / 0", 0),
    ("plain", "", "get_ipython()._northlab_take = lambda: [\n"
                  '    {"output_type": "display_data", "data": {"text/html": "<script>"}},\n'
                  '    "junk", {"output_type": "stream", "name": "stdout", "text": 5}]', 0),
    ("plain", "", 'print("after")', 0),
    ("test", "check", "assert x == 3", 1),
]


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, dict[int, list]]:
    folder = tmp_path_factory.mktemp("outputs") / "outputs-lab"
    (folder / "source").mkdir(parents=True)
    source = notebook(*CELLS)
    (folder / "source" / "outputs-lab.ipynb").write_text(source)
    (folder / "lab.toml").write_text(LAB_TOML.format(id="outputs-lab", points=1))
    lab = load_lab(folder)
    with Grader(lab, workers=1, cell_outputs=True) as grader:
        record = grader.grade(Submission("ann", folder,
                                         files={"outputs-lab.ipynb": source.encode()}))
        outcome = (grader.notebook_outcomes or {})[("ann", "outputs-lab")]
    return record, cell_outputs(outcome.outputs)


def test_outputs_are_what_the_cells_printed_showed_and_raised(graded: tuple) -> None:
    _, outputs = graded
    assert [(o.output_type, o.get("name"), o.get("text")) for o in outputs[0]][0] == (
        "stream", "stdout", "hi\n")
    assert outputs[0][1].output_type == "execute_result"
    assert outputs[0][1].data == {"text/plain": "3"}
    assert [(o.output_type, o.ename) for o in outputs[3]] == [("error", "ZeroDivisionError")]


def test_active_content_is_dropped_and_text_is_capped(graded: tuple) -> None:
    _, outputs = graded
    shown = outputs[1]
    assert shown and all(o.output_type == "display_data" and set(o.data) == {"text/plain"}
                         for o in shown)
    (long,) = outputs[2]
    assert OUTPUT_CHARS - 400 < len(long.text.encode()) <= OUTPUT_CHARS  # the whole output
    assert "output cut" in long.text


def test_a_learner_who_rewrites_the_capture_changes_only_their_own_outputs(
        graded: tuple) -> None:
    record, outputs = graded
    assert outputs[5] == []  # the forged outputs were not of the expected shape
    assert record["error"] is None and record["score"] == 1
