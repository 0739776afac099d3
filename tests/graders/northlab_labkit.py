"""Helpers shared by the grader and hostile tests: fixture labs and submissions."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "labs"
NB_LAB = FIXTURES / "ai-data" / "nb-basics"
CODE_LAB = FIXTURES / "gamedev" / "code-basics"
NORTHLAB = [str(Path(sys.executable).parent / "northlab")]

#: nbgrader's user-guide course (ps1: problem1, problem2; learners bitdiddle, hacker)
USER_GUIDE = Path(importlib.util.find_spec("nbgrader").origin).parent / "docs" / "source" \
    / "user_guide"
PS1_TOML = """id = "ps1"
track = "ai-data"
kind = "notebook"
order = 1
points = 13
title = { en = "Problem set 1" }
summary = { en = "nbgrader's user-guide course" }
"""

SOLUTIONS = {
    "answer-square": "def square(x):\n    return x * x",
    "answer-means": "def column_means(df):\n    return df.mean().to_dict()",
    "answer-total": 'total = float(np.loadtxt("data/values.txt").sum())',
}


def copy_lab(source: Path, into: Path, limits: dict[str, float] | None = None) -> Path:
    """A copy of a fixture lab, optionally with other [limits]."""
    target = into / source.name
    shutil.copytree(source, target)
    if limits:
        toml = (target / "lab.toml").read_text()
        head, _, rest = toml.partition("[limits]")
        table = "".join(f"{k} = {v}\n" for k, v in limits.items())
        rest = rest.split("\n[", 1)
        toml = head + "[limits]\n" + table + ("\n[" + rest[1] if len(rest) > 1 else "")
        (target / "lab.toml").write_text(toml)
    return target


def replace_cell_source(lab_dir: Path, grade_id: str, source: str) -> None:
    """Rewrite the cell ``grade_id`` of a (copied) lab's source notebook."""
    path = lab_dir / "source" / f"{lab_dir.name}.ipynb"
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == grade_id:
            cell["source"] = source
    path.write_text(json.dumps(nb))


def ps1_lab(labs: Path) -> Path:
    """nbgrader's ps1 as a northlab lab, ``labs``/ps1 (its source/ a link to the guide's)."""
    lab_dir = labs / "ps1"
    lab_dir.mkdir(parents=True)
    (lab_dir / "lab.toml").write_text(PS1_TOML)
    (lab_dir / "source").symlink_to(USER_GUIDE / "source" / "ps1")
    return lab_dir


def ps1_course(root: Path) -> Path:
    """An nbgrader course folder whose source/ps1 and submitted/ are the guide's (links)."""
    (root / "source").mkdir(parents=True)
    (root / "source" / "ps1").symlink_to(USER_GUIDE / "source" / "ps1")
    (root / "submitted").symlink_to(USER_GUIDE / "submitted")
    return root


def notebook(cells: dict[str, str] | None = None, lab: Path = NB_LAB) -> str:
    """The fixture notebook with the given solution cells (by grade_id) replaced."""
    nb = json.loads((lab / "source" / f"{lab.name}.ipynb").read_text())
    for cell in nb["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if cell["metadata"].get("nbgrader", {}).get("solution"):
            cell["source"] = (cells or {}).get(grade_id, "raise NotImplementedError()")
    return json.dumps(nb)


def honest(**overrides: str) -> str:
    return notebook({**SOLUTIONS, **overrides})


def write_submission(root: Path, learner: str, nb_text: str | bytes | None,
                     lab: Path = NB_LAB, data: bool = True) -> Path:
    folder = root / learner
    folder.mkdir(parents=True)
    if nb_text is not None:
        target = folder / f"{lab.name}.ipynb"
        if isinstance(nb_text, bytes):
            target.write_bytes(nb_text)
        else:
            target.write_text(nb_text)
    if data and (lab / "source" / "data").is_dir():
        shutil.copytree(lab / "source" / "data", folder / "data")
    return folder


def northlab(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*NORTHLAB, *args], capture_output=True, text=True, cwd=cwd,
                          timeout=600)


def by_learner(records: list[dict]) -> dict[str, dict]:
    return {r["learner"]: r for r in records}
