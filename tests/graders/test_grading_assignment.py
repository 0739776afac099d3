"""A lab is one nbgrader assignment: any notebooks, parts a person grades, nbgrader's
``submitted/<learner>/<assignment>/`` layout with learners who submitted nothing, and
nbgrader's timestamps with time zones."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

sys.path.insert(0, str(Path(__file__).resolve().parent))
from northlab_labkit import NB_LAB, by_learner, honest, northlab, write_submission  # noqa: E402

from graders.engine import Grader  # noqa: E402
from graders.lab import LabError, load_lab  # noqa: E402
from graders.release import release_notebook  # noqa: E402
from graders.submissions import _timestamp, find_submissions, parse_timestamp  # noqa: E402
from northlab.results import validate_result  # noqa: E402

ASSIGNMENT = "Two_Parts-1"
LAB_TOML = f"""id = "two-parts"
assignment = "{ASSIGNMENT}"
track = "foundations"
kind = "notebook"
order = 1
points = 9
title = {{ en = "Two parts" }}
summary = {{ en = "An assignment of two notebooks" }}
"""


def _cell(cell: nbformat.NotebookNode, grade_id: str, **flags: object) -> nbformat.NotebookNode:
    cell.metadata["nbgrader"] = {"grade_id": grade_id, "schema_version": 3, "locked": False,
                                 "grade": False, "solution": False, **flags}
    return cell


def _part_a() -> nbformat.NotebookNode:
    return new_notebook(cells=[
        _cell(new_code_cell("def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n"
                            "    ### END SOLUTION"), "double", solution=True),
        _cell(new_code_cell("assert double(2) == 4"), "test-double", grade=True, points=1),
        _cell(new_markdown_cell("Doubling adds a number to itself."), "explain",
              grade=True, solution=True, points=2),
        _cell(new_code_cell("def plot():\n    ### BEGIN SOLUTION\n    return 'plot'\n"
                            "    ### END SOLUTION"), "plot", grade=True, solution=True,
              points=1),
        _cell(new_markdown_cell("Draw the figure on paper."), "task-draw", task=True,
              locked=True, points=3),
    ])


def _part_b() -> nbformat.NotebookNode:
    return new_notebook(cells=[
        _cell(new_code_cell("### BEGIN SOLUTION\nanswer = 42\n### END SOLUTION"), "answer",
              solution=True),
        _cell(new_code_cell("assert answer == 42"), "test-answer", grade=True, points=2),
    ])


@pytest.fixture(scope="module")
def lab_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    lab = tmp_path_factory.mktemp("labs") / "two-parts"
    (lab / "source").mkdir(parents=True)
    (lab / "lab.toml").write_text(LAB_TOML)
    nbformat.write(_part_a(), lab / "source" / "part-a.ipynb")
    nbformat.write(_part_b(), lab / "source" / "part-b.ipynb")
    return lab


def test_a_lab_is_an_assignment_of_several_notebooks(lab_dir: Path) -> None:
    lab = load_lab(lab_dir)
    assert lab.notebook_names == ("part-a", "part-b") and lab.named_notebooks
    assert lab.assignment == ASSIGNMENT
    assert not load_lab(NB_LAB).named_notebooks and load_lab(NB_LAB).assignment == "nb-basics"


def test_the_bridge_finds_the_lab_by_assignment_or_id(lab_dir: Path) -> None:
    """An nbgrader course of the instructor's names the assignment; the hub releases the
    lab under its id: autograde of either grades this lab, of anything else refuses."""
    from graders.nbgrader_bridge import find_lab

    assert find_lab(lab_dir.parent, ASSIGNMENT).path == lab_dir.resolve()
    assert find_lab(lab_dir.parent, "two-parts").path == lab_dir.resolve()
    assert find_lab(lab_dir.parent, "two_parts") is None


@pytest.mark.parametrize("name", ["../x", "a+b", "", "x.", 7, "with space"])
def test_an_assignment_name_nbgrader_or_the_exchange_refuses_is_an_error(
        tmp_path: Path, lab_dir: Path, name: object) -> None:
    lab = tmp_path / "two-parts"
    (lab / "source").mkdir(parents=True)
    (lab / "source" / "part-a.ipynb").write_text(nbformat.writes(_part_a()))
    (lab / "lab.toml").write_text(LAB_TOML.replace(f'"{ASSIGNMENT}"', json.dumps(name)))
    with pytest.raises(LabError, match="assignment"):
        load_lab(lab)


def test_a_notebook_lab_needs_a_notebook(tmp_path: Path) -> None:
    lab = tmp_path / "two-parts"
    (lab / "source").mkdir(parents=True)
    (lab / "lab.toml").write_text(LAB_TOML)
    with pytest.raises(LabError, match="no notebook in source/"):
        load_lab(lab)


def _submit(submitted: Path, learner: str, notebooks: dict[str, nbformat.NotebookNode],
            stamp: str | None = None) -> None:
    folder = submitted / learner / ASSIGNMENT
    folder.mkdir(parents=True)
    for name, nb in notebooks.items():
        nbformat.write(nb, folder / f"{name}.ipynb")
    if stamp is not None:
        (folder / "timestamp.txt").write_text(stamp)


@pytest.fixture(scope="module")
def records(lab_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    submitted = tmp_path_factory.mktemp("course") / "submitted"
    _submit(submitted, "ada", {"part-a": _part_a(), "part-b": _part_b()},
            "2026-03-01 02:00:00.000000 America/Edmonton")  # 09:00 UTC: on time
    blank_a = release_notebook(lab_dir / "source" / "part-a.ipynb")
    _submit(submitted, "bo", {"part-a": blank_a}, "2026-03-01 10:30:00 +3600")  # 09:30 UTC
    _submit(submitted, "cy", {"part-b": _part_b()}, "2026-03-01 12:00:00 UTC")
    (submitted / "dee").mkdir()  # a learner of the course who submitted nothing
    (submitted / "dee" / "another-assignment").mkdir()
    found = find_submissions(submitted, ASSIGNMENT,
                             due=datetime(2026, 3, 1, 10, 0, tzinfo=UTC))
    assert [(s.learner, s.missing) for s in found] == [
        ("ada", False), ("bo", False), ("cy", False), ("dee", True)]
    with Grader(load_lab(lab_dir), workers=2) as grader:
        return by_learner(grader.grade_all([s for s in found if not s.missing]))


def test_each_notebook_has_its_subtotal_and_tests_name_their_notebook(
        records: dict[str, dict]) -> None:
    ada = validate_result(records["ada"])
    assert ada["error"] is None and ada["max_score"] == 9
    assert ada["notebooks"] == [
        {"name": "part-a", "score": 1, "max_score": 7, "pending_points": 6},
        {"name": "part-b", "score": 2, "max_score": 2, "pending_points": 0}]
    assert ada["score"] == 3 and ada["pending_points"] == 6
    assert [(t["notebook"], t["name"]) for t in ada["tests"]] == [
        ("part-a", "test-double"), ("part-a", "explain"), ("part-a", "plot"),
        ("part-a", "task-draw"), ("part-b", "test-answer")]


def test_parts_a_person_grades_are_pending_with_their_points(records: dict[str, dict]) -> None:
    manual = {t["name"]: t for t in records["ada"]["tests"] if t.get("manual")}
    assert set(manual) == {"explain", "plot", "task-draw"}
    for test in manual.values():
        assert test["pending"] is True and test["points"] == 0 and not test["passed"]
        assert test["feedback"]["fr"] and test["feedback"]["en"] != test["feedback"]["fr"]
    assert [manual[n]["max_points"] for n in ("explain", "plot", "task-draw")] == [2, 1, 3]


def test_an_unanswered_part_gets_zero_at_once_and_a_task_still_waits(
        records: dict[str, dict]) -> None:
    """As nbgrader: an answer cell left as released scores 0 without a person; tasks wait."""
    tests = {t["name"]: t for t in records["bo"]["tests"]}
    assert tests["explain"]["pending"] is False and tests["plot"]["pending"] is False
    assert tests["task-draw"]["pending"] is True
    assert records["bo"]["pending_points"] == 3 and records["bo"]["score"] == 0


def test_a_missing_notebook_scores_zero_and_says_so(records: dict[str, dict]) -> None:
    cy = records["cy"]
    assert cy["error"] is None and cy["score"] == 2 and cy["max_score"] == 9
    assert cy["notebooks"][0] == {"name": "part-a", "score": 0, "max_score": 7,
                                  "pending_points": 0}
    test = next(t for t in cy["tests"] if t["name"] == "test-double")
    assert "part-a.ipynb" in test["feedback"]["en"] and "part-a.ipynb" in test["feedback"]["fr"]


def test_lateness_uses_nbgrader_time_zones(records: dict[str, dict]) -> None:
    assert records["ada"]["submitted_at"] == "2026-03-01T09:00:00Z"
    assert records["bo"]["submitted_at"] == "2026-03-01T09:30:00Z"  # +3600 s east of UTC
    assert (records["ada"]["late"], records["bo"]["late"], records["cy"]["late"]) == (
        False, False, True)


# nbgrader.utils.parse_utc's results, written out (``+3600``/``-0800`` after a space are
# seconds east of UTC, nbgrader's rule; an unknown zone name means UTC).
STAMPS = {
    "2015-02-02 14:58:23.948203 America/Los_Angeles": "2015-02-02T22:58:23.948203Z",
    "2015-02-02 14:58:23.948203 UTC": "2015-02-02T14:58:23.948203Z",
    "2015-02-02 14:58:23-08:00": "2015-02-02T22:58:23Z",
    "2015-02-02T14:58:23+01:00": "2015-02-02T13:58:23Z",
    "2015-02-02 14:58:23 +3600": "2015-02-02T13:58:23Z",
    "2015-02-02 14:58:23 -0800": "2015-02-02T15:11:43Z",
    "2015-02-02 14:58:23 EST5EDT": "2015-02-02T19:58:23Z",
    "2015-02-02 14:58:23 Nowhere/Land": "2015-02-02T14:58:23Z",
    "2015-02-02 14:58:23": "2015-02-02T14:58:23Z",
    "2015-02-02 14:58:23 ../../../../proc/self/fd/0": "2015-02-02T14:58:23Z",
    "2015-02-02 14:58:23 /dev/stdin": "2015-02-02T14:58:23Z",
    "0001-01-01 00:00:00+01:00": None,
    "2026-03-01 10:00:00 99999999999999999999": None,
    "2026-03-01 10:00:00 UTC\x00": None,
    "soon": None,
}


@pytest.mark.parametrize("text", STAMPS)
def test_timestamps_read_as_nbgrader_reads_them(text: str) -> None:
    assert parse_timestamp(text) == STAMPS[text]


def test_the_timestamp_table_is_nbgrader_own(tmp_path: Path) -> None:
    """Every time the table above accepts is what nbgrader's own parse_utc gives."""
    from nbgrader.utils import parse_utc

    for text, expected in STAMPS.items():
        if expected is not None and "/" not in text.split(" ")[-1]:
            assert parse_utc(text).isoformat() + "Z" == expected
    (tmp_path / "timestamp.txt").write_text("2015-02-02 14:58:23.948203 America/Los_Angeles\n")
    assert _timestamp(tmp_path) == "2015-02-02T22:58:23.948203Z"


def test_grade_reports_learners_who_submitted_nothing(tmp_path: Path) -> None:
    """nbgrader's submitted/ folder: a learner without the lab's folder is one summary line
    (English or French), not an error record; exit 0 when everything present was graded."""
    submitted = tmp_path / "submitted"
    write_submission(submitted / "alice", "nb-basics", honest())
    for learner in ("bob", "carol"):
        (submitted / learner / "other-lab").mkdir(parents=True)
    out = tmp_path / "out.json"
    result = northlab("grade", str(NB_LAB), str(submitted), "--json", str(out),
                      "--workers", "1", "--lang", "fr", "--no-outbox")
    assert result.returncode == 0, result.stderr
    assert [r["learner"] for r in json.loads(out.read_text())] == ["alice"]
    assert "2 apprenant(s) n'ont rien remis pour ce labo : bob, carol" in result.stdout
