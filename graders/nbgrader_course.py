"""A throwaway nbgrader course driven with stock nbgrader commands.

Used to prove equality with stock ``nbgrader autograde`` (tests), to exercise the nbgrader
bridge for real, and by ``benchmarks/grading.py``. Commands run as subprocesses with the
venv's ``bin`` on PATH (nbgrader calls ``alembic``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from nbgrader.api import Gradebook

from graders.autotest import FILENAME
from graders.lab import Lab

CONFIG = """\
c = get_config()  # noqa: F821
c.CourseDirectory.root = {root!r}
c.CourseDirectory.course_id = {course!r}
c.Execute.timeout = {timeout!r}
{extra}
"""


class NbgraderCourse:
    """An nbgrader course folder with one lab as assignment (``lab.assignment``)."""

    def __init__(self, root: Path, lab: Lab, *, course: str = "test-course",
                 timeout: int = 30, extra_config: str = "") -> None:
        self.root = Path(root)
        self.lab = lab
        self.course = course
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "nbgrader_config.py").write_text(CONFIG.format(
            root=str(self.root), course=course, timeout=timeout, extra=extra_config))
        source = self.root / "source" / lab.assignment
        if not source.exists():
            shutil.copytree(lab.source_dir, source)
        if (lab.path / FILENAME).is_file():  # the lab's course-level AUTOTEST templates
            shutil.copy(lab.path / FILENAME, self.root / FILENAME)

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '')}"
        return env

    def nbgrader(self, *args: str, timeout: float = 3600) -> subprocess.CompletedProcess[str]:
        """Run ``nbgrader ARGS`` in the course folder; raise with its output on failure."""
        result = subprocess.run(
            [str(Path(sys.executable).parent / "nbgrader"), *args], cwd=self.root,
            env=self.env(), capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            raise RuntimeError(f"nbgrader {' '.join(args)} failed:\n{result.stdout}\n"
                               f"{result.stderr}")
        return result

    def generate(self) -> None:
        self.nbgrader("generate_assignment", self.lab.assignment, "--force")

    def add_submission(self, learner: str, files: dict[str, bytes],
                       timestamp: str = "2026-01-15 12:00:00.000000 UTC") -> Path:
        folder = self.root / "submitted" / learner / self.lab.assignment
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            target = folder / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        (folder / "timestamp.txt").write_text(timestamp)
        return folder

    def autograde(self, *extra: str) -> subprocess.CompletedProcess[str]:
        return self.nbgrader("autograde", self.lab.assignment, "--create", "--force", *extra)

    def scores(self) -> dict[str, float]:
        """learner -> total score nbgrader recorded for the lab."""
        with Gradebook(f"sqlite:///{self.root / 'gradebook.db'}", self.course) as gb:
            return {sub.student_id: float(sub.score)
                    for sub in gb.assignment_submissions(self.lab.assignment)}

    def grades(self) -> dict[tuple[str, str, str], tuple[float | None, float]]:
        """(learner, notebook, grade_id) -> (automatic score, max score) nbgrader recorded
        for every graded cell and task; None: waiting for a person."""
        with Gradebook(f"sqlite:///{self.root / 'gradebook.db'}", self.course) as gb:
            return {(sub.student_id, nb.name, grade.name): (
                        None if grade.auto_score is None else float(grade.auto_score),
                        float(grade.max_score))
                    for sub in gb.assignment_submissions(self.lab.assignment)
                    for nb in sub.notebooks for grade in nb.grades}
