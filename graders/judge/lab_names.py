"""What the lab's own code binds, read statically from the lab's source notebook.

- *library names*: bound by an import statement anywhere in the notebook (``np``, ``math``,
  ``Path``...): the judge resolves them to its own imports.
- *lab names*: bound in the lab's own (non-solution, non-test) cells by statements that read
  only library names, builtins and other lab names — constants, the lab's data files, helper
  functions. The judge runs those statements itself (in the lab's source folder) when a test
  reads such a name, so a test's reference never comes from the learner.
- *test names*: bound only by the lab's test cells (their helpers, references, loop
  variables), never by a solution or lab cell. They are the tests' own: one the test cells
  have not bound (yet) is a ``NameError``, never the learner's value (the learner decides
  which test cells run and in what order).
- everything else a test reads (the learner's answers, and what the lab computes from them)
  comes from the learner's namespace.

A name that a solution cell or an impure statement binds, or that a later statement calls a
method on that may change it, stops being a lab name.
"""

from __future__ import annotations

import ast
import builtins
from dataclasses import dataclass, field

BUILTINS = frozenset(vars(builtins))
PURE_KINDS = (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.FunctionDef, ast.ClassDef,
              ast.With)


@dataclass
class Statement:
    source: str
    reads: frozenset[str]
    binds: frozenset[str]


@dataclass
class LabCode:
    """The result of :func:`analyse`; plain data, so the judge can rebuild it cheaply."""

    libraries: dict[str, list[str | None]] = field(default_factory=dict)
    statements: list[Statement] = field(default_factory=list)
    names: set[str] = field(default_factory=set)  #: lab names (final)
    #: per non-solution, non-test code cell (index in the notebook): the names it binds
    cell_names: dict[int, list[str]] = field(default_factory=dict)
    #: names only test cells bind (never resolved from the learner)
    test_names: set[str] = field(default_factory=set)

    def needed(self, name: str) -> list[int]:
        """Indices of the statements that compute lab name ``name``, in order."""
        if name not in self.names:
            return []
        wanted, chosen = {name}, []
        for i in range(len(self.statements) - 1, -1, -1):
            stmt = self.statements[i]
            if stmt.binds & wanted:
                chosen.append(i)
                wanted |= stmt.reads
        return chosen[::-1]


def imported_names(tree: ast.AST) -> dict[str, list[str | None]]:
    """Names that import statements in ``tree`` bind -> [module, attribute or None]."""
    names: dict[str, list[str | None]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    names[alias.asname] = [alias.name, None]
                else:
                    top = alias.name.split(".")[0]
                    names[top] = [top, None]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                if alias.name != "*":
                    names[alias.asname or alias.name] = [node.module, alias.name]
    return names


def _target_names(target: ast.AST) -> set[str]:
    """Names a target binds or changes (``x``, ``x, y``, ``x[0]``, ``x.a``)."""
    if isinstance(target, ast.Name):
        return {target.id}
    if isinstance(target, ast.Tuple | ast.List):
        return set().union(*(_target_names(t) for t in target.elts)) if target.elts else set()
    if isinstance(target, ast.Starred):
        return _target_names(target.value)
    if isinstance(target, ast.Subscript | ast.Attribute):
        return _target_names(target.value)
    return set()


def bound_names(stmt: ast.stmt) -> set[str]:
    """Names a top-level statement binds (or changes) in the notebook's namespace."""
    if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return {stmt.name}
    if isinstance(stmt, ast.Import | ast.ImportFrom):
        return set(imported_names(stmt))
    if isinstance(stmt, ast.Assign):
        return set().union(*(_target_names(t) for t in stmt.targets))
    if isinstance(stmt, ast.AugAssign | ast.AnnAssign):
        return _target_names(stmt.target)
    names: set[str] = set()
    if isinstance(stmt, ast.For | ast.AsyncFor):
        names |= _target_names(stmt.target)
    if isinstance(stmt, ast.With | ast.AsyncWith):
        for item in stmt.items:
            if item.optional_vars is not None:
                names |= _target_names(item.optional_vars)
    if isinstance(stmt, ast.Try):
        names |= {h.name for h in stmt.handlers if h.name}
    for child in ast.iter_child_nodes(stmt):
        if isinstance(child, ast.stmt):
            names |= bound_names(child)
    for block in ("body", "orelse", "finalbody"):
        for child in getattr(stmt, block, []) or []:
            names |= bound_names(child)
    for handler in getattr(stmt, "handlers", []) or []:
        for child in handler.body:
            names |= bound_names(child)
    return names


_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.ListComp,
           ast.SetComp, ast.DictComp, ast.GeneratorExp)


