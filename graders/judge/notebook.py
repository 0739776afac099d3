"""Run an nbgrader notebook plan: learner cells in the worker, test cells here in the judge.

A test cell passes when it raises nothing and writes nothing to stderr (nbgrader's rule);
if its last line is a number, that number is its partial score (nbgrader's partial credit).
Names the test cell does not define itself are, in this order: builtins (always the judge's
own), the lab's library names (bound by the lab's own import statements: the judge imports
them itself), the lab's own names (computed here by the lab's own statements,
:mod:`graders.judge.lab_names`), and otherwise looked up in the learner's namespace
(remotely): the learner's answers and what the lab computed from them.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import importlib
import io
import warnings
from collections.abc import Iterator, Mapping
from typing import Any

from graders.judge.faults import GraderFault, is_grader_fault
from graders.judge.lab_names import LabCode
from graders.remote.proxy import Connection, WorkerStopped


class LearnerNamespace(dict):
    """Globals of the test cells: missing names are fetched from the worker.

    ``dir()``, ``globals()`` and ``locals()`` see the learner's names too, as they would in
    the learner's kernel (``assert "answer" in globals()`` is a common nbgrader test)."""

    def __init__(self, conn: Connection, code: LabCode | None = None) -> None:
        super().__init__(__builtins__=builtins, __name__="__main__")
        self.conn = conn
        self.code = code or LabCode()
        self.lab = LabScope(self.code)
        view = NamespaceView(self)
        self["dir"] = lambda *args: builtins.dir(*args) if args else sorted(view)
        self["globals"] = self["locals"] = lambda: view

    def names(self) -> set[str]:
        remote = self.conn.request("names")
        return {k for k in self if type(k) is str} | (
            {n for n in remote if type(n) is str} if type(remote) is list else set())

    def __missing__(self, name: str) -> Any:
        if name in vars(builtins) or name.startswith("__"):
            raise KeyError(name)
        if name in self.code.libraries:
            value = judge_import(*self.code.libraries[name])
            if value is not None:
                self[name] = value
                return value
        if name in self.code.names:
            return self.lab.compute(name)  # the lab's own value; never the learner's
        try:
            return self.conn.request("name", name=name)
        except NameError:
            raise KeyError(name) from None


def judge_import(module: Any, attribute: Any = None) -> Any:
    """The judge's own ``module`` (or ``module.attribute``); None if the judge cannot import
    it (then it is one of the learner's files, e.g. a release module, and stays remote)."""
    if type(module) is not str or (attribute is not None and type(attribute) is not str):
        return None
    try:
        owner = importlib.import_module(module)
        if attribute is None:
            return owner
        try:
            return getattr(owner, attribute)
        except AttributeError:
            return importlib.import_module(f"{module}.{attribute}")
    except Exception:  # noqa: BLE001 - not importable here: not a library
        return None


class LabScope(dict):
    """Where the judge runs the lab's own statements (library names are the judge's)."""

    def __init__(self, code: LabCode) -> None:
        super().__init__(__builtins__=builtins, __name__="__main__")
        self.code = code
        self.done: set[int] = set()

    def __missing__(self, name: str) -> Any:
        spec = self.code.libraries.get(name)
        value = judge_import(*spec) if spec else None
        if value is None:
            raise KeyError(name)
        self[name] = value
        return value

    def compute(self, name: str) -> Any:
        """Lab name ``name``, running the lab statements it needs once (KeyError if they
        fail: a test then fails with NameError, it never falls back to the learner)."""
        for index in self.code.needed(name):
            if index not in self.done:
                self.done.add(index)
                try:
                    exec(self.code.statements[index].source, self)
                except Exception:  # noqa: BLE001 - the lab's own code; the test fails
                    pass
        if name not in self or name.startswith("__"):
            raise KeyError(name)
        return dict.__getitem__(self, name)


class NamespaceView(Mapping[str, Any]):
    """What ``globals()`` returns in a test cell: the judge's names and the learner's."""

    def __init__(self, namespace: LearnerNamespace) -> None:
        self.namespace = namespace

    def __getitem__(self, name: str) -> Any:
        return self.namespace[name]

    def __contains__(self, name: object) -> bool:
        return name in self.namespace.names()

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self.namespace.names()))

    def __len__(self) -> int:
        return len(self.namespace.names())


def _compile(source: str) -> tuple[Any, Any]:
    """Compile a test cell; the last expression (if any) separately, for partial credit."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        source = TransformerManager().transform_cell(source)
    except Exception:
        pass
    tree = ast.parse(source, mode="exec")
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = ast.Expression(tree.body.pop().value)
    return compile(tree, "<test cell>", "exec"), (
        compile(last, "<test cell>", "eval") if last is not None else None)


def run_test_cell(source: str, namespace: LearnerNamespace) -> dict[str, Any]:
    conn = namespace.conn
    conn.stderr_seen = False
    err = io.StringIO()
    value, error = None, None
    try:
        body, last = _compile(source)
        with contextlib.redirect_stderr(err), warnings.catch_warnings():
            warnings.simplefilter("default")
            exec(body, namespace)
            if last is not None:
                value = eval(last, namespace)
    except WorkerStopped:
        error = "WorkerStopped"
    except BaseException as exc:  # noqa: BLE001 - any failure of a test cell is a fail
        if is_grader_fault(exc):
            raise GraderFault(f"a test cell could not import: {exc}") from exc
        error = type(exc).__name__
    stderr = bool(err.getvalue()) or conn.stderr_seen
    partial = None
    if error is None and type(value) in (int, float):
        partial = float(value)
    return {"passed": error is None and not stderr, "error": error or (
        "stderr" if stderr else None), "partial": partial, "stopped": conn.gone}


def run_plan(conn: Connection, plan: list[dict[str, Any]],
             code: LabCode | None = None) -> list[dict[str, Any]]:
    """Execute the plan in order; return one outcome per test step. ``code``: what the lab's
    own code binds (:attr:`graders.notebooks.SourceNotebook.code`)."""
    namespace = LearnerNamespace(conn, code)
    results = []
    for step in plan:
        if step["kind"] == "learner":
            if not conn.gone:
                try:
                    error = conn.request("run", source=step["source"])
                except Exception:  # the worker stopped or answered nonsense: tests will fail
                    error = None
                if type(error) is str:
                    conn.note_error(error)
        else:
            outcome = run_test_cell(step["source"], namespace)
            outcome["id"] = step["id"]
            results.append(outcome)
    return results
