"""Class 1 of the threat model: only the judge decides what a value is.

Whatever label learner code puts on a function, method, class, module or object
(``__module__``, ``__qualname__``, ``__name__``, ``__class__``), the judge receives a bare
handle: the value is never mapped to a judge-side callable, and calling it runs in the
worker, with the arguments the test gave, never in the judge.
"""

from __future__ import annotations

import builtins
import sys
import types
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from remote_pair import remote_pair  # noqa: E402

from graders.judge.notebook import LearnerNamespace, run_test_cell  # noqa: E402
from graders.remote.proxy import Remote, RemoteCallable, RemoteComparisonError  # noqa: E402
from graders.remote.worker import WorkerServer  # noqa: E402

HANDLES = (Remote, RemoteCallable)
# (module, qualname) a learner may claim: builtins that run code or touch files, the
# standard library, numpy/pandas/pytest helpers, and the judge's own modules
TARGETS = [
    ("builtins", "exec"), ("builtins", "eval"), ("builtins", "getattr"), ("builtins", "open"),
    ("builtins", "__import__"), ("builtins", "compile"), ("builtins", "setattr"),
    ("os", "system"), ("subprocess", "run"), ("math", "isclose"), ("operator", "eq"),
    ("numpy", "isclose"), ("numpy", "array_equal"), ("numpy.testing", "assert_allclose"),
    ("pandas", "DataFrame.equals"), ("pytest", "approx"),
    ("graders.judge.notebook", "run_test_cell"), ("graders.remote.proxy", "Connection.request"),
]


def _function(calls: list, module: str, qualname: str) -> Any:
    def fake(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return True
    fake.__module__, fake.__qualname__ = module, qualname
    fake.__name__ = qualname.rsplit(".", 1)[-1]
    return fake


def _method(calls: list, module: str, qualname: str) -> Any:
    def run(self: Any, *args: Any) -> Any:
        calls.append(args)
        return True
    run.__module__, run.__qualname__ = module, qualname
    owner = type(qualname.split(".")[0], (), {"__module__": module, "run": run})
    return owner().run


def _class(calls: list, module: str, qualname: str) -> Any:
    def init(self: Any, *args: Any) -> None:
        calls.append(args)
    return type(qualname.rsplit(".", 1)[-1], (), {
        "__module__": module, "__qualname__": qualname, "__init__": init})


def _module(calls: list, module: str, qualname: str) -> Any:
    fake = types.ModuleType(module)
    fake.target = _function(calls, module, qualname)  # type: ignore[attr-defined]
    return fake


def _object(calls: list, module: str, qualname: str) -> Any:
    real = _function(calls, module, qualname)

    class Disguised:
        __module__ = module
        __qualname__ = qualname
        __class__ = property(lambda self: types.BuiltinFunctionType)  # type: ignore[assignment]
        __name__ = qualname

        def __call__(self, *args: Any) -> Any:
            return real(*args)
    return Disguised()


KINDS = {"function": _function, "method": _method, "class": _class, "module": _module,
         "object": _object}
PAYLOAD = "import builtins; builtins.JUDGE_RAN_LEARNER_DATA = True"


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("target", TARGETS, ids=[".".join(t) for t in TARGETS])
def test_a_label_never_selects_judge_code(target: tuple[str, str], kind: str) -> None:
    calls: list = []
    value = KINDS[kind](calls, *target)
    with remote_pair({"answer": value, "box": {"inside": [value]}}) as conn:
        got = conn.request("name", name="answer")
        nested = conn.request("name", name="box")["inside"][0]
        assert type(got) in HANDLES and type(nested) in HANDLES
        callable_ = got.target if kind == "module" else got
        assert type(callable_) in HANDLES
        callable_(PAYLOAD)  # runs in the worker, with the test's argument
    assert calls == [(PAYLOAD,)]
    assert not hasattr(builtins, "JUDGE_RAN_LEARNER_DATA")


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_labelled_answer_does_not_change_a_score(kind: str) -> None:
    """A test cell comparing the answer to the judge's own result fails for every label."""
    calls: list = []
    square = KINDS[kind](calls, "numpy", "square")
    cell = "import numpy as np\nassert square(3) == np.square(3)\nassert square(-2) == 4"
    with remote_pair({"square": square}) as conn:
        outcome = run_test_cell(cell, LearnerNamespace(conn))
    assert not outcome["passed"]
    with remote_pair({"square": lambda x: x * x}) as conn:  # control: a real answer passes
        assert run_test_cell(cell, LearnerNamespace(conn))["passed"]


def test_handles_carry_no_label_on_the_wire() -> None:
    def hidden() -> None:
        pass
    hidden.__module__, hidden.__qualname__ = "builtins", "exec"
    tree, buffers = WorkerServer(None, {})._encode({"f": hidden})  # type: ignore[arg-type]
    assert "exec" not in repr(tree) and "builtins" not in repr(tree) and not buffers
    with remote_pair({"f": hidden}) as conn:
        got = conn.request("name", name="f")
        assert type(got) is RemoteCallable  # what it is: a callable handle, nothing more
        with pytest.raises(RemoteComparisonError):
            bool(got)
