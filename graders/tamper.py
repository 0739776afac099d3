"""The tamper pass of ``northlab check`` (notebook labs): rebinding the lab's names gains
nothing.

For every name a non-solution, non-test code cell of the lab binds, one submission per
tamper value: the blank release plus, right after that cell, a cell that rebinds the name
to a stub function, to 0, "", None, True, [] or {}, or to a *mutating* stub (it empties
every mutable argument it is given). Each must score no more than the blank release: a
test that trusts a value or helper the learner can rebind shows up here.

Two kinds of names are left out, because rebinding them cannot reach a test: names bound
only by import statements (test cells resolve those to the judge's own imports), and names
no later cell reads (unless a later cell looks names up dynamically: ``globals()``,
``dir()``, ``eval``...).

Answer stubs (notebook and code labs): the blank release with every answer the learner
writes (notebook: each name a solution cell binds; code labs: every function and method of
the starter files, constructors and other dunders kept) replaced by a stub that returns an
empty array, an empty DataFrame, ``[]``, ``""``, ``0`` or its first argument; and (notebook
labs) the solution's own answers, except that every pandas DataFrame or Series they give
keeps zero rows (same columns and dtypes) and the others stay blank. A test that passes
vacuously on empty data (``all()`` or ``zip()`` over nothing, ``approx`` against an empty
array, a filter's result checked row by row) shows up here. Combined (notebook labs): for
each lab cell, its names rebound to ``[]`` or ``0`` together with answers that return their
first argument, so a test that mixes a rebindable lab value with a working-looking answer
shows up too.

Solution values (notebook labs): the blank release plus, right after each lab cell that
computes names from the learner's code (what the static check calls *computed*), a cell
that sets those names to the values they have at that point of the instructor's solution
run (the solution's files travel in a private folder of the submission, the solution's
code is run there in a separate namespace). The learner's answers and files stay blank, so
a test that trusts what the worker reports about the learner's work (a folder's contents,
a spreadsheet's rows) shows up here even when the stubs above never look right.

A lab of several notebooks gets all of this per notebook, the other notebooks released
blank, and the static check reads every notebook.

Test order (notebook labs): the learner decides which test cells run and in what order, and
can make its worker answer any name it does not hold. The blank release with a first cell
that makes the worker answer every name it lacks (answers left out) with a function that
says yes must score no more than the blank release (a test whose helper an earlier test
cell defined, when that cell failed before defining it); and the solution (answers and
files) with its test cells reversed after every other cell, that worker, and every name a
test cell binds that a lab cell also binds (the learner's then) rebound to a yes-function
before the tests, must score no more than the same reversed solution without them.

Code labs have no lab cells (their notebook is instructions only; grader tests reach the
learner only through ``learner.module``), so they get the answer stubs, and the starter
with every function and method's reply (when called from outside its module) turned into
dicts and lists whose ``repr``/``str``/``format`` say ``{}``/``[]``: nested in a plain
reply, and the whole reply. A test that reads a learner's reply as text without checking
it is plain data (``learner.data``) shows up here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat

from graders.judge.lab_names import BUILTINS, bound_names, free_names, scope_names
from graders.lab import Lab
from graders.notebooks import SourceNotebook, cells_of, python_of, read_source
from graders.release import release_notebook
from graders.submissions import Submission, read_files

MUTATING_STUB = (
    "def _northlab_tamper(*args, **kwargs):\n"
    "    for value in (*args, *kwargs.values()):\n"
    "        try:\n"
    "            value.clear()\n"
    "        except Exception:\n"
    "            pass\n"
)
#: tamper kind -> the cell that rebinds ``{name}``
TAMPERS = {
    "stub": "{name} = lambda *args, **kwargs: None",
    "zero": "{name} = 0",
    "empty-text": '{name} = ""',
    "none": "{name} = None",
    "true": "{name} = True",
    "empty-list": "{name} = []",
    "empty-dict": "{name} = {{}}",
    "mutating-stub": MUTATING_STUB + "{name} = _northlab_tamper",
}


#: answer stub kind -> what a stubbed function returns (None: its first argument)
ANSWER_STUBS = {
    "empty-array": '__import__("numpy").array([])',
    "empty-frame": '__import__("pandas").DataFrame()',
    "empty-list": "[]",
    "empty-text": '""',
    "zero": "0",
    "first-argument": None,
}
#: the cell that makes a solution cell's answers give zero rows (the other answers stay
#: blank): {code} is the cell's solution code, {names} the names it binds
ZERO_ROWS = """\
{code}
def _northlab_zero_rows(value):
    import functools
    import pandas
    if isinstance(value, (pandas.DataFrame, pandas.Series)):
        return value.iloc[0:0]
    if callable(value) and not isinstance(value, type):
        @functools.wraps(value)
        def zero_rows(*args, **kwargs):
            try:
                result = _northlab_zero_rows(value(*args, **kwargs))
            except BaseException:
                result = None  # the solution's own errors are not the blank release's
            if result is None:
                raise NotImplementedError()
            return result
        return zero_rows
    return None
