"""Run an nbgrader notebook plan: learner cells in the worker, test cells here in the judge.

A test cell passes when it raises nothing and writes nothing to stderr (nbgrader's rule);
if its last line is a number, that number is its partial score (nbgrader's partial credit).
Names the test cell does not define itself are, in this order: builtins (always the judge's
own), the lab's library names (bound by the lab's own import statements: the judge imports
them itself), the lab's own names (computed here by the lab's own statements,
:mod:`graders.judge.lab_names`), and otherwise looked up in the learner's namespace
(remotely): the learner's answers and what the lab computed from them. A name only the
lab's test cells bind is the tests' own: while no test cell has bound it (the learner moved
or removed the cell that does, or it failed first) it is a ``NameError``, never the
learner's.

Test cells and learner cells share one namespace, as in nbgrader's kernel
(:class:`LearnerNamespace`): a test cell's ``del name`` deletes the learner's name too, and
binding a name to a learner object binds it in the learner's namespace (so ``orig =
squares; del squares; ...; squares = orig`` works); the test keeps the very handle it
bound, so every later read of the name in the judge sees one object and one snapshot
(re-fetching it from the worker at each read gave a test's length check and its loop two
different objects: sixth review, B). A name a test cell binds to its own
value stays the test's for later test cells, and reaches later learner cells when the
test's *visible* part bound it from data the learner could see: a plain value as a copy, a
module or library function as the worker's own import, a function or class the test
defined as the worker's own copy of its source (:meth:`LearnerNamespace.twin`; learner code
calling it runs in the worker, never here). Nothing bound by a hidden part, or computed
from it, reaches the worker (README, "nbgrader fidelity").
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import functools
import importlib
import io
import json
import math
import types
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from graders.judge.faults import GraderFault, is_grader_fault
from graders.judge.lab_names import LabCode, bound_names, called_on, free_names
from graders.notebooks import OUTPUT_CHARS, clean_outputs, hidden_lines, output_bytes
from graders.remote.codec import Encoder
from graders.remote.proxy import Connection, Remote, WorkerStopped, is_handle

SHARE_LIMIT = 1024 * 1024  #: largest plain value (encoded bytes) copied to the learner
#: UTF-8 bytes of learner cell outputs one plan brings back in all (as counted by
#: :func:`graders.notebooks.output_bytes`; at most 3 times that once escaped for the parent)
OUTPUTS_LIMIT = 16 * OUTPUT_CHARS
#: run once in the worker's shell when a plan keeps outputs: records what each cell prints,
#: displays and raises (as a kernel's messages would carry them) for :data:`TAKE_OUTPUTS`.
#: It runs next to the learner's code, so what it returns is the learner's to shape: the
#: judge keeps only :func:`graders.notebooks.clean_outputs` of it
CAPTURE_OUTPUTS = f"""\
def __northlab_capture(limit={OUTPUTS_LIMIT}):
    import sys
    shell = get_ipython()
    outputs = []
    size = [0]

    def add(output, chars):
        if size[0] < limit:
            size[0] += chars
            outputs.append(output)

    class Tee:
        def __init__(self, name, target):
            self._name, self._target = name, target

        def write(self, text):
            if type(text) is str and text and size[0] < limit:
                last = outputs[-1] if outputs else {{}}
                if last.get("output_type") == "stream" and last.get("name") == self._name:
                    last["text"] += text
                    size[0] += len(text)
                else:
                    add({{"output_type": "stream", "name": self._name, "text": text}}, len(text))
            return self._target.write(text)

        def flush(self):
            return self._target.flush()

        def __getattr__(self, name):
            return getattr(self._target, name)

    def result(data, metadata=None):
        add({{"output_type": "execute_result", "data": data,
             "execution_count": shell.execution_count}}, len(str(data)))

    def display(data, metadata=None, source=None, *, transient=None, update=False, **kw):
        add({{"output_type": "display_data", "data": data}}, len(str(data)))

    def error(etype, evalue, stb):
        add({{"output_type": "error", "ename": etype.__name__, "evalue": str(evalue),
             "traceback": list(stb)}}, sum(map(len, stb)))

    def take():
        taken = outputs[:]
        outputs.clear()
        size[0] = 0
        return taken

    sys.stdout, sys.stderr = Tee("stdout", sys.stdout), Tee("stderr", sys.stderr)
    shell.displayhook.write_output_prompt = lambda: None
    shell.displayhook.write_format_data = result
    shell.display_pub.publish = display
    shell._showtraceback = error
    shell._northlab_take = take