def scope_names(tree: ast.AST) -> set[str]:
    """Every name a cell can bind or delete in the notebook's namespace: at its top level
    (imports, ``def``/``class``, targets, ``except ... as``, ``del``), ``:=`` outside
    functions and ``global`` names anywhere."""
    names: set[str] = set()

    def visit(node: ast.AST, scope: str) -> None:
        for child in ast.iter_child_nodes(node):
            inner = scope
            if isinstance(child, ast.Name) and not isinstance(child.ctx, ast.Load):
                if scope == "cell":
                    names.add(child.id)
            elif isinstance(child, ast.NamedExpr) and scope != "function":
                names.add(child.target.id)
            elif isinstance(child, ast.Global):
                names.update(child.names)
            elif isinstance(child, ast.Import | ast.ImportFrom) and scope == "cell":
                names.update(imported_names(child))
            elif isinstance(child, ast.ExceptHandler) and child.name and scope == "cell":
                names.add(child.name)
            if isinstance(child, _SCOPES):
                if scope == "cell" and not isinstance(child, ast.Lambda) and hasattr(
                        child, "name"):
                    names.add(child.name)
                comprehension = isinstance(child, ast.ListComp | ast.SetComp | ast.DictComp
                                           | ast.GeneratorExp)
                inner = "comprehension" if comprehension and scope != "function" \
                    else "function"
            visit(child, inner)

    visit(tree, "cell")
    return names


def free_names(stmt: ast.AST) -> set[str]:
    """Names ``stmt`` reads that it does not bind itself anywhere inside (an over-estimate
    of what it needs from outside, which is the safe side)."""
    loads, stores = set(), set()
    for node in ast.walk(stmt):
        if isinstance(node, ast.Name):
            (loads if isinstance(node.ctx, ast.Load) else stores).add(node.id)
        elif isinstance(node, ast.arg):
            stores.add(node.arg)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            stores.add(node.name)
        elif isinstance(node, ast.alias):
            stores.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, ast.ExceptHandler) and node.name:
            stores.add(node.name)
    return loads - stores - BUILTINS


#: methods that only read their object (dict, str, list, pandas, numpy), unless ``inplace=``
READ_ONLY_METHODS = frozenset({
    "items", "keys", "values", "get", "copy", "count", "index", "startswith", "endswith",
    "format", "join", "split", "strip", "lower", "upper", "encode", "decode", "read_text",
    "head", "tail", "describe", "drop", "round", "sum", "mean", "median", "min", "max", "std",
    "var", "abs", "groupby", "sort_values", "sort_index", "query", "to_numpy", "tolist",
    "astype", "isna", "notna", "nunique", "unique", "value_counts", "sample", "reset_index",
    "set_index", "merge", "pivot_table", "filter", "select_dtypes", "corr", "cumsum", "diff",
    "reshape", "ravel", "flatten", "any", "all", "argmax", "argmin", "dot", "exists",
})


def called_on(stmt: ast.AST) -> set[str]:
    """Names whose methods ``stmt`` calls in a way that may change them
    (``heights.append(y)``, ``df.drop(..., inplace=True)``); read-only methods do not."""
    return {node.func.value.id for node in ast.walk(stmt)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and (node.func.attr not in READ_ONLY_METHODS
                 or any(k.arg == "inplace" for k in node.keywords))}


def analyse(cells: list[tuple[str, str, ast.Module | None]]) -> LabCode:
    """``cells``: (role, source, parsed source) per code cell in order; role is "solution",
    "test" or "lab" (locked and plain cells)."""
    code = LabCode()
    by_tests, by_others = set(), set()
    for role, text, tree in cells:
        if tree is not None and "import" in text:
            code.libraries.update(imported_names(tree))
        if tree is not None:
            (by_tests if role == "test" else by_others).update(scope_names(tree))
    code.test_names = by_tests - by_others
    pure: set[str] = set()
    for index, (role, text, tree) in enumerate(cells):
        if role == "test" or tree is None:
            continue
        cell_binds: set[str] = set()
        for stmt in tree.body:
            binds = bound_names(stmt)
            cell_binds |= binds
            if isinstance(stmt, ast.Import | ast.ImportFrom):
                continue
            reads = free_names(stmt)
            if role == "lab" and isinstance(stmt, PURE_KINDS) and binds and \
                    reads <= pure | set(code.libraries):
                segment = ast.get_source_segment(text, stmt) or ast.unparse(stmt)
                code.statements.append(Statement(segment, frozenset(reads), frozenset(binds)))
                pure |= binds
            else:
                pure -= binds | called_on(stmt)
        if role == "lab":
            code.cell_names[index] = sorted(cell_binds)
    code.names = pure - set(code.libraries)
    code.statements = [s for s in code.statements if s.binds & code.names]
    return code

