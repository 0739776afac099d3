"""Done-when check of issue 19 (assignments): nbgrader's own user-guide course ``ps1``
(notebooks problem1 and problem2, learners bitdiddle and hacker), used in place from the
installed nbgrader package, grades with the same per-cell scores through ``northlab grade``
and through the nbgrader bridge as with stock ``nbgrader autograde``; its manually graded
answers and task wait for a person in the record and in nbgrader's gradebook (formgrader)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "graders"))
from northlab_labkit import USER_GUIDE, by_learner, northlab, ps1_course, ps1_lab  # noqa: E402

from graders.lab import load_lab  # noqa: E402
from graders.nbgrader_course import NbgraderCourse  # noqa: E402
from northlab.results import validate_result  # noqa: E402

LEARNERS = ("bitdiddle", "hacker")
Grades = dict[tuple[str, str, str], tuple[float | None, float]]
#: formgrader's Autograde button: nbgrader's API in the server process, one learner
AUTOGRADE_BUTTON = """
import json, sys
from nbgrader.apps import NbGraderAPI
from nbgrader.coursedir import CourseDirectory
from traitlets.config.loader import PyFileConfigLoader
config = PyFileConfigLoader("nbgrader_config.py", path=".").load_config()
api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
result = api.autograde("ps1", sys.argv[1])
print(json.dumps({"success": result["success"], "log": result.get("log", "")[-2000:]}))
"""

pytestmark = pytest.mark.slow


def _course(root: Path, lab_dir: Path, extra_config: str = "") -> NbgraderCourse:
    """A course whose source/ps1 and submitted/ are nbgrader's own (symbolic links)."""
    return NbgraderCourse(ps1_course(root), load_lab(lab_dir), course="course101",
                          extra_config=extra_config)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Stock autograde, the bridge's autograde and ``northlab grade`` on ps1."""
    tmp = tmp_path_factory.mktemp("ps1")
    lab_dir = ps1_lab(tmp / "labs")

    stock = _course(tmp / "stock", lab_dir)
    stock.generate()
    outbox = tmp / "outbox"
    bridged = "from graders.nbgrader_bridge import configure\n" \
        f"configure(c, labs_dir={str(tmp / 'labs')!r}, outbox={str(outbox)!r})"
    bridge = _course(tmp / "bridge", lab_dir, bridged)
    button = _course(tmp / "button", lab_dir, bridged.replace(str(outbox), str(tmp / "box2")))
    for course in (bridge, button):  # the same generated assignment, made once
        shutil.copy(stock.root / "gradebook.db", course.root / "gradebook.db")
        shutil.copytree(stock.root / "release", course.root / "release")
    out = tmp / "northlab.json"
    with ThreadPoolExecutor(4) as pool:  # independent graders at once
        graded = [pool.submit(stock.autograde), pool.submit(bridge.autograde), pool.submit(
            subprocess.run, [sys.executable, "-c", AUTOGRADE_BUTTON, "hacker"],
            cwd=button.root, env=button.env(), capture_output=True, text=True, timeout=900),
            pool.submit(northlab, "grade", str(lab_dir), str(USER_GUIDE / "submitted"), "--json",
                        str(out), "--workers", "1", "--no-outbox")]
        *_, clicked, result = [job.result() for job in graded]
    assert result.returncode == 0, result.stdout + result.stderr
    assert clicked.returncode == 0 and json.loads(clicked.stdout)["success"], \
        clicked.stdout + clicked.stderr
    delivered = [json.loads(p.read_text()) for p in (outbox / "pending").glob("*.json")
                 if not p.name.endswith(".state.json")]
    return {"stock": stock.grades(), "bridge": bridge.grades(), "bridge_root": bridge.root,
            "stock_root": stock.root,
            "button": button.grades(),
            "records": by_learner(json.loads(out.read_text())), "delivered": delivered}


def _record_grades(records: dict[str, dict]) -> Grades:
    """The records' per-cell scores in the gradebook's terms: a pending part has no
    automatic score (None); every other part its points."""
    return {(learner, test["notebook"], test["name"]): (
                None if test.get("pending") else float(test["points"]),
                float(test["max_points"]))
            for learner, record in records.items() for test in record["tests"]}


def test_the_course_is_a_real_one(runs: dict) -> None:
    """Not a vacuous comparison: both learners, both notebooks, automatic scores that
    differ, unanswered and pending manual parts."""
    stock: Grades = runs["stock"]
    assert {(learner, notebook) for learner, notebook, _ in stock} == {
        (learner, notebook) for learner in LEARNERS for notebook in ("problem1", "problem2")}
    assert len(stock) == 18
    autos = {score for score, _ in stock.values() if score is not None}
    assert {0.0, 0.5, 1.0} <= autos and None in {score for score, _ in stock.values()}


def test_northlab_grade_gives_stock_per_cell_scores(runs: dict) -> None:
    assert _record_grades(runs["records"]) == runs["stock"]


def test_the_bridge_gives_stock_per_cell_scores(runs: dict) -> None:
    """Graded through the bridge, nbgrader's gradebook holds what stock autograde writes,
    manual cells included (no automatic score: formgrader asks the instructor)."""
    assert runs["bridge"] == runs["stock"]


def test_formgraders_autograde_button_gives_stock_per_cell_scores(runs: dict) -> None:
    stock = {key: grade for key, grade in runs["stock"].items() if key[0] == "hacker"}
    assert runs["button"] == stock and len(stock) == 9