__northlab_capture()
del __northlab_capture
"""
TAKE_OUTPUTS = "__northlab_outputs__ = get_ipython()._northlab_take()"
_NOTHING = object()


class LearnerNamespace(dict):
    """Globals of the test cells: missing names are fetched from the worker; ``del`` and
    bindings reach the learner's namespace as in one kernel (module docstring).

    ``dir()``, ``globals()`` and ``locals()`` see the learner's names too, as they would in
    the learner's kernel (``assert "answer" in globals()`` is a common nbgrader test)."""

    def __init__(self, conn: Connection, code: LabCode | None = None) -> None:
        super().__init__(__builtins__=builtins, __name__="__main__")
        self.conn = conn
        self.code = code or LabCode()
        self.lab = LabScope(self.code)
        self.cell: TestCode | None = None  #: the test cell running now
        self.remote: set[str] = set()  #: names a test bound to a learner object
        self.deleted: set[str] = set()  #: names the running test cell deleted
        self.secret: set[str] = set()  #: names hidden parts bound (what reads them: not shared)
        #: a hidden part has run: later cells share no plain value (a hidden part can leave
        #: its values anywhere in the judge's state, e.g. in a visible list it appends to)
        self.hidden_ran = False
        self.sources: dict[types.CodeType, tuple[str, bool, str]] = {}
        self.classes: dict[int, tuple[type, str]] = {}
        self.twins: dict[int, tuple[Any, Remote]] = {}
        conn.twin = self.twin
        view = NamespaceView(self)
        dict.__setitem__(self, "dir", lambda *args: builtins.dir(*args) if args else sorted(view))
        dict.__setitem__(self, "globals", lambda: view)
        dict.__setitem__(self, "locals", lambda: view)

    def names(self) -> set[str]:
        """The names a test sees bound: the judge's and the learner's, except the tests' own
        names no test cell has bound (the learner's of that name is never used)."""
        remote = self.conn.request("names")
        learner = {n for n in remote if type(n) is str} if type(remote) is list else set()
        return {k for k in self if type(k) is str} | (
            learner - (self.code.test_names - self.remote))

    def __missing__(self, name: str) -> Any:
        if name in vars(builtins) or name.startswith("__"):
            raise KeyError(name)
        own = name in self.code.libraries or name in self.code.names
        if own and name in self.deleted:
            raise KeyError(name)  # deleted by this test: never the learner's instead
        if own and name not in self.remote and name not in self.deleted:
            if name in self.code.libraries:
                value = judge_import(*self.code.libraries[name])
                if value is not None:
                    dict.__setitem__(self, name, value)
                    return value
            if name in self.code.names:
                return self.lab.compute(name)  # the lab's own value; never the learner's
        if name in self.code.test_names and name not in self.remote:
            raise KeyError(name)  # a test's own name no test cell has bound (yet)
        try:
            return self.conn.request("name", name=name)
        except NameError:
            raise KeyError(name) from None

    def __setitem__(self, name: str, value: Any) -> None:
        """A test cell binds ``name``: the test keeps ``value`` (a learner object: this very
        handle and its snapshot, never fetched again) and a learner object is bound in the
        learner's namespace too; anything else is shared when the cell may share it."""
        self.deleted.discard(name)
        dict.__setitem__(self, name, value)
        if is_handle(value):
            self.remote.add(name)
            self.conn.request("setname", name=name, value=value)
            return
        self.remote.discard(name)
        cell = self.cell
        if cell is not None and name in cell.classes and isinstance(value, type):
            self.classes[id(value)] = (value, cell.classes[name])
        if cell is not None and name in cell.shared:
            self.share(name, value)

    def __delitem__(self, name: str) -> None:
        """``del name`` in a test cell: the test's binding and the learner's go."""
        had = dict.pop(self, name, _NOTHING) is not _NOTHING
        self.remote.discard(name)
        self.deleted.add(name)
        try:
            self.conn.request("delname", name=name)
        except (NameError, WorkerStopped):
            if not had:
                raise KeyError(name) from None

    def share(self, name: str, value: Any) -> None:
        """Bind the test's ``value`` in the learner's namespace too, when it can cross:
        plain data up to :data:`SHARE_LIMIT` (none after a hidden part ran), or what
        :meth:`twin` makes."""
        if self.hidden_ran and not isinstance(
                value, types.ModuleType | types.FunctionType | types.BuiltinFunctionType | type):
            return
        try:
            estimate = Encoder(lambda _: ["h", 0])
            tree = estimate.encode(value)
            if len(json.dumps(tree)) + sum(map(len, estimate.buffers)) > SHARE_LIMIT:
                return
            self.conn.request("setname", name=name, value=value)
        except Exception:  # noqa: BLE001 - not shareable, or the worker is gone: the test's own
            pass

    def twin(self, obj: Any) -> int | None:
        """The handle id of the worker's own copy of judge object ``obj`` (None: it has
        none): a module or library function imported there, a function or class a test
        cell defined, defined there again from its source. Learner code calling it runs
        in the worker; no judge code ever runs on the learner's request."""
        known = self.twins.get(id(obj))
        if known is not None and known[0] is obj:
            return object.__getattribute__(known[1], "_hid")
        try:
            handle = self._make_twin(obj)
        except WorkerStopped:
            raise
        except Exception:  # noqa: BLE001 - no copy in the worker: the value cannot cross
            return None
        if not is_handle(handle):
            return None
        self.twins[id(obj)] = (obj, handle)
        return object.__getattribute__(handle, "_hid")

    def _make_twin(self, obj: Any) -> Any:
        conn = self.conn
        if isinstance(obj, types.ModuleType):
            return conn.request("import", module=obj.__name__)
        if isinstance(obj, types.FunctionType) and obj.__closure__ is None \
                and obj.__code__ in self.sources:
            source, expression, name = self.sources[obj.__code__]
            return conn.request("define", source=source, expression=expression, name=name)
        if isinstance(obj, type) and self.classes.get(id(obj), (None,))[0] is obj:
            return conn.request("define", source=self.classes[id(obj)][1], expression=False,
                                name=obj.__name__)
        if not isinstance(obj, types.FunctionType | types.BuiltinFunctionType | type):
            return None
        module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
        if type(module) is str and type(qualname) is str and module != "__main__" \
                and "<" not in qualname and judge_attribute(module, qualname) is obj:
            handle = conn.request("import", module=module)
            return functools.reduce(getattr, qualname.split("."), handle)
        return None


