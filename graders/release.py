"""Make the learner's (blank) release of a notebook with nbgrader's own preprocessors.

The same steps as ``nbgrader generate_assignment`` minus the course database:
LockCells, ClearSolutions, ClearOutput, ClearHiddenTests, ClearMarkScheme,
ComputeChecksums and CheckCellMetadata (which also validates the nbgrader metadata).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbgrader.preprocessors import (
    CheckCellMetadata,
    ClearHiddenTests,
    ClearOutput,
    ClearSolutions,
    ComputeChecksums,
    LockCells,
)
from nbgrader.preprocessors.clearmarkingscheme import ClearMarkScheme

STEPS = (LockCells, ClearSolutions, ClearOutput, CheckCellMetadata, ComputeChecksums,
         ClearHiddenTests, ClearMarkScheme, ComputeChecksums, CheckCellMetadata)


def release_notebook(source: Path) -> nbformat.NotebookNode:
    """The released version of the nbgrader source notebook at ``source``."""
    nb = nbformat.read(str(source), as_version=nbformat.NO_CONVERT)
    resources: dict = {}
    for step in STEPS:
        nb, resources = step().preprocess(nb, resources)
    return nb
