"""The shared namespace of test and learner cells, on a real judge/worker protocol pair
(in-process, no sandbox): where it follows nbgrader and where a trust rule wins."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "hostile"))
from remote_pair import remote_pair  # noqa: E402

from graders.judge.lab_names import LabCode  # noqa: E402
from graders.judge.notebook import LearnerNamespace, run_test_cell  # noqa: E402
from graders.notebooks import hidden_lines  # noqa: E402


def run(learner: dict[str, Any], *cells: str, code: LabCode | None = None) -> list[bool]:
    with remote_pair(learner) as conn:
        namespace = LearnerNamespace(conn, code)
        return [run_test_cell(cell, namespace)["passed"] for cell in cells]


def test_del_rebind_and_restore_reach_the_learner() -> None:
    learner: dict[str, Any] = {"answer": 1}
    assert run(learner, "del answer", "answer", "answer = 2\nassert answer == 2") == [
        True, False, True]
    assert learner["answer"] == 2
    assert run({}, "del nothing_here") == [False]  # NameError, as in a kernel


def test_a_deleted_library_name_is_never_the_learners() -> None:
    learner: dict[str, Any] = {"math": "the learner's spy"}
    code = LabCode(libraries={"math": ["math", None]})
    assert run(learner, "del math\ntry:\n    math\nexcept NameError:\n    pass\n"
                        "else:\n    raise AssertionError('fell back to the learner')",
               "assert math.sqrt(4) == 2", code=code) == [True, True]


def test_a_test_function_handed_to_learner_code_is_a_worker_copy() -> None:
    learner: dict[str, Any] = {}
    exec("def apply(f, x):\n    return [f(x), f.__globals__ is globals()]\n"
         "def call(f, x):\n    return f(x)", learner)
    assert run(learner, "assert apply(lambda x: x + 1, 1) == [2, True]",
               "import math\nassert call(math.sqrt, 9) == 3.0") == [True, True]
    assert "math" in learner  # a test's import reaches later learner cells


def test_only_visible_untainted_bindings_are_shared() -> None:
    learner: dict[str, Any] = {}
    assert run(learner, "seen = 1\n### BEGIN HIDDEN TESTS\nsecret = 2\nmutated = []\n"
                        "### END HIDDEN TESTS\n",
               "derived = secret + 1\nmutated = [3]\nhelper = lambda: seen") == [True, True]
    assert learner["seen"] == 1 and callable(learner["helper"])
    # after a hidden part ran, no plain value crosses (it may hold hidden values however
    # it was computed); functions cross as worker copies of their source
    assert not {"secret", "derived", "mutated"} & set(learner)


def test_no_hidden_value_reaches_the_learner_by_any_binding() -> None:
    """Review round 3: a hidden import of a plain value, ``:=`` in a hidden assert, a
    visible helper that a hidden part calls to fill a visible list, a visible binding after
    the hidden part in the same cell: none of these reaches the learner's namespace."""
    learner: dict[str, Any] = {"answer_one": lambda x: 2 * x}
    cells = [
        "_log = []\ndef _note(v):\n    _log.append(v)\n### BEGIN HIDDEN TESTS\n"
        "assert answer_one(5) == (_want := 10)\n_note(4182)\n### END HIDDEN TESTS\n"
        "_summary = ('checked', _want, list(_log))\n",
        "_later = list(_log)\nimport math\n",
        "### BEGIN HIDDEN TESTS\nfrom math import pi as SECRET_ANSWER\n"
        "### END HIDDEN TESTS\n",
    ]
    assert run(learner, *cells) == [True, True, True]
    assert not {"SECRET_ANSWER", "_want", "_summary", "_later"} & set(learner)
    assert learner["_log"] == []  # copied when bound, before the hidden part ran
    assert "math" in learner and callable(learner["_note"])


@pytest.mark.parametrize("marker", ["### BEGIN HIDDEN TESTS", "## BEGIN HIDDEN TESTS",
                                    "# BEGIN HIDDEN TESTS", "###BEGIN HIDDEN TESTS",
                                    "x = 0  ### BEGIN HIDDEN TESTS"])
def test_any_line_nbgrader_hides_is_hidden_here(marker: str) -> None:
    """Review round 4: nbgrader hides from any line containing BEGIN HIDDEN TESTS; the judge
    must agree, or hidden expected values are shared (and so is everything after)."""
    learner: dict[str, Any] = {}
    end = marker.replace("BEGIN", "END").replace("x = 0  ", "")
    assert run(learner, f"{marker}\n_cases = {{'a': 1}}\n{end}\n", "_later = 2") == [True, True]
    assert not {"_cases", "_later"} & set(learner)
    assert hidden_lines(f"a = 1\n{marker}\nb = 2\n{end}\nc = 3") == {2, 3, 4}


def test_code_a_hidden_part_defines_never_reaches_the_worker() -> None:
    """Review round 4: a function, lambda or class defined in a hidden part and handed to
    learner code is not rebuilt in the worker from its (hidden) source: the test fails."""
    learner: dict[str, Any] = {}
    exec("def grab(f):\n    globals()['got'] = f\n    return True", learner)
    cells = ["### BEGIN HIDDEN TESTS\ndef _ref(x):\n    return 42\nassert grab(_ref)\n"
             "### END HIDDEN TESTS",
             "### BEGIN HIDDEN TESTS\nassert grab(lambda x: 42)\n### END HIDDEN TESTS",
             "### BEGIN HIDDEN TESTS\nclass _Ref:\n    answer = 42\nassert grab(_Ref)\n"
             "### END HIDDEN TESTS",
             "def _shown(x):\n    return x\nassert grab(_shown)"]
    assert run(learner, *cells) == [False, False, False, True]
    assert learner["got"].__name__ == "_shown"  # visible code still crosses as a copy
