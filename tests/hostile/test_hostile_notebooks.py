"""Hostile notebook submissions: each attack scores no more than it would honestly, and the
batch goes on (an honest submission graded right after every attack gets full marks).

Many attacks are written as "if the attack worked, solve the lab": a score above zero
would then prove a leak (hidden tests, other submissions, network...).
"""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "graders"))
from northlab_labkit import NB_LAB, SOLUTIONS, copy_lab, honest, notebook  # noqa: E402

from graders.engine import Grader  # noqa: E402
from graders.lab import load_lab  # noqa: E402
from graders.submissions import Submission, find_submissions  # noqa: E402

LIMITS = {"wall_seconds": 6, "cpu_seconds": 3, "memory_mb": 256, "output_kb": 64,
          "disk_mb": 16, "processes": 16}
# "if the attack worked, define the right answers" (as a function so it runs on demand)
SOLVE_ALL = (
    "def _solve():\n"
    "    global square, column_means, total\n"
    "    import numpy as np\n"
    "    square = lambda x: x * x\n"
    "    column_means = lambda df: df.mean().to_dict()\n"
    "    total = float(np.loadtxt('data/values.txt').sum())\n"
)

LISTENER = socket.socket()
LISTENER.bind(("127.0.0.1", 0))
LISTENER.listen()
HOST_PORT = LISTENER.getsockname()[1]

