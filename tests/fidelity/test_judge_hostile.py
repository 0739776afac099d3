"""The paths nbgrader fidelity opened (issue 19) do not reopen the grader-trust holes
(issue 11): a test's own function that learner code gets runs in the worker, a restored
learner name stays a handle, a name a test bound stays the test's, hidden values and what
is computed from them never reach the learner, and inspecting a learner object asks the
worker without trusting it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from judge_kit import Case, northlab_scores, notebook  # noqa: E402

ATTACKS = {
    # learner code calls a test's helper: the copy runs in the worker (its cwd, not the
    # judge's), and its globals are the learner's namespace, without the hidden value
    "helper-runs-in-worker": (
        """\
def apply(f, x):
    return [f(x), "hidden_ref" in f.__globals__]
""",
        """\
### BEGIN HIDDEN TESTS
hidden_ref = 99
### END HIDDEN TESTS
def where(_):
    import os
    return os.getcwd()
import os
here = os.getcwd()
assert where(0) == here
seen, leaked = apply(where, 0)
assert seen != here and not leaked
"""),
    # a learner function labelled builtins.exec, taken, deleted and restored by a test:
    # still the learner's object, every call runs in the worker
    "restored-label": (
        """\
def squares(code):
    return "worker"
squares.__module__, squares.__qualname__, squares.__name__ = "builtins", "exec", "exec"
""",
        """\
orig = squares
del squares
squares = orig
assert squares("1") == "worker"
"""),
    # a name a test bound stays the test's, even if a later learner cell rebinds it
    "helper-rebound": (
        """\
answer = 5
""",
        """\
def check(value):
    assert value == 4, "wrong"
check(4)
""",
        "check = lambda value: None\nimport builtins\n",
        """\
try:
    check(answer)
except AssertionError:
    pass
else:
    raise AssertionError("the learner's check was used")
"""),
    # a hidden value never reaches the learner, not even into a name it defined first,
    # nor a visible value computed from it
    "hidden-values-stay": (
        """\
expected = None
doubled = None
def peek():
    return [expected, doubled]
""",
        """\
### BEGIN HIDDEN TESTS
expected = 42
### END HIDDEN TESTS
""",
        "",
        """\
doubled = expected * 2
assert peek() == [None, None]
"""),
    # the worker's inspect is the learner's to break: its answer is checked as data
    "lying-inspect": (
        """\
import inspect
def f(a, b=1):
    return a
inspect.signature = lambda *args, **kwargs: 42
""",
        """\
import inspect
try:
    inspect.signature(f)
except Exception:
    pass
else:
    raise AssertionError("a lying signature was believed")
assert list(inspect.signature(len).parameters) == ["obj"]
"""),
    # protocols the judge's libraries read as raw memory stay refused on a handle
    "array-protocols-refused": (
        """\
class Evil:
    __array_interface__ = {"shape": (1,), "typestr": "<i8", "data": (8, True)}
    __dataframe__ = None
evil = Evil()
""",
        """\
import numpy as np
for name in ("__array_interface__", "__array_struct__", "__dataframe__", "__class__"):
    assert not hasattr(evil, name) or name == "__class__"
try:
    np.asarray(evil)
except Exception:
    pass
"""),
}


def _cells(name: str, parts: tuple[str, ...]) -> list[tuple[str, str, str, float]]:
    cells = [("solution", f"{name}-answer", parts[0], 0), ("test", f"{name}-check", parts[1], 1)]
    if len(parts) == 4:
        cells += [("plain", "", parts[2], 0), ("test", f"{name}-again", parts[3], 1)]
    return cells


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, float]:
    """One lab holding every attack in turn (their names do not collide)."""
    root = tmp_path_factory.mktemp("judge-hostile")
    source = notebook(*(cell for name, parts in ATTACKS.items() for cell in _cells(name, parts)))
    return northlab_scores(root, [Case("judge-hostile", source, {}, {"attacker": source})])[
        "judge-hostile", "attacker"]


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_attack_gets_nothing_from_the_judge(outcomes: dict[str, float], attack: str) -> None:
    """Each test cell above passes only when the judge kept its side: full marks."""
    cells = {cell: points for cell, points in outcomes.items() if cell.startswith(attack)}
    assert len(cells) == (2 if len(ATTACKS[attack]) == 4 else 1), cells
    assert all(points == 1 for points in cells.values()), cells
