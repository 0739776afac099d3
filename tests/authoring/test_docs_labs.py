"""docs/labs.md: its worked example is a lab that passes `northlab check`, and its lab.toml
table names every key graders/lab.py reads."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import nbformat

from graders.lab import Limits

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "labs.md"
#: a fenced block whose info string is a language and a JSON object: {"file": path} or
#: {"cell": metadata}
BLOCK = re.compile(r"^```(\w+) (\{[^\n]*\})\n(.*?)^```$", re.M | re.S)


def example_lab(into: Path) -> Path:
    """Build the worked example's lab under ``into``/<track>/<id>/ from the doc."""
    files: dict[str, str] = {}
    cells = []
    for language, info, body in BLOCK.findall(DOC.read_text(encoding="utf-8")):
        spec = json.loads(info)
        if "file" in spec:
            files[spec["file"]] = body
        elif language == "markdown":
            cells.append(nbformat.v4.new_markdown_cell(body.rstrip("\n"), metadata=spec["cell"]))
        else:
            cells.append(nbformat.v4.new_code_cell(body.rstrip("\n"), metadata=spec["cell"]))
    toml = files["lab.toml"]
    lab_id = re.search(r'^id = "(.*)"$', toml, re.M).group(1)
    track = re.search(r'^track = "(.*)"$', toml, re.M).group(1)
    lab = into / track / lab_id
    for name, body in files.items():
        (lab / name).parent.mkdir(parents=True, exist_ok=True)
        (lab / name).write_text(body, encoding="utf-8")
    notebook = nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": {
        "display_name": "Python 3", "language": "python", "name": "python3"}})
    nbformat.write(notebook, str(lab / "source" / f"{lab_id}.ipynb"))
    return lab


def test_the_worked_example_passes_northlab_check(tmp_path: Path) -> None:
    lab = example_lab(tmp_path / "labs")
    assert lab.name == "ice-thickness" and len(nbformat.read(
        str(lab / "source" / "ice-thickness.ipynb"), as_version=4).cells) == 6
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    done = subprocess.run([sys.executable, "-m", "northlab.cli", "check", str(lab)], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ok   ai-data/ice-thickness" in done.stdout and "warning" not in done.stdout


def keys_read_by_lab_py() -> set[str]:
    """Top-level lab.toml keys graders/lab.py reads: data.get("k"), data["k"] and the
    helpers called with (data, "k", ...); plus [limits] keys and [code] files."""
    tree = ast.parse((REPO / "graders" / "lab.py").read_text(encoding="utf-8"))
    keys = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Name) \
                and node.args[0].id == "data":
            if isinstance(node.func, ast.Name) and len(node.args) > 1 and isinstance(
                    node.args[1], ast.Constant):
                keys.add(node.args[1].value)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                node.func.attr == "get" and isinstance(node.func.value, ast.Name) and \
                node.func.value.id == "data" and isinstance(node.args[0], ast.Constant):
            keys.add(node.args[0].value)
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and \
                node.value.id == "data" and isinstance(node.slice, ast.Constant):
            keys.add(node.slice.value)
    return keys


def test_every_lab_toml_key_is_documented() -> None:
    doc = DOC.read_text(encoding="utf-8")
    keys = keys_read_by_lab_py()
    assert {"id", "track", "kind", "points", "title", "languages", "limits"} <= keys
    rows = set(re.findall(r"^\| `([a-z_\[\]]+)`", doc, re.M))
    documented = {row.strip("[]") for row in rows} | {"code"}  # [code] `files`
    assert keys <= documented, f"undocumented lab.toml keys: {keys - documented}"
    assert {f.name for f in fields(Limits)} <= rows
    assert "| `[code]` `files` |" in doc
