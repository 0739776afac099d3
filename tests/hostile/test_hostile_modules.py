"""Class 2 of the threat model: test cells never read library names from the learner.

For every notebook lab under ``labs/``, the learner rebinds every name the lab's own code
imports (``np``, ``math``, ``pd``, ``cv2``, ``Path``...) to an object that says yes to
everything and records what it is given, and answers every other name a test reads with
the same kind of object. The test cells (run by the real judge code against a real worker
loop) then give exactly the outcomes they give when the library names are left alone, and
the rebound names are never even looked at: no expected value can reach them.
"""

from __future__ import annotations

import ast
import builtins
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from remote_pair import remote_pair  # noqa: E402

from graders.judge.notebook import LearnerNamespace, run_test_cell  # noqa: E402
from graders.judge.run import lab_code  # noqa: E402
from graders.lab import discover_labs  # noqa: E402
from graders.notebooks import read_source  # noqa: E402

LABS = [lab for lab in discover_labs(Path(__file__).resolve().parents[2] / "labs")
        if lab.kind == "notebook"]
#: labs whose own code imports something (some foundations activities import nothing)
IMPORTING = [lab for lab in LABS if lab_code(lab.path).libraries]


class Yes:
    """Learner code: yes to every question, and a log of everything it was handed."""

    def __init__(self, log: list, name: str) -> None:
        self._log, self._name = log, name

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        self._log.append((self._name, attr))
        return Yes(self._log, f"{self._name}.{attr}")

    def __call__(self, *args: Any, **kwargs: Any) -> bool:
        self._log.append((self._name, args, kwargs))
        return True

    def __getitem__(self, key: Any) -> Any:
        self._log.append((self._name, key))
        return Yes(self._log, f"{self._name}[]")

    def __iter__(self) -> Any:
        return iter(())

    def __eq__(self, other: object) -> bool:
        return True

    __hash__ = object.__hash__


def names_read(sources: list[str]) -> set[str]:
    return {node.id for source in sources for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Name)} - set(vars(builtins))


def outcomes(lab_tests: list[str], learner: dict[str, Any], code: Any) -> list[dict]:
    with remote_pair(learner) as conn:
        namespace = LearnerNamespace(conn, code)
        return [run_test_cell(source, namespace) for source in lab_tests]


def test_every_lab_has_library_names() -> None:
    assert len(IMPORTING) >= 10
    libraries = set().union(*(read_source(lab.notebook).code.libraries for lab in LABS))
    assert {"np", "pd", "math", "cv2", "hashlib", "Path"} <= libraries


@pytest.mark.parametrize("lab", IMPORTING, ids=[lab.id for lab in IMPORTING])
def test_rebinding_library_names_gains_nothing_and_sees_nothing(
        lab: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(lab.source_dir)  # where the judge runs notebook tests
    code = lab_code(lab.path)
    libraries = set(code.libraries)
    tests = [t.source for t in read_source(lab.notebook).tests.values()]
    answers_log: list = []
    answers = {name: Yes(answers_log, name) for name in names_read(tests) - libraries}
    honest_libraries = outcomes(tests, dict(answers), code)
    spied: list = []
    rebound = {**answers, **{name: Yes(spied, name) for name in libraries}}
    tampered = outcomes(tests, rebound, code)
    assert spied == [], f"the judge consulted the learner's {sorted({s[0] for s in spied})}"
    assert [o["passed"] for o in tampered] == [o["passed"] for o in honest_libraries]
