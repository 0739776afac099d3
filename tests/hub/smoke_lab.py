"""A two-point notebook lab written by the tests (hub tests need no lab content)."""

from __future__ import annotations

from pathlib import Path

import nbformat

LAB_ID = "smoke-lab"
SOLUTION = "def double(x):\n    return 2 * x\n"


def _meta(**nbgrader) -> dict:
    return {"nbgrader": {"schema_version": 3, "locked": False, "solution": False,
                         "grade": False, **nbgrader}}


LAB_TOML = f"""id = "{LAB_ID}"
track = "cybersecurity"
kind = "notebook"
order = 1
points = 2
title = {{ en = "Smoke lab", fr = "Lab de fumée" }}
summary = {{ en = "Write double(x).", fr = "Écrire double(x)." }}
"""


def write_lab(labs_root: Path) -> Path:
    """Write ``<labs_root>/cybersecurity/<LAB_ID>/`` (lab.toml + nbgrader source)."""
    lab = labs_root / "cybersecurity" / LAB_ID
    lab.mkdir(parents=True)
    (lab / "lab.toml").write_text(LAB_TOML, encoding="utf-8")
    write_source(lab / "source")
    return lab


def write_source(folder: Path) -> Path:
    """Write ``<folder>/<LAB_ID>.ipynb`` (nbgrader source format)."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [
        nbformat.v4.new_markdown_cell("Write `double(x)`. / Écrivez `double(x)`."),
        nbformat.v4.new_code_cell(
            "def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION\n",
            metadata=_meta(solution=True, grade_id="answer"),
        ),
        nbformat.v4.new_code_cell(
            "assert double(2) == 4\n### BEGIN HIDDEN TESTS\nassert double(21) == 42\n"
            "### END HIDDEN TESTS\n",
            metadata={**_meta(grade=True, locked=True, points=2, grade_id="test_double"),
                      "northlab": {"feedback": {"en": "double(x) should return twice x.",
                                                "fr": "double(x) doit renvoyer deux fois x."}}},
        ),
    ]
    path = folder / f"{LAB_ID}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path
