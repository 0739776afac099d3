"""Class 8 of the threat model: labs never trust names the learner can rebind.

``northlab check`` proves it per lab with a tamper pass (graders/tamper.py) and refuses
tests that only read what a locked cell computed from the learner's code. Here: the pass
finds a lab that trusts such a name, passes password-hashing, and the attack the issue
reported on password-hashing (rebind the leaks and the "cracked" results consistently after
the locked cells: 4/16 without cracking anything) now scores what the blank release does.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "graders"))
from northlab_labkit import CODE_LAB, NB_LAB  # noqa: E402

from graders.check import check_lab, submissions_for  # noqa: E402
from graders.engine import Grader  # noqa: E402
from graders.lab import load_lab  # noqa: E402
from graders.release import release_notebook  # noqa: E402
from graders.submissions import Submission, read_files  # noqa: E402

PASSWORD_LAB = Path(__file__).resolve().parents[2] / "labs" / "cybersecurity" / "password-hashing"


def trusting_lab(into: Path) -> Path:
    """nb-basics, with test-square reading a flag a locked cell computes from square()."""
    lab = into / "nb-basics"
    shutil.copytree(NB_LAB, lab)
    path = lab / "source" / "nb-basics.ipynb"
    nb = json.loads(path.read_text())
    at = next(i for i, c in enumerate(nb["cells"])
              if c["metadata"].get("nbgrader", {}).get("grade_id") == "answer-square")
    nb["cells"].insert(at + 1, {
        "cell_type": "code", "execution_count": None, "outputs": [], "id": "check-square",
        "source": "square_ok = square(3) == 9 and square(-2) == 4",
        "metadata": {"nbgrader": {"grade": False, "solution": False, "locked": True,
                                  "grade_id": "check-square", "schema_version": 3}}})
    for cell in nb["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == "test-square":
            cell["source"] = "assert square_ok"
    path.write_text(json.dumps(nb))
    return lab


def test_the_tamper_pass_finds_a_test_that_trusts_a_rebindable_name(tmp_path: Path) -> None:
    report = check_lab(trusting_lab(tmp_path))
    checks = dict(report.checks)
    assert checks["solution"] is None and checks["release"] is None  # honest runs are fine
    assert "rebinding square_ok (true) scored 2" in checks["tamper"]
    assert "test cell test-square only checks square_ok" in checks["metadata"]


def test_password_hashing_passes_the_tamper_pass() -> None:
    report = check_lab(PASSWORD_LAB)
    assert dict(report.checks)["tamper"] is None and report.ok, report.checks


def _after(nb: nbformat.NotebookNode, grade_id: str, source: str) -> None:
    at = next(i for i, c in enumerate(nb.cells)
              if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    nb.cells.insert(at + 1, nbformat.v4.new_code_cell(source))


def test_rebinding_the_leaks_and_the_results_gains_nothing() -> None:
    lab = load_lab(PASSWORD_LAB)
    nb = release_notebook(lab.notebook)
    _after(nb, "load_data", (
        "import hashlib\n"
        "leak_unsalted = {f'u{i}': hashlib.sha256(str(i).encode()).hexdigest() "
        "for i in range(9)}\n"
        "leak_salted = [{'username': f's{i}', 'salt': 'ab', 'sha256': "
        "hashlib.sha256(('ab' + str(i)).encode()).hexdigest()} for i in range(4)]\n"
        "words = [str(i) for i in range(9)]"))
    _after(nb, "run_unsalted", "cracked_unsalted = {f'u{i}': str(i) for i in range(9)}")
    _after(nb, "costs", "cracked_salted = {f's{i}': str(i) for i in range(4)}")
    files = {**read_files(lab.source_dir), f"{lab.id}.ipynb": nbformat.writes(nb).encode()}
    _, release = submissions_for(lab)
    with Grader(lab, workers=1) as grader:
        attack, blank = grader.grade_all([Submission("attack", lab.path, files=files),
                                          release])
    assert attack["error"] is None
    assert attack["score"] <= blank["score"], [t for t in attack["tests"] if t["passed"]]


def _edit_cells(lab: Path, edits: dict[str, str], after: dict[str, tuple[str, str]]) -> None:
    """Replace the source of cells by grade id; insert locked cells after others."""
    path = lab / "source" / f"{lab.name}.ipynb"
    nb = json.loads(path.read_text())
    for grade_id, (new_id, source) in after.items():
        at = next(i for i, c in enumerate(nb["cells"])
                  if c["metadata"].get("nbgrader", {}).get("grade_id") == grade_id)
        nb["cells"].insert(at + 1, {
            "cell_type": "code", "execution_count": None, "outputs": [], "id": new_id,
            "source": source,
            "metadata": {"nbgrader": {"grade": False, "solution": False, "locked": True,
                                      "grade_id": new_id, "schema_version": 3}}})
    for cell in nb["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if grade_id in edits:
            cell["source"] = edits[grade_id]
    path.write_text(json.dumps(nb))


def test_the_pass_finds_a_test_that_passes_on_empty_answers(tmp_path: Path) -> None:
    lab = tmp_path / "nb-basics"
    shutil.copytree(NB_LAB, lab)
    _edit_cells(lab, {"test-means": (
        "_got = column_means(pd.DataFrame({'a': [1, 3]}))\n"
        "assert all(abs(v - 2.0) < 1e-9 for _, v in _got.items())")}, {})
    checks = dict(check_lab(lab).checks)
    assert checks["solution"] is None and checks["release"] is None
    assert "rebinding every answer (empty-frame) scored 3" in checks["tamper"]


def test_the_pass_finds_a_lab_value_and_an_answer_that_agree(tmp_path: Path) -> None:
    lab = tmp_path / "nb-basics"
    shutil.copytree(NB_LAB, lab)
    _edit_cells(lab, {"test-square": "_x = sum(samples)\nassert square(_x) == _x * _x"},
                {"imports": ("samples", "samples = [3]\nsamples.append(4)")})
    checks = dict(check_lab(lab).checks)
    assert checks["solution"] is None and checks["release"] is None
    assert "samples with every answer stubbed (empty-list+first-argument) scored 2" \
        in checks["tamper"], checks["tamper"]


def test_the_pass_finds_a_code_lab_test_that_passes_on_empty_answers(tmp_path: Path) -> None:
    lab = tmp_path / "code-basics"
    shutil.copytree(CODE_LAB, lab)
    test_file = lab / "grader" / "test_game.py"
    test_file.write_text(test_file.read_text().replace(
        'assert learner.module("game").new_state() == {"x": 10, "y": 0}',
        'assert all(v in (10, 0) for _, v in learner.module("game").new_state().items())'))
    checks = dict(check_lab(lab).checks)
    assert checks["solution"] is None and checks["release"] is None
    assert "rebinding every function (empty-frame) scored 1" in checks["tamper"]
