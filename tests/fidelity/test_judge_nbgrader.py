"""Test cells behave as in stock nbgrader, the learner's kernel being the reference (issue
19): the same notebooks go through stock ``nbgrader autograde`` and northlab, and every
autograded cell gets the same score. nbgrader's own notebooks (its user guide's ``ps1``
and its test suite's files) are used in place, inside the installed package.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from judge_kit import (  # noqa: E402
    APP_FILES,
    USER_GUIDE,
    Case,
    compare_cells,
    differences,
    notebook,
    notebook_text,
    released,
    with_solutions,
)

SOLUTIONS = {
    "countdown": """\
def countdown(n):
    ### BEGIN SOLUTION
    while n > 0:
        yield n
        n -= 1
    ### END SOLUTION
""",
    "squares": """\
def squares(n):
    ### BEGIN SOLUTION
    return [i * i for i in range(1, n + 1)]
    ### END SOLUTION

def sum_of_squares(n):
    ### BEGIN SOLUTION
    return sum(squares(n))
    ### END SOLUTION

scratch = "a name a test deletes"
""",
    "shapes": '''\
import functools

def logged(f):
    @functools.wraps(f)
    def inner(*args, **kwargs):
        return f(*args, **kwargs)
    return inner

@logged
def area(width, height=2):
    """Area of a rectangle."""
    ### BEGIN SOLUTION
    return width * height
    ### END SOLUTION

class Point:
    def __init__(self, x, y=0):
        ### BEGIN SOLUTION
        self.x, self.y = x, y
        ### END SOLUTION
''',
}
TESTS = {
    # nbgrader's user-guide test, as in ps1/problem1
    "uses-squares": """\
orig_squares = squares
del squares
try:
    sum_of_squares(1)
except NameError:
    pass
else:
    raise AssertionError("sum_of_squares does not use squares")
finally:
    squares = orig_squares
""",
    # a test's own stub stands in for a learner function, then the original comes back
    "stub-squares": """\
original = squares
def fake_squares(n):
    return [1] * n
squares = fake_squares
try:
    assert sum_of_squares(4) == 4
finally:
    squares = original
assert sum_of_squares(2) == 5
""",
    "deletes": "del scratch\n",
    "next": """\
g = countdown(3)
assert next(g) == 3
assert next(g) == 2
assert list(g) == [1]
assert next(g, "done") == "done"
""",
    "introspection": """\
import inspect
assert area.__wrapped__.__name__ == "area"
assert list(inspect.signature(area).parameters) == ["width", "height"]
assert inspect.signature(area).parameters["height"].default == 2
assert "width * height" in inspect.getsource(area.__wrapped__)
assert list(inspect.signature(Point.__init__).parameters) == ["self", "x", "y"]
assert inspect.signature(Point(1).__init__).parameters["y"].default == 0
assert inspect.isgeneratorfunction(countdown)
assert area.__doc__ == "Area of a rectangle."
""",
    "imports": """\
import numpy as np
from copy import copy
def double(x):
    return 2 * x
LIMIT = 3
assert double(sum_of_squares(2)) == 10
""",
    "later-cells": """\
assert later == [3, 10, [1, 2], 5]
assert scratch_gone
""",
    "files-and-env": """\
assert os.environ["NBGRADER_EXECUTION"] == "autograde"
assert learner_env == "autograde"
with open("data.txt") as f:
    assert f.read().split() == ["1", "2", "3"]