# name -> (cells by grade_id, most the attack may score, words expected in the feedback;
# "a|b" accepts either)
ATTACKS: dict[str, tuple[dict[str, str], float, str | None]] = {
    "patch-ipython": ({"answer-square": (
        "ip = get_ipython()\nip.run_cell = lambda *a, **k: None\n"
        "import IPython.core.interactiveshell as s\n"
        "s.InteractiveShell.run_cell = lambda *a, **k: None\n"
        "s.InteractiveShell.showtraceback = lambda *a, **k: None")}, 0, None),
    "replace-builtins": ({"answer-total": (
        "import builtins\nbuiltins.isinstance = lambda *a: True\n"
        "builtins.abs = lambda x: 0\nbuiltins.AssertionError = type('X', (Exception,), {})\n"
        "builtins.float = lambda *a: 10.0\ntotal = 'ten'")}, 0, None),
    "eq-always-true": ({"answer-square": (
        "class Yes:\n    def __eq__(self, other): return True\n"
        "    def __ne__(self, other): return False\n    def __bool__(self): return True\n"
        "    def __abs__(self): return 0.0\n    def __sub__(self, other): return self\n"
        "    def __lt__(self, other): return True\n"
        "class F(float):\n    def __eq__(self, other): return True\n"
        "    def __sub__(self, other): return 0.0\n    def __abs__(self): return 0.0\n"
        "class D(dict):\n    def __eq__(self, other): return True\n"
        "square = lambda x: Yes()\ncolumn_means = lambda df: D()\ntotal = F(3.0)")}, 0, None),
    # labels are the learner's: numpy.square, builtins.abs... never become the judge's own
    "label-as-library-functions": ({"answer-square": (
        "def square(x):\n    return 0\n"
        "square.__module__, square.__qualname__, square.__name__ = 'numpy', 'square', 'square'\n"
        "class Means:\n    __module__, __qualname__ = 'pandas', 'DataFrame.mean'\n"
        "column_means = Means\n"
        "import types\nnp = types.ModuleType('numpy')\npd = types.ModuleType('pandas')")},
        0, None),
    "sys-exit-0": ({"answer-square": "import sys\nsys.exit(0)"}, 0, None),
    "os-exit-0": ({"answer-square": "import os\nos._exit(0)"}, 0, "exit status 0"),
    "fake-results-file": ({"answer-square": (
        "import json, os\nfor p in ['/tmp/results.json', 'results.json', '../results.json']:\n"
        "    try:\n        open(p, 'w').write(json.dumps({'score': 6, 'max_score': 6}))\n"
        "    except OSError:\n        pass\n"
        "print('All tests passed! Score: 6/6')\nprint('test-square ... ok')")}, 0, None),
    "kill-parent": ({"answer-square": (
        "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n"
        "os.kill(1, signal.SIGKILL)")}, 0, None),
    "kill-everything": ({"answer-square": "import os\nos.kill(-1, 9)"}, 0, None),
    "read-hidden-tests-and-data-root": ({"answer-square": SOLVE_ALL + (
        "import glob, os\n"
        "hits = []\n"
        "for pattern in ['/srv/**/*.ipynb', '/work/**/nb-basics.ipynb', '/root/**/*.ipynb',\n"
        "                '/proc/1/root/work/**/*.ipynb', '/proc/*/cwd/**/*.ipynb',\n"
        "                '/work/main/var/**', '/srv/northlab/**', '/tmp/**/*.py']:\n"
        "    try:\n"
        "        hits += glob.glob(pattern, recursive=True)[:200]\n"
        "    except OSError:\n"
        "        pass\n"
        "for path in hits:\n"
        "    try:\n"
        "        text = open(path, errors='ignore').read(10**6)\n"
        # the hidden test itself, not any file that merely names nbgrader's markers
        "        if 'BEGIN HIDDEN' in text and '[0, 10]' in text:\n"
        "            _solve()\n"
        "    except OSError:\n"
        "        pass\n"
        "if os.path.exists('/work/main/var') or os.path.exists('/srv/lab/grader'):\n"
        "    _solve()\n")}, 0, None),
    "read-other-submissions": ({"answer-square": SOLVE_ALL + (
        "import glob\n"
        "for path in glob.glob('/**/*.ipynb', recursive=True)[:500]:\n"
        "    try:\n"
        "        if 'return x * x' in open(path, errors='ignore').read(10**6):\n"
        "            _solve()\n"
        "    except OSError:\n"
        "        pass\n")}, 0, None),
    "network": ({"answer-square": SOLVE_ALL + (
        "import socket\n"
        f"for host, port in [('127.0.0.1', {HOST_PORT}), ('1.1.1.1', 53), ('pypi.org', 443)]:\n"
        "    try:\n"
        "        socket.create_connection((host, port), timeout=1).close()\n"
        "        _solve()\n"
        "    except OSError:\n"
        "        pass\n")}, 0, None),
    # refused inside the learner's process: no limit line (only the parent's own
    # measurements give one; the learner could raise the same error itself)
    "fill-the-disk": ({**SOLUTIONS, "answer-total": (
        "with open('big.bin', 'wb') as f:\n"
        "    while True:\n        f.write(b'0' * 2**20)")}, 5, None),
    "fork-bomb": ({**SOLUTIONS, "answer-total": (
        "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n"
        "        pass")}, 5, None),
    "endless-output": ({**SOLUTIONS, "answer-total": "while True:\n    print('x' * 1000)"},
                       5, "Output limit of 64 KB"),
    # CPU limit 3 s; on a busy machine the 6 s wall clock may come first
    "infinite-loop": ({**SOLUTIONS, "answer-total": "while True:\n    pass"}, 5,
                      "CPU time limit of 3 s exceeded|Time limit of 6 s exceeded"),
    "sleep-forever": ({**SOLUTIONS, "answer-total": "import time\ntime.sleep(3600)"}, 5,
                      "Time limit of 6 s exceeded"),
    "huge-memory": ({**SOLUTIONS, "answer-total": "x = bytearray(8 * 1024**3)"}, 5, None),
    # control: the "then solve" payload of the attacks above really solves the lab
    "control-solve": ({"answer-square": SOLVE_ALL + "_solve()"}, 6, None),
    "leave-a-daemon": ({"answer-square": (
        "import subprocess, sys\n"
        "subprocess.Popen([sys.executable, '-c', 'import os, time\\n"
        "for _ in range(400):\\n    time.sleep(0.05)\\n"
        "    [os.kill(-1, 9)]'], start_new_session=True)")}, 0, None),
}


def forged(cells: dict[str, str], edit: object) -> str:
    nb = json.loads(notebook(cells))
    edit(nb)
    return json.dumps(nb)