def test_formgrader_has_the_autograded_notebooks(runs: dict) -> None:
    for learner in LEARNERS:
        folder = runs["bridge_root"] / "autograded" / learner / "ps1"
        for name in ("problem1", "problem2"):
            nb = nbformat.read(folder / f"{name}.ipynb", as_version=4)
            ids = {c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells}
            assert {"part-a", "part-b"} <= ids if name == "problem2" else \
                "sum_of_squares_equation" in ids


def _shown(output: dict) -> tuple:
    """What formgrader shows of an output: streams' text, results' and displays' plain
    text, errors' name (tracebacks differ in colour codes and frames)."""
    if output["output_type"] == "stream":
        return "stream", output["name"], output["text"]
    if output["output_type"] == "error":
        return "error", output["ename"]
    return output["output_type"], output["data"].get("text/plain")


def test_the_learners_cells_carry_their_outputs_as_in_stock(runs: dict) -> None:
    """The bridge's autograded notebooks (what formgrader shows and feedback is made from)
    give each of the learner's code cells the outputs stock autograde's run gave it."""
    compared = 0
    for learner in LEARNERS:
        for name in ("problem1", "problem2"):
            ours, stock = (nbformat.read(runs[root] / "autograded" / learner / "ps1" /
                                         f"{name}.ipynb", as_version=4)
                           for root in ("bridge_root", "stock_root"))
            assert len(ours.cells) == len(stock.cells)
            for mine, theirs in zip(ours.cells, stock.cells, strict=True):
                meta = theirs.metadata.get("nbgrader", {})
                if theirs.cell_type != "code" or (meta.get("grade") and not
                                                  meta.get("solution")):
                    continue  # test cells: the judge's verdict (compared as scores)
                assert [_shown(o) for o in mine.outputs] == \
                    [_shown(o) for o in theirs.outputs], (learner, name, theirs.source)
                compared += bool(theirs.outputs)
    assert compared >= 4  # ps1's learners print and show values


def test_records_hold_the_lab_total_and_each_notebook(runs: dict) -> None:
    for learner, record in runs["records"].items():
        validate_result(record)
        assert record["error"] is None and record["max_score"] == 13
        by_notebook = {n["name"]: n for n in record["notebooks"]}
        assert set(by_notebook) == {"problem1", "problem2"}
        assert record["score"] == by_notebook["problem1"]["score"] + \
            by_notebook["problem2"]["score"]
        # problem2 is all written answers: 0 of 3, the 3 waiting for a person (not 0/0)
        assert (by_notebook["problem2"]["score"], by_notebook["problem2"]["max_score"],
                by_notebook["problem2"]["pending_points"]) == (0, 3, 3)
        assert record["pending_points"] == sum(n["pending_points"] for n in record["notebooks"])
        assert record["submitted_at"] == {"bitdiddle": "2015-02-02T22:58:23.948203Z",
                                          "hacker": "2015-02-01T17:28:58.749302Z"}[learner]


def test_the_bridge_delivers_one_record_per_learner(runs: dict) -> None:
    delivered = by_learner(runs["delivered"])
    assert sorted(delivered) == list(LEARNERS) and len(runs["delivered"]) == 2
    for learner, record in delivered.items():
        direct = runs["records"][learner]
        assert record["course"] == "course101"
        assert [(t["notebook"], t["name"], t["points"], t.get("pending")) for t in
                record["tests"]] == [(t["notebook"], t["name"], t["points"], t.get("pending"))
                                     for t in direct["tests"]]


def test_grades_given_in_formgrader_complete_the_bridges_records(runs: dict,
                                                                  tmp_path: Path) -> None:
    """An instructor grades every part that waits (as formgrader's API saves a grade) in a
    copy of the bridge's gradebook; `northlab manual sync` turns both delivered records
    into their updates: nothing pending, each part's points, capped at its maximum."""
    from nbgrader.api import Gradebook

    from graders.manual_grades import sync
    from graders.outbox import Outbox

    course = tmp_path / "course101"
    course.mkdir()
    shutil.copy(runs["bridge_root"] / "gradebook.db", course / "gradebook.db")
    # which submission the grades are of, as the bridge noted it after autograde
    shutil.copytree(runs["bridge_root"] / "northlab", course / "northlab")
    outbox = Outbox(tmp_path / "outbox")
    for record in runs["delivered"]:
        outbox.put(record)
    outbox.deliver(lambda record: 201)
    given = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for learner in LEARNERS:
            for notebook in gradebook.find_submission("ps1", learner).notebooks:
                for grade in notebook.grades:
                    if grade.needs_manual_grade:
                        grade.manual_score, grade.needs_manual_grade = grade.max_score + 1, False
                        given[(learner, notebook.name, grade.name)] = grade.max_score
        gradebook.db.commit()
    assert given  # ps1 has written answers and a task
    assert sorted(sync(outbox, course / "gradebook.db", "course101").updated) == [
        "bitdiddle/ps1", "hacker/ps1"]
    for key in outbox.pending():
        record = validate_result(json.loads((outbox.folder / "pending" / f"{key}.json")
                                            .read_text()))
        delivered = by_learner(runs["delivered"])[record["learner"]]
        assert record["pending_points"] == 0
        assert record["score"] == delivered["score"] + delivered["pending_points"]
        for test in record["tests"]:
            key3 = (record["learner"], test["notebook"], test["name"])
            if key3 in given:
                assert (test["points"], test.get("pending")) == (given[key3], None)
