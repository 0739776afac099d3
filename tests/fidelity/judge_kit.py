"""Per-cell scores of the same notebooks from stock ``nbgrader autograde`` and northlab.

A *case* is one nbgrader source notebook (with its files) and some submissions. All cases
go into one throwaway nbgrader course (one ``generate_assignment`` and one ``autograde``
for all of them) and each becomes a northlab lab graded by :class:`graders.engine.Grader`.
The notebooks of nbgrader's own package are used in place (never copied into the repo).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.api import Gradebook

from graders.engine import Grader
from graders.lab import load_lab
from graders.release import release_notebook
from graders.submissions import Submission

NBGRADER = Path(sys.executable).parent / "nbgrader"
#: nbgrader's own notebooks, inside the installed package
PACKAGE = Path(__import__("nbgrader").__file__).parent
APP_FILES = PACKAGE / "tests" / "apps" / "files"
USER_GUIDE = PACKAGE / "docs" / "source" / "user_guide"
COURSE = "judge-fidelity"
LAB_TOML = """\
id = "{id}"
track = "ai-data"
kind = "notebook"
order = 1
points = {points}
floor = {points}
title = {{ en = "{id}" }}
summary = {{ en = "nbgrader fidelity case" }}

[limits]
wall_seconds = 60
cpu_seconds = 60
"""


@dataclass
class Case:
    """``source``: the nbgrader source notebook; ``files``: files next to it (name ->
    bytes); ``submissions``: learner -> submitted notebook (JSON text)."""

    id: str
    source: str
    files: dict[str, bytes] = field(default_factory=dict)
    submissions: dict[str, str] = field(default_factory=dict)


def notebook(*cells: tuple[str, str, str, float]) -> str:
    """An nbgrader source notebook: (kind, grade_id, source, points) per code cell; kind
    is "solution", "test" (autograded, locked) or "plain" (no nbgrader metadata)."""
    out = []
    for kind, grade_id, source, points in cells:
        meta: dict = {}
        if kind == "solution":
            meta = {"grade": False, "grade_id": grade_id, "locked": False,
                    "schema_version": 3, "solution": True}
        elif kind == "test":
            meta = {"grade": True, "grade_id": grade_id, "locked": True, "points": points,
                    "schema_version": 3, "solution": False}
        out.append({"cell_type": "code", "execution_count": None, "outputs": [],
                    "metadata": {"nbgrader": meta} if meta else {}, "source": source})
    return json.dumps({"cells": out, "nbformat": 4, "nbformat_minor": 5, "metadata": {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"}}})


def notebook_text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def released(source: str, scratch: Path) -> str:
    """The learner's release of ``source`` (nbgrader's own preprocessors)."""
    path = scratch / "release-input.ipynb"
    path.write_text(source)
    return json.dumps(release_notebook(path))


def with_solutions(source: str, cells: dict[str, str]) -> str:
    """``source`` with the solution cells named in ``cells`` (grade_id -> code) replaced."""
    nb = json.loads(source)
    for cell in nb["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if grade_id in cells:
            cell["source"] = cells[grade_id]
    return json.dumps(nb)


def _points(source: str) -> float:
    nb = json.loads(source)
    return sum(float(c["metadata"]["nbgrader"].get("points", 0)) for c in nb["cells"]
               if c["metadata"].get("nbgrader", {}).get("grade")
               and not c["metadata"]["nbgrader"].get("solution"))


def _write(folder: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def stock_scores(root: Path, cases: list[Case]) -> dict[tuple[str, str], dict[str, float]]:
    """(lab, learner) -> {grade_id: score} from one stock nbgrader course."""
    course = root / "course"
    course.mkdir(parents=True)
    (course / "nbgrader_config.py").write_text(
        f"c = get_config()  # noqa: F821\nc.CourseDirectory.root = {str(course)!r}\n"
        f"c.CourseDirectory.course_id = {COURSE!r}\nc.Execute.timeout = 60\n")
    for case in cases:
        source = course / "source" / case.id
        source.mkdir(parents=True)
        (source / f"{case.id}.ipynb").write_text(case.source)
        _write(source, case.files)
        for learner, text in case.submissions.items():
            folder = course / "submitted" / learner / case.id
            folder.mkdir(parents=True)
            (folder / f"{case.id}.ipynb").write_text(text)
            (folder / "timestamp.txt").write_text("2026-01-15 12:00:00.000000 UTC")
    env = {**os.environ, "PATH": f"{NBGRADER.parent}:{os.environ.get('PATH', '')}"}
    for args in (["generate_assignment", "*", "--force"],
                 ["autograde", "*", "--create", "--force"]):
        done = subprocess.run([str(NBGRADER), *args], cwd=course, env=env, text=True,
                              capture_output=True, timeout=900)
        assert done.returncode == 0, done.stdout + done.stderr
    scores: dict[tuple[str, str], dict[str, float]] = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", COURSE) as gb:
        for case in cases:
            for learner in case.submissions:
                submission = gb.find_submission(case.id, learner)
                scores[case.id, learner] = {
                    grade.name: float(grade.score) for notebook in submission.notebooks
                    for grade in notebook.grades if grade.auto_score is not None}
    return scores


def northlab_scores(root: Path, cases: list[Case]) -> dict[tuple[str, str], dict[str, float]]:
    """(lab, learner) -> {test name: points} from northlab's engine."""
    scores: dict[tuple[str, str], dict[str, float]] = {}
    for case in cases:
        folder = root / "labs" / case.id
        (folder / "source").mkdir(parents=True)
        (folder / "source" / f"{case.id}.ipynb").write_text(case.source)
        _write(folder / "source", case.files)
        # lab.toml refuses a lab worth nothing; a notebook worth 0 is still graded per cell
        points = max(_points(case.source), 1)
        (folder / "lab.toml").write_text(LAB_TOML.format(id=case.id, points=points))
        lab = load_lab(folder)
        subs = [Submission(learner, folder, files={f"{case.id}.ipynb": text.encode()})
                for learner, text in case.submissions.items()]
        with Grader(lab, workers=min(2, len(subs))) as grader:
            for record in grader.grade_all(subs):
                assert record.get("error") is None, record
                scores[case.id, record["learner"]] = {
                    t["name"]: float(t["points"]) for t in record["tests"]
                    if t["name"] != "sandbox"}
    return scores


def compare_cells(root: Path, cases: list[Case]) -> tuple[dict, dict]:
    """Per-cell scores of every (lab, learner): (stock, northlab)."""
    return stock_scores(root, cases), northlab_scores(root, cases)


def differences(stock: dict, ours: dict) -> list[str]:
    """Every cell whose score differs, one line each (empty when identical)."""
    lines = []
    for key in sorted(stock):
        for cell, score in sorted(stock[key].items()):
            got = ours.get(key, {}).get(cell)
            if got is None or abs(got - score) > 1e-9:
                lines.append(f"{key[0]}/{key[1]}/{cell}: nbgrader {score}, northlab {got}")
    return lines
