"""Compare northlab's scores with stock ``nbgrader autograde`` on one notebook lab.

The cohort is generated from the lab itself: the instructor solution, the blank release,
and one submission per solution cell with only that cell blanked (its release stub), so
the scores spread between 0 and full marks. Stock nbgrader runs the (trusted) instructor
code in a throwaway course; ``northlab check --compare-nbgrader`` reports any difference.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import nbformat

from graders.engine import Grader
from graders.lab import Lab
from graders.nbgrader_course import NbgraderCourse
from graders.release import release_notebook
from graders.sandbox import Sandbox
from graders.submissions import Submission, read_files


def mutation_cohort(lab: Lab) -> dict[str, dict[str, bytes]]:
    """learner -> files: solution, release, and one "blank-<grade_id>" per solution code
    cell (in a lab of several notebooks "blank-<notebook>-<grade_id>")."""
    files = read_files(lab.source_dir)
    released = {name: release_notebook(lab.notebook_path(name)) for name in lab.notebook_names}
    cohort = {"solution": files,
              "release": {**files, **{f"{name}.ipynb": nbformat.writes(nb).encode()
                                      for name, nb in released.items()}}}
    for name, release in released.items():
        prefix = f"blank-{name}-" if lab.named_notebooks else "blank-"
        for i, cell in enumerate(release.cells):
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("solution") and cell.cell_type == "code":
                nb = nbformat.read(str(lab.notebook_path(name)), as_version=nbformat.NO_CONVERT)
                nb.cells[i].source = cell.source
                cohort[f"{prefix}{meta.get('grade_id', i)}"] = {
                    **files, f"{name}.ipynb": nbformat.writes(nb).encode()}
    return cohort


def compare_with_nbgrader(lab: Lab, *, sandbox: Sandbox | None = None) -> list[str]:
    """Differences between stock nbgrader and northlab scores (empty when identical)."""
    cohort = mutation_cohort(lab)
    with tempfile.TemporaryDirectory(prefix="northlab-compare-") as tmp:
        course = NbgraderCourse(Path(tmp) / "course", lab, timeout=int(lab.limits.wall_seconds))
        course.generate()
        for learner, files in cohort.items():
            course.add_submission(learner, files)
        course.autograde()
        stock = course.scores()
    subs = [Submission(learner, lab.source_dir, files=files) for learner, files in cohort.items()]
    with Grader(lab, workers=2, sandbox=sandbox) as grader:
        ours = {r["learner"]: r["score"] for r in grader.grade_all(subs)}
    return [f"{learner}: nbgrader {stock.get(learner)}, northlab {ours.get(learner)}"
            for learner in cohort if stock.get(learner) != ours.get(learner)]
