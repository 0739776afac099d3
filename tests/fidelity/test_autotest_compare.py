"""AUTOTEST labs in nbgrader courses: ``northlab check --compare-nbgrader`` with course-level
templates, and ``generate_assignment`` in a course configured with the bridge."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import nbformat
import pytest

from graders.compare import compare_with_nbgrader
from graders.lab import LabError, load_lab
from graders.nbgrader_course import NbgraderCourse

sys.path.insert(0, str(Path(__file__).resolve().parent))
from judge_kit import APP_FILES, LAB_TOML  # noqa: E402

pytestmark = pytest.mark.slow  # runs stock nbgrader generate_assignment and autograde


def test_course_level_autotests_reach_stock_nbgrader(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    folder = tmp_path / "autotest-simple"
    (folder / "source").mkdir(parents=True)
    shutil.copy(APP_FILES / "autotest-simple.ipynb", folder / "source")
    shutil.copy(APP_FILES / "autotests.yml", folder)
    (folder / "lab.toml").write_text(LAB_TOML.format(id="autotest-simple", points=1))
    assert compare_with_nbgrader(load_lab(folder)) == []


def test_a_bridged_course_releases_the_tests_stock_would(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """In a course configured with the bridge, ``generate_assignment`` writes the AUTOTEST
    expansion northlab made in the sandbox (it lands in northlab's cache), and the learners'
    release and the gradebook's test cells are what stock nbgrader writes."""
    from nbgrader.api import Gradebook

    cache = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    labs = tmp_path / "labs"
    folder = labs / "autotest-hashed"
    (folder / "source").mkdir(parents=True)
    shutil.copy(APP_FILES / "autotest-hashed.ipynb", folder / "source")
    shutil.copy(APP_FILES / "autotests.yml", folder / "source")
    (folder / "lab.toml").write_text(LAB_TOML.format(id="autotest-hashed", points=1))
    lab = load_lab(folder)
    bridged = NbgraderCourse(tmp_path / "bridged", lab, extra_config=(
        "from graders.nbgrader_bridge import configure\n"
        f"configure(c, labs_dir={str(labs)!r})"))
    bridged.generate()
    assert list((cache / "northlab" / "autotest").glob("*.json"))
    stock = NbgraderCourse(tmp_path / "stock", lab)
    stock.generate()
    sources = []
    for course in (bridged, stock):
        release = nbformat.read(course.root / "release" / lab.id / f"{lab.id}.ipynb", 4)
        with Gradebook(f"sqlite:///{course.root / 'gradebook.db'}", course.course) as gb:
            stored = {cell.name: cell.source for cell in gb.find_notebook(
                lab.id, lab.id).source_cells}
        sources.append(([cell.source for cell in release.cells], stored))
    assert sources[0] == sources[1]
    assert any("hexdigest()" in source for source in sources[0][1].values())


def test_a_solution_that_raises_while_expanding_stops_grading(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch
                                                               ) -> None:
    """As nbgrader's generate_assignment stops, the grader does not start: one sentence
    with the error, never tests made from a half-run solution."""
    from graders.engine import Grader

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    folder = tmp_path / "autotest-simple"
    (folder / "source").mkdir(parents=True)
    nb = nbformat.read(APP_FILES / "autotest-simple.ipynb", 4)
    solution = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution"))
    solution.source += "\n1 / 0"
    nbformat.write(nb, folder / "source" / "autotest-simple.ipynb")
    shutil.copy(APP_FILES / "autotests.yml", folder / "source")
    (folder / "lab.toml").write_text(LAB_TOML.format(id="autotest-simple", points=1))
    with pytest.raises(LabError, match="the solution raised ZeroDivisionError"):
        Grader(load_lab(folder), workers=1)
