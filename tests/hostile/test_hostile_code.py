"""Hostile code-lab submissions (pytest-graded): none scores more than it would honestly."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "graders"))
from northlab_labkit import CODE_LAB, copy_lab  # noqa: E402

from graders.engine import Grader  # noqa: E402
from graders.lab import load_lab  # noqa: E402
from graders.submissions import Submission  # noqa: E402

SOLUTION = (CODE_LAB / "solution" / "game.py").read_text()

ATTACKS: dict[str, tuple[str, float]] = {
    "patch-pytest-and-builtins": (
        "import builtins, pytest, _pytest.python_api, _pytest.outcomes\n"
        "pytest.raises = lambda *a, **k: None\n"
        "_pytest.outcomes.fail = lambda *a, **k: None\n"
        "builtins.AssertionError = type('Nope', (Exception,), {})\n"
        "def new_state():\n    return {'x': 0, 'y': 0}\n"
        "def step(state, keys):\n    return state\n", 0),
    "eq-always-true": (
        "class Yes:\n    def __eq__(self, other): return True\n"
        "    def __getitem__(self, key): return self\n"
        "class D(dict):\n    def __eq__(self, other): return True\n"
        "def new_state():\n    return Yes()\n"
        "def step(state, keys):\n    return D()\n", 0),
    "exit-on-import": ("import os\nos._exit(0)\n", 0),
    "system-exit-in-call": (
        "def new_state():\n    raise SystemExit(0)\n"
        "def step(state, keys):\n    raise SystemExit(0)\n", 0),
    "skip-instead-of-fail": (
        "import pytest, unittest\n"
        "def new_state():\n    pytest.skip('nothing to see')\n"
        "def step(state, keys):\n    raise unittest.SkipTest('skip')\n", 0),
    "read-the-grader": (
        "import glob\nfound = glob.glob('/srv/**/test_game.py', recursive=True) + "
        "glob.glob('/work/**/grader/test_game.py', recursive=True)\n"
        "if found:\n    exec(compile(" + repr(SOLUTION) + ", 'leak', 'exec'))\n"
        "else:\n    def new_state():\n        raise RuntimeError('no leak')\n", 0),
    "loop-on-import": ("while True:\n    pass\n", 0),
    "control-solution": (SOLUTION, 4),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    root = tmp_path_factory.mktemp("hostile-code")
    lab = load_lab(copy_lab(CODE_LAB, root, {"wall_seconds": 5, "cpu_seconds": 2}))
    subs = []
    for name, (code, _) in ATTACKS.items():
        subs.append(Submission(name, root / name, files={"game.py": code.encode()}))
        subs.append(Submission(f"honest-after-{name}", root / name,
                               files={"game.py": SOLUTION.encode()}))
    with Grader(lab, workers=2) as grader:
        return {r["learner"]: r for r in grader.grade_all(subs)}


@pytest.mark.parametrize("name", list(ATTACKS))
def test_code_attack_scores_no_more_than_honest(graded: dict[str, dict], name: str) -> None:
    record = graded[name]
    assert record["error"] is None
    assert record["score"] <= ATTACKS[name][1], record["tests"]
    assert graded[f"honest-after-{name}"]["score"] == 4


def test_control_solution_scores_full(graded: dict[str, dict]) -> None:
    assert graded["control-solution"]["score"] == 4


def test_loop_on_import_gets_a_limit_line(graded: dict[str, dict]) -> None:
    lines = [t["feedback"] for t in graded["loop-on-import"]["tests"] if t["name"] == "sandbox"]
    assert lines and "limit" in lines[0]["en"] and "Limite" in lines[0]["fr"]
