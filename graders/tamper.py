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

Code labs have no such cells (their notebook is instructions only; grader tests reach the
learner only through ``learner.module``), so the pass applies to notebook labs.
"""

from __future__ import annotations

import ast

import nbformat

from graders.judge.lab_names import BUILTINS, free_names
from graders.lab import Lab
from graders.notebooks import cells_of, python_of, read_source
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


def tamper_cohort(lab: Lab) -> dict[str, tuple[str, str, Submission]]:
    """learner id -> (name, tamper kind, submission) for every lab-bound name and kind."""
    if lab.kind != "notebook":
        return {}
    code = read_source(lab.notebook).code
    later = _read_after(lab)
    released = release_notebook(lab.notebook)
    positions = [i for i, cell in enumerate(released.cells) if cell.cell_type == "code"]
    files = read_files(lab.source_dir)
    cohort: dict[str, tuple[str, str, Submission]] = {}
    for code_index, names in code.cell_names.items():
        for name in names:
            if name in code.libraries or name not in later[code_index]:
                continue
            for kind, template in TAMPERS.items():
                nb = nbformat.from_dict(released)
                cell = nbformat.v4.new_code_cell(template.format(name=name))
                nb.cells.insert(positions[code_index] + 1, cell)
                learner = f"tamper-{code_index}-{name}-{kind}"
                submitted = {**files, f"{lab.id}.ipynb": nbformat.writes(nb).encode()}
                cohort[learner] = (name, kind, Submission(learner, lab.source_dir,
                                                          files=submitted))
    return cohort


DYNAMIC = frozenset({"globals", "locals", "vars", "dir", "eval", "exec", "get_ipython"})


def _read_after(lab: Lab) -> list[set[str] | frozenset[str]]:
    """Per code cell: the names any later code cell reads (everything, if one of them looks
    names up dynamically)."""
    trees = [python_of(cell["source"]) for cell in cells_of(lab.notebook.read_bytes())
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


def tamper_problems(cohort: dict[str, tuple[str, str, Submission]],
                    records: dict[str, dict], blank: float) -> list[str]:
    """One line per tampered submission that scored more than the blank release."""
    problems = []
    for learner, (name, kind, _) in cohort.items():
        score = records[learner]["score"]
        if score > blank + 1e-9:
            problems.append(f"rebinding {name} ({kind}) scored {score:g}, the blank release "
                            f"{blank:g}")
    return problems


def trusting_tests(lab: Lab) -> list[str]:
    """Test cells that only read names a locked cell computed from the learner's code (the
    learner can rebind those after the cell) and call none of the learner's functions."""
    if lab.kind != "notebook":
        return []
    source = read_source(lab.notebook)
    code = source.code
    computed = {name for names in code.cell_names.values() for name in names} \
        - code.names - set(code.libraries)
    problems = []
    for test in source.tests.values():
        tree = python_of(test.source)
        if tree is None:
            continue
        read = free_names(tree) & computed
        called = {node.func.id for node in ast.walk(tree)
                  if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
        if read and not called - set(code.libraries) - code.names - BUILTINS:
            problems.append(f"test cell {test.id} only checks {', '.join(sorted(read))}, "
                            "computed by a locked cell from the learner's code (which the "
                            "learner can rebind); call the learner's functions in the test")
    return problems
