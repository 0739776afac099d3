"""Learner data never ends the judge or the nbgrader writer, and oversize is the
submission's fault (seventh review): a huge int as partial credit, a notebook that fits the
byte cap but not the judge's frame once escaped, and a tampered output capture (handles,
arrays, unbudgeted error fields, lone surrogates)."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "graders"))
from northlab_labkit import NB_LAB, SOLUTIONS, copy_lab, notebook, replace_cell_source  # noqa: E402

from graders.engine import Grader  # noqa: E402
from graders.judge.notebook import OUTPUTS_LIMIT, partial_credit  # noqa: E402
from graders.lab import load_lab  # noqa: E402
from graders.notebooks import MAX_CELL_CHARS, MAX_NOTEBOOK_BYTES, clean_outputs, output_bytes  # noqa: E402
from graders.record import partial_points  # noqa: E402
from graders.submissions import MAX_FILE_BYTES, MAX_TOTAL_BYTES, Submission  # noqa: E402

DATA = (NB_LAB / "source" / "data" / "values.txt").read_bytes()
HUGE_SQUARE = "def square(x):\n    return 10**400 if x == 2 else x * x"
KEEP = "total = float(np.loadtxt('data/values.txt').sum())"
#: answer-total cells that take the output capture apart (the review's reproducers)
TAMPERED = {
    "handle": "class Kind:\n    pass\n"
              "get_ipython()._northlab_take = lambda: [{'output_type': Kind()}]",
    "array": "get_ipython()._northlab_take = lambda: [{'output_type': np.array([1, 2])}]",
    "evalues": "_item = {'output_type': 'error', 'ename': 'E' * 200,\n"
               "         'evalue': '\\U0001F600' * 2000, 'traceback': []}\n"
               "get_ipython()._northlab_take = lambda: [dict(_item) for _ in range(1000)]",
    "surrogate": "try:\n    print('before \\ud800 after')\nexcept Exception:\n    pass",
}


def accented(cells: int, chars: int) -> str:
    """The honest notebook with ``cells`` comment cells of ``chars`` accented letters."""
    nb = json.loads(notebook(SOLUTIONS))
    nb["cells"] += [{"cell_type": "code", "metadata": {}, "outputs": [],
                     "execution_count": None, "source": "# " + "é" * chars}] * cells
    return json.dumps(nb, ensure_ascii=False)


def submission(learner: str, nb_text: str, **files: bytes) -> Submission:
    data = {"nb-basics.ipynb": nb_text.encode(), "data/values.txt": DATA, **files}
    # an accepted submission: within every cap the reader applies
    assert len(data["nb-basics.ipynb"]) <= MAX_NOTEBOOK_BYTES
    assert all(len(d) <= MAX_FILE_BYTES for d in data.values())
    assert sum(map(len, data.values())) <= MAX_TOTAL_BYTES
    return Submission(learner, NB_LAB, files=data)


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, dict]:
    """One Grader keeping outputs, on nb-basics whose test-square ends in `square(2)`."""
    lab_dir = copy_lab(NB_LAB, tmp_path_factory.mktemp("learner-data"))
    replace_cell_source(lab_dir, "test-square",
                        "assert square(3) == 9\nassert square(-2) == 4\nsquare(2)")
    wide = MAX_CELL_CHARS - 1000
    subs = [
        submission("honest", notebook(SOLUTIONS)),
        submission("huge", notebook({**SOLUTIONS, "answer-square": HUGE_SQUARE})),
        submission("wrong-means-huge", notebook({**SOLUTIONS, "answer-square": HUGE_SQUARE,
                                                 "answer-means": "def column_means(df):\n"
                                                                 "    return {}"})),
        # under the 20 MB cap, 57 MB once escaped for the judge
        submission("accented", accented(10, wide)),
        # a 9.5 MB notebook (28.5 MB escaped) with 40 MB of data files: over the 64 MB frame
        submission("accented-with-data", accented(5, wide),
                   **{f"data/big{i}.bin": b"x" * 20 * 10**6 for i in range(2)}),
        submission("accented-fits", accented(1, wide)),
        *(submission(name, notebook({**SOLUTIONS, "answer-total": f"import numpy as np\n"
                                                                  f"{code}\n{KEEP}"}))
          for name, code in TAMPERED.items()),
    ]
    with Grader(load_lab(lab_dir), workers=1, cell_outputs=True) as grader:
        records = {s.learner: grader.grade(s) for s in subs}
        outputs = {learner: outcome.outputs
                   for (learner, _), outcome in (grader.notebook_outcomes or {}).items()}
    return records, outputs


def test_a_huge_int_as_partial_credit_is_capped_as_in_nbgrader(graded: tuple) -> None:
    records, _ = graded
    assert records["honest"]["error"] is None and records["honest"]["score"] == 6
    assert records["huge"]["error"] is None and records["huge"]["score"] == 6
    wrong = records["wrong-means-huge"]
    assert wrong["error"] is None and wrong["score"] == 3
    assert {t["name"]: t["passed"] for t in wrong["tests"]} == {
        "test-square": True, "test-means": False, "test-total": True}


def test_partial_credit_reads_a_learner_number_as_nbgrader_does() -> None:
    # nbgrader: float(text of the value); 1e400 -> inf, capped; -inf -> full points
    assert partial_credit(10**400) == math.inf == float(str(10**400))
    assert partial_credit(-10**400) == -math.inf
    assert partial_points(partial_credit(10**400), 2.0) == 2.0
    assert partial_points(partial_credit(-10**400), 2.0) == 2.0
    assert partial_credit(True) is None and partial_credit(1.5) == 1.5 and partial_credit(2) == 2.0


def test_a_notebook_too_large_once_encoded_is_the_submissions_fault(graded: tuple) -> None:
    records, _ = graded
    for learner in ("accented", "accented-with-data"):
        assert records[learner]["error"]["code"] == "too-large", learner
        assert records[learner]["score"] == 0
    assert records["accented-fits"]["error"] is None
    assert records["accented-fits"]["score"] == 6


@pytest.mark.parametrize("name", sorted(TAMPERED))
def test_a_tampered_capture_changes_only_the_learners_outputs(graded: tuple,
                                                              name: str) -> None:
    records, outputs = graded
    assert records[name]["error"] is None and records[name]["score"] == 6
    kept = [o for _, cell in outputs[name] for o in cell]
    assert sum(map(output_bytes, kept)) <= OUTPUTS_LIMIT
    text = json.dumps(kept, ensure_ascii=False)
    text.encode("utf-8")  # writable: no lone surrogate left
    if name == "surrogate":
        assert "before \ufffd after" in text


def test_clean_outputs_checks_types_before_comparing_and_counts_bytes() -> None:
    class Loud:
        def __eq__(self, other: object) -> bool:
            raise RuntimeError("compared")

        __hash__ = object.__hash__

    assert clean_outputs([{"output_type": Loud()}, {"output_type": "stream", "name": Loud(),
                                                    "text": "x"}]) == []
    item = {"output_type": "error", "ename": "E" * 500, "evalue": "\U0001F600" * 5000,
            "traceback": ["\udc80"]}
    kept = clean_outputs([item] * 1000, limit=100_000)
    assert sum(map(output_bytes, kept)) <= 100_000
    assert kept[0]["traceback"] == ["\ufffd"]
    assert clean_outputs([{"output_type": "stream", "name": "stdout",
                           "text": "é" * 100_000}], limit=10_000)[0]["text"].endswith(
        "bytes)\n")


def test_the_bridge_writes_the_autograded_notebook_of_a_surrogate(tmp_path: Path) -> None:
    from graders.nbgrader_course import NbgraderCourse

    root = tmp_path / "course"
    config = ("from graders.nbgrader_bridge import configure\n"
              f"configure(c, labs_dir={str(NB_LAB.parents[1])!r}, "
              f"outbox={str(tmp_path / 'out')!r})")
    course = NbgraderCourse(root, load_lab(NB_LAB), extra_config=config)
    course.generate()
    code = f"import numpy as np\n{TAMPERED['surrogate']}\n{KEEP}"
    course.add_submission("surrogate", {"nb-basics.ipynb": notebook(
        {**SOLUTIONS, "answer-total": code}).encode(), "data/values.txt": DATA})
    course.autograde()  # raises with nbgrader's output when it fails
    graded_nb = root / "autograded" / "surrogate" / "nb-basics" / "nb-basics.ipynb"
    assert graded_nb.exists()
    assert "before \ufffd after" in graded_nb.read_text(encoding="utf-8")
    assert course.scores() == {"surrogate": 6.0}
