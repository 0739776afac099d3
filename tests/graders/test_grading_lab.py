"""lab.toml loading and validation."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from northlab_labkit import CODE_LAB, FIXTURES, NB_LAB  # noqa: E402

from graders.lab import LabError, Limits, discover_labs, load_lab  # noqa: E402


def edited(tmp_path: Path, old: str, new: str, lab: Path = NB_LAB) -> Path:
    target = tmp_path / lab.name
    shutil.copytree(lab, target)
    text = (target / "lab.toml").read_text()
    assert old in text
    (target / "lab.toml").write_text(text.replace(old, new))
    return target


def test_fixture_labs_load() -> None:
    labs = discover_labs(FIXTURES)
    assert [lab.id for lab in labs] == ["nb-basics", "code-basics"]
    nb = load_lab(NB_LAB)
    assert nb.kind == "notebook" and nb.points == 6 and nb.limits.wall_seconds == 20
    assert nb.limits.output_kb == Limits().output_kb  # unset limits keep the default
    assert load_lab(CODE_LAB).code_files == ("game.py",)


@pytest.mark.parametrize(("old", "new", "message"), [
    ('id = "nb-basics"', 'id = "Other"', "lowercase"),
    ('id = "nb-basics"', 'id = "other"', "must equal the folder name"),
    ('track = "ai-data"', 'track = "cooking"', "'track' must be one of"),
    ('kind = "notebook"', 'kind = "video"', "'kind'"),
    ("points = 6", "points = -1", "'points'"),
    ("floor = 0", "floor = 9", "floor"),
    ('en = "Notebook basics (test fixture)"', 'de = "x"', "at least English"),
    ("wall_seconds = 20", "wall_seconds = 0", "positive number"),
    ("wall_seconds = 20", "walltime = 20", "unknown limit 'walltime'"),
    ("prerequisites = []", "prerequisites = [1]", "prerequisites"),
])
def test_bad_lab_toml_gives_a_clear_error(tmp_path: Path, old: str, new: str,
                                          message: str) -> None:
    with pytest.raises(LabError, match=message):
        load_lab(edited(tmp_path, old, new))


def test_code_lab_needs_files_and_solution(tmp_path: Path) -> None:
    with pytest.raises(LabError, match="solution/other.py is missing"):
        load_lab(edited(tmp_path, 'files = ["game.py"]', 'files = ["other.py"]', CODE_LAB))


def test_not_a_lab(tmp_path: Path) -> None:
    with pytest.raises(LabError, match="no lab.toml"):
        load_lab(tmp_path)
    (tmp_path / "lab.toml").write_text("id = [")
    with pytest.raises(LabError, match="cannot read"):
        load_lab(tmp_path)


def test_duplicate_ids_are_refused(tmp_path: Path) -> None:
    shutil.copytree(NB_LAB, tmp_path / "a" / "nb-basics")
    shutil.copytree(NB_LAB, tmp_path / "b" / "nb-basics")
    with pytest.raises(LabError, match="found twice: nb-basics"):
        discover_labs(tmp_path)


@pytest.mark.parametrize(("value", "points"), [(0.5, 0.5), (0.0, 0.0), (-1.0, 2.0),
                                               (float("nan"), 2.0), (7.0, 2.0)])
def test_partial_credit_like_nbgrader(value: float, points: float) -> None:
    from graders.record import partial_points

    assert partial_points(value, 2.0) == points
