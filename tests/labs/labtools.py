"""Helpers the track tests share: run `northlab check`, grade a mutated solution."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from graders.engine import Grader
from graders.lab import load_lab
from graders.submissions import Submission, read_files

REPO = Path(__file__).resolve().parents[2]
LABS = REPO / "labs"


def northlab_check(folder: Path, tmp_path: Path) -> tuple[int, ET.Element]:
    """Run the real CLI on ``folder``; return its exit status and JUnit report."""
    junit = tmp_path / "check.xml"
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    done = subprocess.run(
        [sys.executable, "-m", "northlab.cli", "check", str(folder), "--junit", str(junit)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert junit.exists(), done.stderr
    return done.returncode, ET.parse(junit).getroot()


def grade(track: Path, lab_id: str, files: dict[str, bytes]) -> dict[str, bool]:
    """Grade ``files`` as a submission of ``track/lab_id``: {test name: passed}."""
    lab = load_lab(track / lab_id)
    with Grader(lab, workers=1) as grader:
        record = grader.grade(Submission("mutant", lab.path, files=files))
    assert record["error"] is None, record["error"]
    return {test["name"].split("::")[-1]: test["passed"] for test in record["tests"]}


def mutate_notebook(track: Path, lab_id: str, old: str, new: str) -> dict[str, bytes]:
    """The lab's source files with one piece of its solution code replaced."""
    lab = load_lab(track / lab_id)
    files = read_files(lab.source_dir)
    notebook = json.loads(files[f"{lab_id}.ipynb"])
    sources = ["".join(cell["source"]) for cell in notebook["cells"]]
    assert sum(source.count(old) for source in sources) == 1, f"target not unique in {lab_id}"
    for cell, source in zip(notebook["cells"], sources, strict=True):
        cell["source"] = source.replace(old, new)
    files[f"{lab_id}.ipynb"] = json.dumps(notebook).encode()
    return files