def _inflate(nb: dict) -> None:
    for cell in nb["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        if meta.get("grade"):
            meta["points"] = 100
    bonus = {"cell_type": "code", "source": "pass", "outputs": [], "execution_count": None,
             "metadata": {"nbgrader": {"grade": True, "solution": False, "locked": True,
                                       "grade_id": "bonus", "points": 50}}}
    nb["cells"].append(bonus)


def _rewrite_tests(nb: dict) -> None:
    for cell in nb["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade"):
            cell["source"] = "pass"


def _drop_tests(nb: dict) -> None:
    nb["cells"] = [c for c in nb["cells"] if not c["metadata"].get("nbgrader", {}).get("grade")]


WRONG_SQUARE = {**SOLUTIONS, "answer-square": "def square(x):\n    return x + x"}
# forged nbgrader metadata / test cells: (notebook, the honest score of the same answers)
FORGED: dict[str, tuple[str, float]] = {
    "inflate-points-and-add-a-bonus-test": (forged(SOLUTIONS, _inflate), 6),
    "rewrite-test-cells-to-pass": (forged(WRONG_SQUARE, _rewrite_tests), 4),
    "delete-test-cells": (forged(SOLUTIONS, _drop_tests), 0),
}
RAW_ATTACKS: dict[str, bytes] = {
    "malformed-json": b"{this is not json",
    "json-list": b"[]",
    "cells-not-a-list": json.dumps({"cells": "no"}).encode(),
    "deeply-nested": b"[" * 200_000,
    "enormous": b'{"cells": [], "x": "' + b"a" * (21 * 1024 * 1024) + b'"}',
    "too-many-cells": json.dumps({"cells": [
        {"cell_type": "code", "source": "", "metadata": {}}] * 6000}).encode(),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """Grade every attack in one batch, each followed by an honest submission."""
    root = tmp_path_factory.mktemp("hostile")
    lab = load_lab(copy_lab(NB_LAB, root, LIMITS))
    subs_dir = root / "subs"
    names = []
    for name in [*ATTACKS, *RAW_ATTACKS, *FORGED]:
        names += [name, f"honest-after-{name}"]
    data = (NB_LAB / "source" / "data" / "values.txt").read_bytes()
    subs = []
    for name in names:
        if name.startswith("honest-after-"):
            files = {"nb-basics.ipynb": honest().encode()}
        elif name in ATTACKS:
            files = {"nb-basics.ipynb": notebook(ATTACKS[name][0]).encode()}
        elif name in FORGED:
            files = {"nb-basics.ipynb": FORGED[name][0].encode()}
        else:
            files = {"nb-basics.ipynb": RAW_ATTACKS[name]}
        files["data/values.txt"] = data
        subs.append(Submission(name, subs_dir / name, files=files))
    with Grader(lab, workers=1) as grader:
        records = grader.grade_all(subs)
    return {r["learner"]: r for r in records}


@pytest.mark.parametrize("name", list(ATTACKS))
def test_attack_scores_no_more_than_honest(graded: dict[str, dict], name: str) -> None:
    _, most, words = ATTACKS[name]
    record = graded[name]
    assert record["error"] is None
    assert record["score"] <= most, record["tests"]
    if words:
        assert any(word in t["feedback"]["en"] for t in record["tests"]
                   for word in words.split("|")), record["tests"]
        sandbox = [t for t in record["tests"] if t["name"] == "sandbox"]
        assert sandbox and sandbox[0]["feedback"]["fr"]
    after = graded[f"honest-after-{name}"]
    assert after["score"] == after["max_score"] == 6, after["tests"]


@pytest.mark.parametrize("name", list(RAW_ATTACKS))
def test_malformed_notebooks_are_refused_and_batch_goes_on(graded: dict[str, dict],
                                                           name: str) -> None:
    record = graded[name]
    assert record["score"] == 0
    assert record["error"]["code"] == "invalid-notebook"
    assert record["error"]["message"]["fr"]
    assert graded[f"honest-after-{name}"]["score"] == 6


@pytest.mark.parametrize("name", list(FORGED))
def test_forged_metadata_changes_nothing(graded: dict[str, dict], name: str) -> None:
    record = graded[name]
    assert record["max_score"] == 6 and record["score"] == FORGED[name][1]
    assert {t["name"] for t in record["tests"]} == {"test-square", "test-means", "test-total"}


def test_control_payload_solves_the_lab(graded: dict[str, dict]) -> None:
    assert graded["control-solve"]["score"] == 6


def test_isolation_is_reported(graded: dict[str, dict]) -> None:
    assert all(r["isolation"] for r in graded.values())


def test_feedback_never_reveals_hidden_tests(graded: dict[str, dict]) -> None:
    text = json.dumps(list(graded.values()))
    assert "BEGIN HIDDEN" not in text
    assert '{"x": [0, 10]}' not in text and "column_means(pd.DataFrame" not in text


def test_symlinks_in_a_submission_are_never_followed(tmp_path: Path) -> None:
    lab = load_lab(NB_LAB)
    learner = tmp_path / "subs" / "linker"
    learner.mkdir(parents=True)
    # the lab's own source notebook (with solutions) as the "submission", and data -> /
    (learner / "nb-basics.ipynb").symlink_to(NB_LAB / "source" / "nb-basics.ipynb")
    (learner / "data").symlink_to("/")
    (tmp_path / "subs" / "dir-link").symlink_to(NB_LAB / "source")
    subs = find_submissions(tmp_path / "subs", lab.id)
    assert [s.learner for s in subs] == ["linker"]
    assert subs[0].files == {}
    with Grader(lab, workers=1) as grader:
        record = grader.grade(subs[0])
    assert record["score"] == 0 and record["error"]["code"] == "missing-notebook"
