"""The judge child runs in its own cgroup, and its blow-ups are the learner's (second
adversarial review, F4).

Test code does work that depends on the learner's values; before, a judge that learner
data made slow became a "judge-timeout" error record on demand (an instructor is told,
no score), and one that it made huge was bounded by RLIMIT_AS only. Now the judge child
is moved into its own cgroup (memory, processes, one CPU) before it reads a learner value;
when that cgroup or the parent's deadline stops it, the record is no error: the tests fail
with a line saying which limit the tests hit. Real cgroup v1 here.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "graders"))
from northlab_labkit import (  # noqa: E402
    NB_LAB,
    SOLUTIONS,
    copy_lab,
    honest,
    notebook,
    replace_cell_source,
)

from graders.engine import Grader  # noqa: E402
from graders.lab import load_lab  # noqa: E402
from graders.sandbox import detect  # noqa: E402
from graders.submissions import Submission  # noqa: E402

#: a test whose work grows with the learner's ``total`` (honest: 10.0, no work at all)
COSTLY_TEST = '''assert isinstance(total, float)
_work = int(total) if total > 10 else 0
_kept = [b"x" * (1 << 20) + bytes([i % 256]) for i in range(_work if _work < 10**6 else 0)]
for _ in range(_work if _work >= 10**6 else 0):
    pass
assert abs(total - 10.0) < 1e-9
'''
ANSWERS = {"judge-memory": "total = 4000.0", "judge-time": "total = 3e9"}


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    sandbox = detect()
    if sandbox.cgroups is None:
        pytest.skip("no writable cgroup hierarchy on this host")
    root = tmp_path_factory.mktemp("judge-limits")
    lab_dir = copy_lab(NB_LAB, root, {"wall_seconds": 5})
    replace_cell_source(lab_dir, "test-total", COSTLY_TEST)
    lab = load_lab(lab_dir)
    data = (NB_LAB / "source" / "data" / "values.txt").read_bytes()
    subs = []
    for name, answer in ANSWERS.items():
        for learner, text in ((name, notebook({**SOLUTIONS, "answer-total": answer})),
                              (f"honest-after-{name}", honest())):
            subs.append(Submission(learner, root, files={
                "nb-basics.ipynb": text.encode(), "data/values.txt": data}))
    with Grader(lab, workers=1, sandbox=sandbox) as grader:
        return {r["learner"]: r for r in grader.grade_all(subs)}


def _line(record: dict, lang: str = "en") -> str:
    return " ".join(t["feedback"][lang] for t in record["tests"] if t["name"] == "sandbox")


@pytest.mark.parametrize(("name", "words"), [
    ("judge-memory", ("ran out of memory", "manqué de mémoire")),
    ("judge-time", ("took too long", "trop de temps"))])
def test_a_judge_blow_up_is_the_learners_resource_fault(records: dict[str, dict],
                                                        name: str, words: tuple) -> None:
    record = records[name]
    assert record["error"] is None, record["error"]
    assert record["score"] < record["max_score"]
    assert words[0] in _line(record) and words[1] in _line(record, "fr")


@pytest.mark.parametrize("name", list(ANSWERS))
def test_the_next_submission_is_graded_normally(records: dict[str, dict], name: str) -> None:
    record = records[f"honest-after-{name}"]
    assert record["error"] is None and record["score"] == record["max_score"]
    assert _line(record) == ""
