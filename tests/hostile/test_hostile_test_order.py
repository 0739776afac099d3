"""The learner decides which test cells run and in what order; a test's own names never come
from the learner (fifth adversarial review, F1).

A grade_id's position in the learner's notebook places its test cell, and a learner may move
or remove test cells. event-budget's answer test calls ``_close``, a helper earlier test
cells define: run first, it used to find ``_close`` in the learner's worker (the learner's
yes-function: 4/10 for a blank spreadsheet that deserves 2/10), and any hidden argument went
to learner code. Now a name only the lab's test cells bind is a ``NameError`` until a test
cell binds it, whatever the learner's notebook holds, as in nbgrader's kernel when the
defining cell has not run; ``northlab check`` tries test cells reversed with a worker that
says yes to any name it lacks, and fails a lab where that gains.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "graders"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from northlab_labkit import NB_LAB, SOLUTIONS, copy_lab  # noqa: E402
from remote_pair import remote_pair  # noqa: E402

from graders.check import check_lab  # noqa: E402
from graders.engine import Grader  # noqa: E402
from graders.judge.lab_names import LabCode  # noqa: E402
from graders.judge.notebook import LearnerNamespace, run_test_cell  # noqa: E402
from graders.lab import load_lab  # noqa: E402
from graders.release import release_notebook  # noqa: E402
from graders.remote import worker  # noqa: E402
from graders.submissions import Submission, read_files  # noqa: E402
from graders.tamper import YES_WORKER as YES_WORKER_CELL  # noqa: E402

BUDGET = Path(__file__).resolve().parents[2] / "labs" / "foundations" / "event-budget"

#: the learner's worker answers every name it does not hold with a yes-function (the
#: review's generic form: no hidden name needed)
YES_WORKER = '''\
import sys
_server = sys.modules["graders.remote.worker"].WorkerServer
_ask = _server.op_name
def _op_name(self, header, decoder):
    if str(header["name"]) not in self.namespace:
        return lambda *args, **kwargs: True
    return _ask(self, header, decoder)
_server.op_name = _op_name
'''
FAKE_HELPER = "{name} = lambda *args, **kwargs: True"


def is_test(cell: nbformat.NotebookNode) -> bool:
    nbg = cell.metadata.get("nbgrader", {})
    return cell.cell_type == "code" and nbg.get("grade") and not nbg.get("solution")


def arranged(notebook: Path, answers: dict[str, str], order: str, first: str = "") -> bytes:
    """The release of ``notebook`` with ``answers`` (grade_id -> source), its test cells
    ``kept``, ``reversed`` (after every other cell), with the first one ``omitted``, or
    with test ``first:<grade_id>`` moved before the others; ``first``: a new first cell."""
    nb = release_notebook(notebook)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
    tests = [cell for cell in nb.cells if is_test(cell)]
    if order == "reversed":
        nb.cells = [cell for cell in nb.cells if not is_test(cell)] + tests[::-1]
    elif order == "omitted":
        nb.cells.remove(tests[0])
    elif order.startswith("first:"):
        moved = next(c for c in tests if c.metadata.nbgrader.grade_id == order[6:])
        nb.cells.remove(moved)
        nb.cells.insert(nb.cells.index(tests[0]), moved)
    if first:
        nb.cells.insert(0, nbformat.v4.new_code_cell(first))
    return nbformat.writes(nb).encode()


def grade(lab_dir: Path, notebooks: dict[str, bytes]) -> dict[str, dict]:
    """learner -> record, each learner the lab's released files with its notebook."""
    lab = load_lab(lab_dir)
    files = {n: d for n, d in read_files(lab.source_dir).items() if not n.endswith(".ipynb")}
    subs = [Submission(learner, lab.source_dir, files={**files, f"{lab.id}.ipynb": nb})
            for learner, nb in notebooks.items()]
    with Grader(lab, workers=2) as grader:
        return {r["learner"]: r for r in grader.grade_all(subs)}


def points(record: dict) -> dict[str, float]:
    assert record["error"] is None, record["error"]
    return {t["name"]: t["points"] for t in record["tests"]}


def test_event_budget_reordered_test_cells_never_read_the_learners_helper() -> None:
    """The review's reproducers: the answers typed, the blank template as the budget."""
    notebook = BUDGET / "source" / "event-budget.ipynb"
    answers = {"budget_file": "budget_file = 'budget-template.xlsx'",
               "left_over": "left_over = 145.77", "enough_for_prizes": "enough_for_prizes = 'no'"}
    records = grade(BUDGET, {
        "honest": arranged(notebook, answers, "kept"),
        "reorder-fake-helper": arranged(notebook, answers, "first:test_left_over_answer",
                                        FAKE_HELPER.format(name="_close")),
        "reversed-yes-worker": arranged(notebook, answers, "reversed", YES_WORKER),
        "reversed-yes-worker-and-helper": arranged(
            notebook, answers, "reversed", YES_WORKER + FAKE_HELPER.format(name="_close")),
    })
    honest = points(records["honest"])
    assert honest["test_left_over_answer"] == 0 and records["honest"]["score"] == 2
    for learner in ("reorder-fake-helper", "reversed-yes-worker",
                    "reversed-yes-worker-and-helper"):
        assert points(records[learner])["test_left_over_answer"] == 0, learner
        assert records[learner]["score"] == records["honest"]["score"], learner


#: a test helper (``_same``) defined by test-square after a first call to the learner's
#: code, and used by test-total (which the learner answers wrongly)
HELPER_TESTS = {
    "test-square": ("assert square(3) == 9\n"
                    "def _same(got, want):\n"
                    "    return type(got) is type(want) and got == want\n"
                    "assert _same(square(-2), 4)"),
    "test-total": "assert _same(total, 10.0)",
}


