"""The AUTOTEST expansion cache is optional: a home where it cannot be written (read-only,
full) costs the cache, never the grade, and leaves no temporary file."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest

from graders import autotest


def test_a_cache_that_cannot_be_written_is_skipped(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = tmp_path / "lab" / "source"
    source.mkdir(parents=True)
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell("AUTOTEST double(2)")]
    nbformat.write(notebook, source / "lab.ipynb")
    lab = SimpleNamespace(path=tmp_path / "lab", source_dir=source, notebook_names=("lab",),
                          notebook_path=lambda name: source / f"{name}.ipynb")
    expanded = {"lab": {"test": "assert double(2) == 4"}}
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(autotest, "_MEMORY", {})
    monkeypatch.setattr(autotest, "_generate", lambda lab, nbs, sandbox: expanded)
    folder = autotest.cache_dir()
    blocked = folder / f"{autotest._content_key(lab)}.json"  # a folder: the write fails
    (blocked / "x").mkdir(parents=True)
    assert autotest.expansions(lab) == expanded
    assert sorted(p.name for p in folder.iterdir()) == [blocked.name]  # no .tmp left