for _northlab_name in {names!r}:
    _northlab_value = _northlab_zero_rows(globals().pop(_northlab_name))
    if _northlab_value is not None:
        globals()[_northlab_name] = _northlab_value
"""
#: combined submissions: (tamper kind for a lab cell's names, answer stub kind)
COMBINED = (("empty-list", "first-argument"), ("zero", "first-argument"))

#: the first cell of a test-order submission: the worker answers every name it does not
#: hold, except the learner's answers ({answers}), with a function that says yes
YES_WORKER = """\
import sys as _northlab_sys
def _northlab_yes(*args, **kwargs):
    return True
def _northlab_answer_any_name(server, answers):
    ask = server.op_name
    def op_name(self, header, decoder):
        name = str(header["name"])
        if name not in self.namespace and name not in answers:
            return _northlab_yes
        return ask(self, header, decoder)
    server.op_name = op_name
_northlab_answer_any_name(_northlab_sys.modules["graders.remote.worker"].WorkerServer,
                          {answers!r})
"""
#: a submission graded only as another one's reference (never compared with the blank)
BASELINE = "baseline"
#: a cohort entry ``<id>-yes-worker`` is compared with the entry ``<id>`` when there is one
YES_SUFFIX = "-yes-worker"

#: where a solution-values submission carries the solution's files
SOLUTION_FOLDER = "_northlab_solution"
#: the cell that runs the solution's code (up to a lab cell) in :data:`SOLUTION_FOLDER`,
#: in a namespace of its own, and sets that cell's computed names to the solution's values
SOLUTION_VALUES = """\
def _northlab_solution_values(code, names):
    import os
    here, namespace = os.getcwd(), {{"get_ipython": globals().get("get_ipython")}}
    os.chdir({folder!r})
    try:
        exec(compile(code, "solution", "exec"), namespace)
    finally:
        os.chdir(here)
    return {{name: namespace[name] for name in names if name in namespace}}