def judge_attribute(module: str, qualname: str) -> Any:
    """``module.qualname`` as the judge itself imports it (None if it cannot)."""
    try:
        return functools.reduce(getattr, qualname.split("."), importlib.import_module(module))
    except Exception:  # noqa: BLE001 - not importable here
        return None


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


@dataclass
class TestCode:
    """One compiled test cell and what it binds at its top level."""

    body: types.CodeType
    last: types.CodeType | None  #: its last expression (partial credit), if any
    shared: set[str] = field(default_factory=set)  #: names whose value may reach the learner
    secret: set[str] = field(default_factory=set)  #: names bound by its hidden part or from it
    classes: dict[str, str] = field(default_factory=dict)  #: top-level class -> source
    #: code object of a top-level function or lambda -> (source, is expression, name)
    sources: dict[types.CodeType, tuple[str, bool, str]] = field(default_factory=dict)


def _shared_names(tree: ast.Module, source: str, secret: set[str]) -> tuple[set[str], set[str]]:
    """(names the cell may share with the learner, names it makes secret). A name is
    shared when only visible statements before the cell's first hidden line bind it, from
    names that are not secret; every name stored anywhere from that line on (imports and
    ``:=`` included) is secret."""
    hidden = hidden_lines(source)
    first_hidden = min(hidden, default=None)
    shared, kept, tainted = set(), set(), set(secret)
    for stmt in tree.body:
        binds = bound_names(stmt)
        end = stmt.end_lineno or stmt.lineno
        if (first_hidden is not None and end >= first_hidden) or free_names(stmt) & tainted:
            kept |= binds | called_on(stmt) | stored_names(stmt)
            tainted |= kept
        else:
            shared |= binds
    return shared - kept, kept


def stored_names(stmt: ast.stmt) -> set[str]:
    """Every name ``stmt`` stores or deletes anywhere inside it (``:=`` included)."""
    return {node.id for node in ast.walk(stmt)
            if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load)}


def _lines(node: ast.AST) -> set[int]:
    first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
    return set(range(first, (node.end_lineno or node.lineno) + 1))


