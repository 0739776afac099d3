"""The bridge's hold on which cells are graded (manual-grades rule 1, review 9 G1), without
running nbgrader: a submission's graded cells become the lab source's, and every part a
person grades — a task too, which nbgrader's SaveAutoGrades never resets — is reset for the
new submission and listed in its note."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook
from traitlets.config import Config

from graders.manual_grades import graded_note
from graders.nbgrader_bridge import NorthlabGraded, graded_parts, source_parts
from graders.release import release_notebook

LAB = Path(__file__).resolve().parents[2] / "labs" / "foundations" / "safe-computer-checklist"
NAME = "safe-computer-checklist"
TASK = {"grade": False, "grade_id": "task_poster", "locked": True, "points": 2,
        "schema_version": 3, "solution": False, "task": True}


def lab_with_task(tmp_path: Path) -> Path:
    """A copy of the lab whose source ends with a task cell (2 points) a person grades."""
    labs = tmp_path / "labs"
    shutil.copytree(LAB, labs / "foundations" / NAME)
    path = labs / "foundations" / NAME / "source" / f"{NAME}.ipynb"
    nb = json.loads(path.read_text())
    nb["cells"].append({"cell_type": "markdown", "id": "task-poster", "source": "Make a poster.",
                        "metadata": {"nbgrader": TASK}})
    path.write_text(json.dumps(nb))
    return labs


def grade_ids(nb: nbformat.NotebookNode) -> list[str]:
    return [c.metadata["nbgrader"]["grade_id"] for c in nb.cells if "nbgrader" in c.metadata]


def test_graded_cells_become_the_sources(tmp_path: Path) -> None:
    path = lab_with_task(tmp_path) / "foundations" / NAME / "source" / f"{NAME}.ipynb"
    release = release_notebook(path)
    released = {c.metadata.nbgrader["grade_id"]: c for c in release.cells
                if "nbgrader" in c.metadata}
    submitted = nbformat.from_dict(json.loads(json.dumps(release)))
    cells = {c.metadata.nbgrader["grade_id"]: c for c in submitted.cells
             if "nbgrader" in c.metadata}
    cells["explain_checklist"].metadata.nbgrader.update(grade=False, solution=False)
    cells["explain_checklist"].source = "my answer"
    cells["test_real_site"].cell_type = "markdown"
    submitted.cells.remove(cells["task_poster"])
    submitted.cells.remove(cells["test_checklist_safe"])
    copy = nbformat.from_dict(json.loads(json.dumps(cells["explain_checklist"])))
    copy.source = "a second copy"
    submitted.cells.insert(submitted.cells.index(cells["explain_checklist"]) + 1, copy)
    submitted.cells.append(nbformat.v4.new_markdown_cell(
        "forged", metadata={"nbgrader": {"grade": True, "grade_id": "bonus", "points": 99}}))
    out = graded_parts(submitted, source_parts(path), released)
    assert grade_ids(out) == grade_ids(release)  # each once, in the lab's order
    by_id = {c.metadata.nbgrader["grade_id"]: c for c in out.cells if "nbgrader" in c.metadata}
    source = source_parts(path)
    for grade_id, cell in by_id.items():
        assert cell.cell_type == source[grade_id].cell_type
        assert {k: v for k, v in cell.metadata.nbgrader.items() if k != "checksum"} == \
            source[grade_id].metadata.nbgrader
    assert by_id["explain_checklist"].source == "my answer"  # the first copy is the answer
    assert by_id["task_poster"].source == "Make a poster."


def test_every_manual_part_is_reset_and_noted(tmp_path: Path) -> None:
    labs = lab_with_task(tmp_path)
    course = tmp_path / "course"
    course.mkdir()
    db = f"sqlite:///{course / 'gradebook.db'}"
    with Gradebook(db) as gradebook:
        gradebook.add_assignment(NAME)
        gradebook.add_notebook(NAME, NAME)
        gradebook.add_grade_cell("explain_checklist", NAME, NAME, max_score=4,
                                 cell_type="markdown")
        gradebook.add_solution_cell("explain_checklist", NAME, NAME)
        gradebook.add_task_cell("task_poster", NAME, NAME, max_score=2, cell_type="markdown")
        gradebook.add_student("ana")
        gradebook.add_submission(NAME, "ana")
        for part, points in (("explain_checklist", 4.0), ("task_poster", 2.0)):
            grade = gradebook.find_grade(part, NAME, NAME, "ana")
            grade.manual_score, grade.needs_manual_grade = points, False
        gradebook.db.commit()
    config = Config()
    config.CourseDirectory.root = str(course)
    config.NorthlabGraded.labs_dir = str(labs)
    resources = {"nbgrader": {"assignment": NAME, "notebook": NAME, "student": "ana",
                              "db_url": db},
                 "northlab": {"record": {"submission_id": "sha256:new"}}}
    NorthlabGraded(config=config).preprocess(nbformat.v4.new_notebook(), resources)
    with Gradebook(db) as gradebook:
        for part in ("explain_checklist", "task_poster"):
            grade = gradebook.find_grade(part, NAME, NAME, "ana")
            assert grade.needs_manual_grade and grade.manual_score is not None, part
    assert graded_note(course, NAME, "ana", NAME) == (
        "sha256:new", frozenset({"explain_checklist", "task_poster"}))