globals().update(_northlab_solution_values({code!r}, {names!r}))
"""

Cohort = dict[str, tuple[str, str, Submission]]


def tamper_cohort(lab: Lab, solution_files: dict[str, bytes] | None = None) -> Cohort:
    """learner id -> (name, tamper kind, submission) for every lab-bound name and kind, the
    answer stubs and the combined submissions; with ``solution_files`` (the instructor
    solution's files), the solution-values submissions too."""
    files = read_files(lab.source_dir)
    if lab.kind != "notebook":
        return _code_answer_stubs(lab, files)
    releases = {name: release_notebook(lab.notebook_path(name)) for name in lab.notebook_names}
    blank = {**files, **{f"{name}.ipynb": nbformat.writes(nb).encode()
                         for name, nb in releases.items()}}
    carried = {f"{SOLUTION_FOLDER}/{name}": data
               for name, data in (solution_files or {}).items() if not name.endswith(".ipynb")}
    cohort: Cohort = {}
    for index, name in enumerate(lab.notebook_names):
        cohort.update(_notebook_cohort(lab, name, releases[name], blank,
                                       f"nb{index}-" if lab.named_notebooks else "", carried))
    return cohort


def _notebook_cohort(lab: Lab, notebook: str, released: nbformat.NotebookNode,
                     blank: dict[str, bytes], prefix: str,
                     carried: dict[str, bytes] | None = None) -> Cohort:
    """The tampered submissions of one notebook (the others stay as released); with
    ``carried`` (the solution's files under :data:`SOLUTION_FOLDER`), the solution-values
    submission."""
    path = lab.notebook_path(notebook)
    source = read_source(path)
    code = source.code
    later = _read_after(path)
    positions = [i for i, cell in enumerate(released.cells) if cell.cell_type == "code"]
    answers = _solution_cells(path)

    def submission(learner: str, inserts: dict[int, str],
                   extra: dict[str, bytes] | None = None) -> Submission:
        nb = nbformat.from_dict(released)
        for code_index in sorted(inserts, reverse=True):
            nb.cells.insert(positions[code_index] + 1,
                            nbformat.v4.new_code_cell(inserts[code_index]))
        submitted = {**blank, **(extra or {}),
                     f"{notebook}.ipynb": nbformat.writes(nb).encode()}
        return Submission(prefix + learner, lab.source_dir, files=submitted)

    cohort: Cohort = {}
    for code_index, names in code.cell_names.items():
        read = [n for n in names if n not in code.libraries and n in later[code_index]]
        for name in read:
            for kind, template in TAMPERS.items():
                learner = f"tamper-{code_index}-{name}-{kind}"
                cohort[prefix + learner] = (name, kind, submission(
                    learner, {code_index: template.format(name=name)}))
        for kind, answer_kind in COMBINED if read else ():
            learner = f"combined-{code_index}-{kind}-{answer_kind}"
            inserts = _answer_cells(answers, answer_kind)
            rebind = "\n".join(TAMPERS[kind].format(name=name) for name in read)
            inserts[code_index] = inserts.get(code_index, "") + "\n" + rebind
            cohort[prefix + learner] = (", ".join(read) + " with every answer stubbed",
                               f"{kind}+{answer_kind}", submission(learner, inserts))
    for answer_kind in ANSWER_STUBS if answers else ():
        learner = f"answers-{answer_kind}"
        cohort[prefix + learner] = ("every answer", answer_kind,
                           submission(learner, _answer_cells(answers, answer_kind)))
    if answers:
        cohort[prefix + "answers-zero-rows"] = ("every answer", "zero-rows", submission(
            "answers-zero-rows", _zero_rows_cells(path, answers)))
    cohort.update(_test_order_cohort(lab, notebook, released, blank, prefix, carried))
    faked = {index: read for index, names in _computed_by_cell(source).items()
             if (read := [n for n in names if n in later[index]])}
    if carried and faked:
        inserts = _solution_value_cells(path, faked)
        cohort[prefix + "solution-values"] = (
            ", ".join(dict.fromkeys(n for names in faked.values() for n in names)),
            "solution-values",
            submission("solution-values", inserts, carried))
    return cohort


def _is_test(cell: nbformat.NotebookNode) -> bool:
    nbg = cell.metadata.get("nbgrader", {})
    return cell.cell_type == "code" and bool(nbg.get("grade")) and not nbg.get("solution")


def _reversed_tests(nb: nbformat.NotebookNode, before: str) -> nbformat.NotebookNode:
    """``nb`` with its test cells reversed after every other cell, ``before`` (a cell, if
    not empty) just before them."""
    nb = nbformat.from_dict(nb)
    tests = [cell for cell in nb.cells if _is_test(cell)]
    rest = [cell for cell in nb.cells if not _is_test(cell)]
    nb.cells = rest + ([nbformat.v4.new_code_cell(before)] if before else []) + tests[::-1]
    return nb


def _test_order_cohort(lab: Lab, notebook: str, released: nbformat.NotebookNode,
                       blank: dict[str, bytes], prefix: str,
                       carried: dict[str, bytes] | None) -> Cohort:
    """The test-order submissions of one notebook (module docstring); the reversed solution
    only with ``carried`` (the solution's files)."""
    path = lab.notebook_path(notebook)
    source_nb = nbformat.read(path, as_version=4)
    answers = sorted({name for names in _solution_cells(path).values() for name, _ in names})
    worker = YES_WORKER.format(answers=answers)
    code = read_source(path).code
    by_tests, by_lab = set(), set()
    for cell in source_nb.cells:
        tree = python_of(cell.source) if cell.cell_type == "code" else None
        if tree is not None and _is_test(cell):
            by_tests |= scope_names(tree)
        elif tree is not None and not cell.metadata.get("nbgrader", {}).get("solution"):
            by_lab |= scope_names(tree)
    shared = sorted((by_tests & by_lab) - code.names - set(code.libraries))
    rebind = "".join(f"{name} = _northlab_yes\n" for name in shared)

    def submission(learner: str, nb: nbformat.NotebookNode, files: dict[str, bytes]
                   ) -> Submission:
        return Submission(prefix + learner, lab.source_dir,
                          files={**files, f"{notebook}.ipynb": nbformat.writes(nb).encode()})

    kept = nbformat.from_dict(released)
    kept.cells.insert(0, nbformat.v4.new_code_cell(worker))
    cohort: Cohort = {prefix + "order-kept" + YES_SUFFIX: (
        "any name the worker lacks", "test cells as released, a yes-saying worker",
        submission("order-kept" + YES_SUFFIX, kept, blank))}
    if carried is None or not any(_is_test(cell) for cell in source_nb.cells):
        return cohort
    finished = {name.removeprefix(SOLUTION_FOLDER + "/"): data
                for name, data in carried.items()}
    replaced = {name.split("/")[0] for name in finished}
    solution = {name: data for name, data in blank.items()
                if name.split("/")[0] not in replaced} | finished
    reversed_nb = _reversed_tests(source_nb, "")
    attacked = _reversed_tests(source_nb, rebind)
    attacked.cells.insert(0, nbformat.v4.new_code_cell(worker))
    cohort[prefix + "order-reversed"] = ("test cells reversed", BASELINE,
                                         submission("order-reversed", reversed_nb, solution))
    cohort[prefix + "order-reversed" + YES_SUFFIX] = (
        ", ".join(["any name the worker lacks", *shared]),
        "the solution with test cells reversed, a yes-saying worker",
        submission("order-reversed" + YES_SUFFIX, attacked, solution))
    return cohort


def _computed_by_cell(source: SourceNotebook) -> dict[int, list[str]]:
    """Per lab cell (code cell index): the names it binds that are computed from the
    learner's code (not library names, not lab names the judge computes itself)."""
    code = source.code
    return {index: [n for n in names if n not in code.names and n not in code.libraries]
            for index, names in code.cell_names.items()}


def _solution_value_cells(notebook: Path, faked: dict[int, list[str]]) -> dict[int, str]:
    """code cell index -> the cell that sets its names to the solution run's values: the
    source notebook's solution and lab code cells up to that cell, run in the solution's
    folder (IPython syntax turned into Python as a kernel does)."""
    from IPython.core.inputtransformer2 import TransformerManager

    cells = [c for c in cells_of(notebook.read_bytes()) if c["type"] == "code"]
    inserts = {}
    for index, names in faked.items():
        code = "\n".join(TransformerManager().transform_cell(cell["source"])
                         for cell in cells[:index + 1]
                         if cell["nbgrader"].get("solution") or not cell["nbgrader"].get("grade"))
        inserts[index] = SOLUTION_VALUES.format(folder=SOLUTION_FOLDER, code=code, names=names)
    return inserts


def _zero_rows_cells(notebook: Path, answers: dict[int, list[tuple[str, bool]]]
                     ) -> dict[int, str]:
    """code cell index -> a cell that runs that solution cell's code, then makes each
    DataFrame or Series it binds, or its functions return, keep zero of its rows (same
    columns and dtypes); its other answers stay blank (unbound, or raise
    NotImplementedError, as the release does — also where the solution would raise)."""
    from IPython.core.inputtransformer2 import TransformerManager

    cells = [c for c in cells_of(notebook.read_bytes()) if c["type"] == "code"]
    return {index: ZERO_ROWS.format(code=TransformerManager().transform_cell(
                cells[index]["source"]), names=[name for name, _ in names])
            for index, names in answers.items()}


FIRST_ARGUMENT = "args[0] if args else next(iter(kwargs.values()), None)"


def _stub_function(name: str, answer_kind: str) -> str:
    expression = ANSWER_STUBS[answer_kind] or FIRST_ARGUMENT
    return f"def {name}(*args, **kwargs):\n    return {expression}\n"


def _solution_cells(notebook: Path) -> dict[int, list[tuple[str, bool]]]:
    """Per solution code cell (index among code cells): (name, is a function) for each name
    it binds."""
    cells: dict[int, list[tuple[str, bool]]] = {}
    code_cells = [c for c in cells_of(notebook.read_bytes()) if c["type"] == "code"]
    for index, cell in enumerate(code_cells):
        tree = python_of(cell["source"])
        if not cell["nbgrader"].get("solution") or tree is None:
            continue
        bound: dict[str, bool] = {}
        for stmt in tree.body:
            if isinstance(stmt, ast.Import | ast.ImportFrom):
                continue
            if isinstance(stmt, ast.FunctionDef | ast.ClassDef):
                bound[stmt.name] = True
            else:
                bound.update(dict.fromkeys(sorted(bound_names(stmt)), False))
        if bound:
            cells[index] = sorted(bound.items())
    return cells


def _answer_cells(answers: dict[int, list[tuple[str, bool]]],
                  answer_kind: str) -> dict[int, str]:
    """code cell index -> a cell that replaces that solution cell's answers by stubs."""
    value = ANSWER_STUBS[answer_kind] or "0"
    return {index: "".join(_stub_function(name, answer_kind)
                           if function else f"{name} = {value}\n"
                           for name, function in names)
            for index, names in answers.items()}


#: appended to each starter module of a code lab: every function and method of the module
#: gives, when called from outside it, its reply with dicts and lists whose repr, str and
#: format lie (``mode``: "nested" in the reply, or the "whole" reply), or with its nested
#: dicts and lists turned into lying labels of a pandas Series' index ("series-index")
LYING_REPLIES = """

import functools as _northlab_functools
import sys as _northlab_sys


class _NorthlabDict(dict):
    def __repr__(self):
        return "{{}}"
    __str__ = __repr__
    def __format__(self, spec):
        return "{{}}"


class _NorthlabList(list):
    def __repr__(self):
        return "[]"
    __str__ = __repr__
    def __format__(self, spec):
        return "[]"


class _NorthlabLabel:
    def __init__(self, value):
        self.value = value
    def __repr__(self):
        return "{{}}"
    __str__ = __repr__
    def __format__(self, spec):
        return "{{}}"


def _northlab_lying(value, top):
    if type(value) is dict:
        value = {{k: _northlab_lying(v, False) for k, v in value.items()}}
    elif type(value) in (list, tuple):
        value = type(value)(_northlab_lying(v, False) for v in value)
    else:
        return value
    if top and {mode!r} != "whole":
        return value
    if {mode!r} == "series-index":
        import pandas
        return pandas.Series([None], index=pandas.Index([_NorthlabLabel(value)], dtype=object))
    return _NorthlabDict(value) if type(value) is dict else _NorthlabList(value)


def _northlab_wrap(function):
    @_northlab_functools.wraps(function)
    def lying(*args, **kwargs):
        reply = function(*args, **kwargs)
        if _northlab_sys._getframe(1).f_globals is globals():
            return reply  # the module's own calls see its real replies
        return _northlab_lying(reply, True)
    return lying


def _northlab_lie():
    functions = type(_northlab_lie)
    for name, value in list(globals().items()):
        if name.startswith(("_northlab", "__")):
            continue
        if type(value) is functions and value.__module__ == __name__:
            globals()[name] = _northlab_wrap(value)
        elif isinstance(value, type) and value.__module__ == __name__:
            for attribute, method in list(vars(value).items()):
                if type(method) is functions and not attribute.startswith("__"):
                    setattr(value, attribute, _northlab_wrap(method))


_northlab_lie()
"""
#: lying-reply kind -> its ``mode`` in :data:`LYING_REPLIES`
LYING_KINDS = {"lying-repr-nested": "nested", "lying-repr": "whole",
               "lying-series-index": "series-index"}
#: the starter as released, graded again: what lying replies are compared with, test by
#: test (a lying reply fails every test that compares it, so only a gained test tells)
STARTER = "replies-starter"


class _StubAnswers(ast.NodeTransformer):
    """Replace the body of every function and method (dunders kept) by a stub."""

    def __init__(self, answer_kind: str) -> None:
        self.answer_kind = answer_kind
        self.in_class = False

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.ClassDef:
        outer, self.in_class = self.in_class, True
        self.generic_visit(node)
        self.in_class = outer
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.FunctionDef:
        if node.name.startswith("__") and node.name.endswith("__"):
            return node
        parameters = [a.arg for a in (*node.args.posonlyargs, *node.args.args)]
        parameters = parameters[1:] if self.in_class else parameters
        expression = ANSWER_STUBS[self.answer_kind] or (parameters[0] if parameters
                                                         else "None")
        node.body = ast.parse(f"return {expression}").body
        return node


def _code_answer_stubs(lab: Lab, files: dict[str, bytes]) -> Cohort:
    """Code labs: the starter files with every function and method stubbed, per kind, and
    with their replies' repr/str lying (:data:`LYING_REPLIES`)."""
    modules = {name for name in files if name.endswith(".py")
               and (lab.solution_dir / name).is_file()}
    cohort: Cohort = {}
    for answer_kind in ANSWER_STUBS if modules else ():
        submitted = dict(files)
        for name in modules:
            try:
                tree = ast.parse(files[name])
            except (SyntaxError, ValueError):
                continue
            tree = ast.fix_missing_locations(_StubAnswers(answer_kind).visit(tree))
            submitted[name] = ast.unparse(tree).encode()
        learner = f"answers-{answer_kind}"
        cohort[learner] = ("every function", answer_kind,
                           Submission(learner, lab.source_dir, files=submitted))
    if modules:
        cohort[STARTER] = ("the starter", BASELINE, Submission(STARTER, lab.source_dir,
                                                              files=dict(files)))
    for lying_kind, mode in LYING_KINDS.items() if modules else ():
        submitted = dict(files)
        for name in modules:
            submitted[name] = files[name] + LYING_REPLIES.format(mode=mode).encode()
        learner = f"replies-{lying_kind}"
        cohort[learner] = ("every function's reply", lying_kind,
                           Submission(learner, lab.source_dir, files=submitted))
    return cohort


DYNAMIC = frozenset({"globals", "locals", "vars", "dir", "eval", "exec", "get_ipython"})


def _read_after(notebook: Path) -> list[set[str] | frozenset[str]]:
    """Per code cell: the names any later code cell reads (everything, if one of them looks
    names up dynamically)."""
    trees = [python_of(cell["source"]) for cell in cells_of(notebook.read_bytes())
             if cell["type"] == "code"]
    reads = [{node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
             if tree is not None else {"get_ipython"} for tree in trees]
    everything = _Everything()
    after: list[set[str] | frozenset[str]] = []
    for index in range(len(reads)):
        later = set().union(*reads[index + 1:])
        after.append(everything if later & DYNAMIC else later)
    return after


class _Everything(frozenset):
    def __contains__(self, item: object) -> bool:
        return True


def tamper_problems(cohort: Cohort,
                    records: dict[str, dict], blank: float) -> list[str]:
    """One line per tampered submission that scored more than the blank release."""
    problems = []
    for learner, (name, kind, _) in cohort.items():
        if kind == BASELINE:
            continue
        if kind in LYING_KINDS:
            gained = _gained_tests(records[learner], records[STARTER])
            if gained:
                problems.append(f"replies whose repr/str lie ({kind}) passed "
                                f"{', '.join(gained)}, which the starter fails")
            continue
        score = records[learner]["score"]
        baseline = learner.removesuffix(YES_SUFFIX)
        if baseline != learner and baseline in cohort:
            reference, what = records[baseline]["score"], f"the same ({cohort[baseline][0]})"
        else:
            reference, what = blank, "the blank release"
        if score > reference + 1e-9:
            problems.append(f"rebinding {name} ({kind}) scored {score:g}, {what} "
                            f"{reference:g}")
    return problems


def _gained_tests(record: dict, reference: dict) -> list[str]:
    """Tests ``record`` got more points for than ``reference``."""
    before = {test["name"]: test.get("points", 0) for test in reference["tests"]}
    return [test["name"] for test in record["tests"]
            if test.get("points", 0) > before.get(test["name"], 0) + 1e-9]


def trusting_tests(lab: Lab) -> list[str]:
    """Test cells that only read names a locked cell computed from the learner's code (the
    learner can rebind those after the cell) and call none of the learner's functions."""
    if lab.kind != "notebook":
        return []
    return [problem for name in lab.notebook_names
            for problem in _trusting_tests(read_source(lab.notebook_path(name)))]


def _trusting_tests(source: SourceNotebook) -> list[str]:
    code = source.code
    computed = {name for names in _computed_by_cell(source).values() for name in names}
    problems = []
    own: set[str] = set()  # names test cells define themselves (they stay the tests')
    for test in source.tests.values():
        tree = python_of(test.source)
        if tree is None:
            continue
        own |= defined_names(tree)
        read = free_names(tree) & computed
        called = {node.func.id for node in ast.walk(tree)
                  if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
        if read and not called - own - set(code.libraries) - code.names - BUILTINS:
            problems.append(f"test cell {test.id} only checks {', '.join(sorted(read))}, "
                            "computed by a locked cell from the learner's code (which the "
                            "learner can rebind); call the learner's functions in the test, "
                            "and read the learner's files where NORTHLAB_LEARNER_FILES says "
                            "(docs/labs.md)")
    return problems


def defined_names(tree: ast.AST) -> set[str]:
    """Every name ``tree`` binds anywhere: functions, classes, assignments (a lambda
    included), loop and ``with`` targets, imports, parameters."""
    names = {node.id for node in ast.walk(tree)
             if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load)}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.alias):
            names.add((node.asname or node.name).split(".")[0])
    return names