def _own_code(tree: ast.Module, hidden: set[int]
              ) -> dict[tuple[str, int], tuple[str, bool, str] | None]:
    """(name, first line) -> (source, is expression, name) of each function and lambda the
    cell defines outside any other function, class or comprehension (None: ambiguous), and
    on no ``hidden`` line."""
    found: dict[tuple[str, int], tuple[str, bool, str] | None] = {}

    def visit(node: ast.AST, nested: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = nested
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                if not nested and not _lines(child) & hidden:
                    lambda_ = isinstance(child, ast.Lambda)
                    name = "<lambda>" if lambda_ else child.name
                    first = min([child.lineno, *(d.lineno for d in getattr(
                        child, "decorator_list", []))])
                    key = (name, first)
                    found[key] = None if key in found else (ast.unparse(child), lambda_, name)
                inner = True
            elif isinstance(child, ast.ClassDef | ast.ListComp | ast.SetComp | ast.DictComp
                            | ast.GeneratorExp):
                inner = True
            visit(child, inner)

    visit(tree, False)
    return found


def compile_test(source: str, secret: set[str] | None = None) -> TestCode:
    """Compile a test cell (IPython syntax allowed); the last expression (if any)
    separately, for partial credit. ``secret``: names earlier hidden parts bound."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        source = TransformerManager().transform_cell(source)
    except Exception:
        pass
    tree = ast.parse(source, mode="exec")
    shared, kept = _shared_names(tree, source, secret or set())
    # code written on a hidden line never gets a worker copy (its source is hidden: a
    # reference implementation, expected values)
    hidden = hidden_lines(source)
    classes = {stmt.name: ast.unparse(stmt) for stmt in tree.body
               if isinstance(stmt, ast.ClassDef) and not _lines(stmt) & hidden}
    own = _own_code(tree, hidden)
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = ast.Expression(tree.body.pop().value)
    code = TestCode(compile(tree, "<test cell>", "exec"),
                    compile(last, "<test cell>", "eval") if last is not None else None,
                    shared, kept, classes)
    for outer in (code.body, code.last):
        for const in outer.co_consts if outer is not None else ():
            if isinstance(const, types.CodeType):
                found = own.get((const.co_name, const.co_firstlineno))
                if found is not None:
                    code.sources[const] = found
    return code


def partial_credit(value: Any) -> float | None:
    """nbgrader's partial credit from a test's last value: ``float`` of its text, so an int
    too large for a float is +-inf (``record.partial_points`` caps it); None unless an exact
    int or float."""
    if type(value) is float:
        return value
    if type(value) is not int:
        return None
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def run_test_cell(source: str, namespace: LearnerNamespace) -> dict[str, Any]:
    conn = namespace.conn
    conn.stderr_seen = False
    err = io.StringIO()
    partial, error = None, None
    try:
        code = compile_test(source, namespace.secret)
        namespace.cell = code
        namespace.secret |= code.secret
        namespace.sources.update(code.sources)
        with contextlib.redirect_stderr(err), warnings.catch_warnings():
            warnings.simplefilter("default")
            exec(code.body, namespace)
            if code.last is not None:
                partial = partial_credit(eval(code.last, namespace))
    except WorkerStopped:
        error = "WorkerStopped"
    except BaseException as exc:  # noqa: BLE001 - any failure of a test cell is a fail
        if is_grader_fault(exc):
            raise GraderFault(f"a test cell could not import: {exc}") from exc
        error = type(exc).__name__
    finally:
        namespace.cell = None
        namespace.deleted.clear()
        namespace.hidden_ran |= bool(hidden_lines(source))
    stderr = bool(err.getvalue()) or conn.stderr_seen
    if error is not None:
        partial = None
    return {"passed": error is None and not stderr, "error": error or (
        "stderr" if stderr else None), "partial": partial, "stopped": conn.gone}


def take_outputs(conn: Connection, limit: int) -> list[dict[str, Any]]:
    """What the learner cell that just ran printed, displayed and raised (cleaned, at most
    ``limit`` UTF-8 bytes); nothing when the worker is gone or broke the capture."""
    try:
        conn.request("run", source=TAKE_OUTPUTS)
        raw = conn.request("name", name="__northlab_outputs__")
        conn.request("delname", name="__northlab_outputs__")
        return clean_outputs(raw, limit)
    except Exception:  # the learner's code took the capture apart, or the worker stopped
        return []


def run_plan(conn: Connection, plan: list[dict[str, Any]], code: LabCode | None = None,
             outputs: list[list[Any]] | None = None) -> list[dict[str, Any]]:
    """Execute the plan in order; return one outcome per test step. ``code``: what the lab's
    own code binds (:attr:`graders.notebooks.SourceNotebook.code`). ``outputs`` gets
    ``[cell, outputs]`` for each learner step that asks to ``keep`` its outputs (at most
    :data:`OUTPUTS_LIMIT` UTF-8 bytes in all)."""
    namespace = LearnerNamespace(conn, code)
    results = []
    budget = OUTPUTS_LIMIT
    if outputs is not None and any(step.get("keep") for step in plan) and not conn.gone:
        try:
            conn.request("run", source=CAPTURE_OUTPUTS)
        except Exception:  # the worker stopped: the tests will fail
            pass
    for step in plan:
        if step["kind"] == "learner":
            if not conn.gone:
                try:
                    error = conn.request("run", source=step["source"])
                except Exception:  # the worker stopped or answered nonsense: tests will fail
                    error = None
                if type(error) is str:
                    conn.note_error(error)
            keep = step.get("keep")
            if outputs is not None and type(keep) is int and keep > 0 and not conn.gone:
                kept = take_outputs(conn, min(keep, budget))
                budget -= sum(output_bytes(output) for output in kept)
                outputs.append([step.get("cell"), kept])
        else:
            outcome = run_test_cell(step["source"], namespace)
            outcome["id"] = step["id"]
            results.append(outcome)
    return results