@pytest.fixture(scope="module")
def helper_lab(tmp_path_factory: pytest.TempPathFactory) -> Path:
    lab = copy_lab(NB_LAB, tmp_path_factory.mktemp("order"))
    path = lab / "source" / "nb-basics.ipynb"
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        cell["source"] = HELPER_TESTS.get(grade_id, cell["source"])
    path.write_text(json.dumps(nb))
    return lab


WRONG_TOTAL = {"answer-total": "total = 0.0", "answer-means": SOLUTIONS["answer-means"]}
#: learner -> (answers, test cell order, first cell): every way the defining cell does not
#: run before the test that uses its helper, with the learner's helper or a yes-worker
ATTACKS = {
    "reversed-fake-helper": ({**WRONG_TOTAL, "answer-square": SOLUTIONS["answer-square"]},
                             "reversed", FAKE_HELPER.format(name="_same")),
    "omitted-fake-helper": ({**WRONG_TOTAL, "answer-square": SOLUTIONS["answer-square"]},
                            "omitted", FAKE_HELPER.format(name="_same")),
    # square left blank: test-square raises before its def
    "raises-first-fake-helper": (WRONG_TOTAL, "kept", FAKE_HELPER.format(name="_same")),
    "raises-first-yes-worker": (WRONG_TOTAL, "kept", YES_WORKER),
    "reversed-yes-worker": ({**WRONG_TOTAL, "answer-square": SOLUTIONS["answer-square"]},
                            "reversed", YES_WORKER),
    "omitted-yes-worker": ({**WRONG_TOTAL, "answer-square": SOLUTIONS["answer-square"]},
                           "omitted", YES_WORKER),
}


def test_a_test_helper_never_comes_from_the_learner_whatever_the_order(helper_lab: Path
                                                                        ) -> None:
    notebook = helper_lab / "source" / "nb-basics.ipynb"
    notebooks = {learner: arranged(notebook, answers, order, first)
                 for learner, (answers, order, first) in ATTACKS.items()}
    notebooks["solution"] = arranged(notebook, SOLUTIONS, "kept")
    # an honest learner who moves the test cells loses the helper's tests, as in nbgrader
    notebooks["solution-reversed"] = arranged(notebook, SOLUTIONS, "reversed")
    records = grade(helper_lab, notebooks)
    assert records["solution"]["score"] == 6  # positive control: the helper works in order
    assert points(records["solution-reversed"])["test-total"] == 0
    for learner in ATTACKS:
        assert points(records[learner])["test-total"] == 0, learner


def test_the_tamper_pass_worker_says_yes_to_any_name_it_lacks_but_answers(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The tamper pass's first cell patches the real worker (restored after this test)."""
    monkeypatch.setattr(worker.WorkerServer, "op_name", worker.WorkerServer.op_name)
    exec(YES_WORKER_CELL.format(answers=["answer"]), {})
    server = worker.WorkerServer(None, {"held": 1})
    assert server.op_name({"name": "held"}, None) == 1
    assert server.op_name({"name": "_helper"}, None)(1, want=2) is True
    with pytest.raises(NameError):
        server.op_name({"name": "answer"}, None)  # an answer left blank stays blank


#: a plain cell the learner may edit, named like test-square's helper: a self-check that
#: prints (the learner's name, so the judge asks the worker for it when test-total runs
#: before test-square)
SELF_CHECK = ('def _same(got, want):\n'
              '    print("square(2) =", square(2), "| your answer:", got, "| expected:", want)')


def test_northlab_check_fails_a_lab_whose_test_helper_the_learner_can_bind(
        helper_lab: Path, tmp_path: Path) -> None:
    lab = tmp_path / "nb-basics"
    shutil.copytree(helper_lab, lab)
    path = lab / "source" / "nb-basics.ipynb"
    nb = json.loads(path.read_text())
    at = next(i for i, c in enumerate(nb["cells"])
              if c["metadata"].get("nbgrader", {}).get("grade_id") == "answer-total")
    nb["cells"].insert(at + 1, {
        "cell_type": "code", "execution_count": None, "outputs": [], "id": "self-check",
        "source": SELF_CHECK, "metadata": {}})
    path.write_text(json.dumps(nb))
    checks = dict(check_lab(lab).checks)
    assert checks["solution"] is None and checks["release"] is None  # honest runs are fine
    assert ("(the solution with test cells reversed, a yes-saying worker) scored 6, the same "
            "(test cells reversed) 5") in (checks["tamper"] or "")


def test_a_test_name_not_bound_yet_is_neither_read_nor_seen_in_the_learners_namespace(
        ) -> None:
    """In the judge: ``_same`` (only test cells bind it) is missing, for ``globals()`` and
    ``dir()`` too, until a test binds it, whatever the learner's worker holds; the
    learner's answer is read as before."""
    learner = {"_same": lambda *args: True, "total": 0.0}
    with remote_pair(learner) as conn:
        namespace = LearnerNamespace(conn, LabCode(test_names={"_same"}))
        with pytest.raises(KeyError):
            namespace["_same"]  # noqa: B018 - the lookup is the test
        assert "_same" not in namespace.names() and "total" in namespace.names()
        assert namespace["total"] == 0.0
        run = run_test_cell("assert '_same' not in globals() and '_same' not in dir()",
                            namespace)
        assert run["passed"], run
        assert not run_test_cell("assert _same(total, 10.0)", namespace)["passed"]
        assert run_test_cell("def _same(got, want):\n    return got == want\n"
                             "assert not _same(total, 10.0)", namespace)["passed"]
        assert "_same" in namespace.names()  # the test's own, once a test cell bound it