from tests import total
assert total([1, 2]) == 3
""",
}
SOURCE = notebook(
    ("plain", "", "import os\nlearner_env = os.environ.get('NBGRADER_EXECUTION')", 0),
    ("solution", "countdown", SOLUTIONS["countdown"], 0),
    ("solution", "squares", SOLUTIONS["squares"], 0),
    ("solution", "shapes", SOLUTIONS["shapes"], 0),
    ("test", "uses-squares", TESTS["uses-squares"], 1),
    ("test", "stub-squares", TESTS["stub-squares"], 1),
    ("test", "deletes", TESTS["deletes"], 1),
    ("test", "next", TESTS["next"], 1),
    ("test", "introspection", TESTS["introspection"], 1),
    ("test", "imports", TESTS["imports"], 1),
    ("plain", "", "later = [np.arange(LIMIT).sum(), double(5), copy([1, 2]), "
                  "sum_of_squares(2)]\n"
                  "scratch_gone = 'scratch' not in globals()", 0),
    ("test", "later-cells", TESTS["later-cells"], 1),
    ("test", "files-and-env", TESTS["files-and-env"], 1),
)
pytestmark = pytest.mark.slow  # runs stock nbgrader autograde, like the other comparisons
FILES = {"data.txt": b"1\n2\n3\n", "tests.py": b"def total(xs):\n    return sum(xs)\n"}


def own_case(scratch: Path) -> Case:
    """The notebook above: the solution, the blank release and a wrong variant."""
    return Case("shared-namespace", SOURCE, FILES, {
        "solution": SOURCE,
        "release": released(SOURCE, scratch),
        "no-squares": with_solutions(SOURCE, {"squares": (
            "def squares(n):\n    return [i * i for i in range(1, n + 1)]\n\n"
            "def sum_of_squares(n):\n    return sum(i * i for i in range(1, n + 1))\n")}),
    })


def heldout_cases() -> list[Case]:
    """nbgrader's own: the user guide's problem1 (its two learners, the instructor's
    solution) and the test suite's notebooks that read a file and the environment."""
    ps1 = USER_GUIDE / "source" / "ps1" / "problem1.ipynb"
    source = notebook_text(ps1)
    relative = notebook_text(APP_FILES / "open_relative_file.ipynb")
    environment = notebook_text(APP_FILES / "validating-environment-variable.ipynb")
    return [
        Case("problem1", source, {}, {
            "instructor": source,
            **{learner: notebook_text(USER_GUIDE / "submitted" / learner / "ps1"
                                      / "problem1.ipynb")
               for learner in ("hacker", "bitdiddle")}}),
        Case("open-relative-file", relative, {"data.txt": (APP_FILES / "data.txt").read_bytes()},
             {"instructor": relative}),
        Case("validating-environment-variable", environment, {}, {"instructor": environment}),
    ]


@pytest.fixture(scope="module")
def scores(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, dict]:
    root = tmp_path_factory.mktemp("judge-fidelity")
    return compare_cells(root, [own_case(root), *heldout_cases()])


def test_every_autograded_cell_scores_as_in_stock_nbgrader(scores: tuple[dict, dict]) -> None:
    stock, ours = scores
    assert differences(stock, ours) == []
    # the comparison is not vacuous: each feature passes somewhere and fails somewhere
    own = {learner: cells for (lab, learner), cells in stock.items()
           if lab == "shared-namespace"}
    for cell in TESTS:
        got = {learner: cells[cell] for learner, cells in own.items()}
        assert got["solution"] == 1, (cell, got)
        if cell != "files-and-env":
            assert 0 in got.values(), (cell, got)


def test_nbgrader_user_guide_del_and_restore(scores: tuple[dict, dict]) -> None:
    """The issue's example: stock gives 0.5 to the instructor's solution; so do we."""
    stock, ours = scores
    for learner in ("instructor", "hacker", "bitdiddle"):
        assert stock["problem1", learner]["sum_of_squares_uses_squares"] == 0.5
        assert ours["problem1", learner]["sum_of_squares_uses_squares"] == 0.5
    assert ours["shared-namespace", "no-squares"]["uses-squares"] == 0


def test_nbgrader_execution_and_relative_files(scores: tuple[dict, dict]) -> None:
    stock, ours = scores
    # nbgrader's own notebook fails while grading on purpose: NBGRADER_EXECUTION is set
    key = ("validating-environment-variable", "instructor")
    assert stock[key] == ours[key] == {"cell-bfbdf1784663b6b6": 0.0}
    assert ours["open-relative-file", "instructor"] == {"open_file": 10.0}
    assert ours["shared-namespace", "release"]["files-and-env"] == 1
