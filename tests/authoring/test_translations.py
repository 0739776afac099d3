"""`northlab check` and translations: a lab without ``languages`` is warned about missing
English/French text and passes; a lab that declares its languages fails on any gap."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from graders.check import LabReport, feedback_by_test, record_translations
from graders.lab import LabError, load_lab

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "labs"
DECLARED = 'languages = ["en", "fr"]\n'


def northlab_check(folder: Path, tmp_path: Path) -> tuple[subprocess.CompletedProcess[str],
                                                          ET.Element]:
    junit = tmp_path / "check.xml"
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    done = subprocess.run([sys.executable, "-m", "northlab.cli", "check", str(folder),
                           "--junit", str(junit)],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert junit.exists(), done.stdout + done.stderr
    return done, ET.parse(junit).getroot()


def english_only(into: Path, *, declared: bool) -> Path:
    """Both fixture labs without French (lab.toml's title and summary, test feedback) and
    with ``languages`` only if ``declared``; nb-basics's test-means keeps no feedback at
    all, like a stock nbgrader test cell."""
    for track, lab in (("ai-data", "nb-basics"), ("gamedev", "code-basics")):
        shutil.copytree(FIXTURES / track / lab, into / track / lab)
        toml = into / track / lab / "lab.toml"
        text = re.sub(r', fr = "[^"]*"', "", toml.read_text())
        toml.write_text(text if declared else text.replace(DECLARED, ""))
    notebook = into / "ai-data" / "nb-basics" / "source" / "nb-basics.ipynb"
    nb = json.loads(notebook.read_text())
    for cell in nb["cells"]:
        if "northlab" in cell["metadata"]:
            del cell["metadata"]["northlab"]["feedback"]["fr"]
        if cell["metadata"]["nbgrader"]["grade_id"] == "test-means":
            del cell["metadata"]["northlab"]
    notebook.write_text(json.dumps(nb))
    grader = into / "gamedev" / "code-basics" / "grader" / "test_game.py"
    grader.write_text(re.sub(r',\s*fr="[^"]*"', "", grader.read_text()))
    return into


def test_missing_translations_are_warnings_when_languages_are_not_declared(
        tmp_path: Path) -> None:
    labs = english_only(tmp_path / "labs", declared=False)
    done, junit = northlab_check(labs, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "ok   ai-data/nb-basics" in out and "ok   gamedev/code-basics" in out
    assert "warning: title has no fr text" in out and "warning: summary has no fr text" in out
    assert "test cell test-square needs northlab feedback in fr" in out
    assert "test cell test-means needs northlab feedback in en and fr" in out
    assert "tests without @pytest.mark.feedback(en=..., fr=...): test_game.py::" in out
    assert "2 of 2 labs ok; 2 with warnings" in out
    assert junit.get("failures") == "0"
    notes = [case.findtext("system-out") for case in junit.iter("testcase")
             if case.get("name") == "translations"]
    assert len(notes) == 2 and all(note and "warning: title has no fr text" in note
                                   for note in notes)


def test_declared_languages_make_missing_translations_errors(tmp_path: Path) -> None:
    """The same gaps in a lab that declares en and fr fail its translations check (code
    labs: tests/graders/test_grading_cli.py::test_check_finds_broken_labs, end to end)."""
    labs = english_only(tmp_path / "labs", declared=True)
    shutil.copy(FIXTURES / "ai-data" / "nb-basics" / "lab.toml",  # whole title and summary
                labs / "ai-data" / "nb-basics" / "lab.toml")
    lab = load_lab(labs / "ai-data" / "nb-basics")
    report = LabReport(lab.path, lab)
    record_translations(report, lab, feedback_by_test(lab))
    assert report.checks == [("translations", "; ".join([
        "test cell test-square needs northlab feedback in fr",
        "test cell test-means needs northlab feedback in en and fr",
        "test cell test-total needs northlab feedback in fr"]))]
    assert not report.ok and report.warnings == []


@pytest.mark.parametrize(("languages", "message"), [
    ('"en"', "must be a list of language codes"),
    ('["fr"]', "includes English"),
    ('["en", "French"]', "must be a list of language codes"),
    ('["en", "fr", "iu"]', "title has no iu text, which 'languages' declares"),
])
def test_bad_or_unmet_languages_are_clear_errors(tmp_path: Path, languages: str,
                                                 message: str) -> None:
    lab = tmp_path / "nb-basics"
    shutil.copytree(FIXTURES / "ai-data" / "nb-basics", lab)
    toml = lab / "lab.toml"
    toml.write_text(toml.read_text().replace(DECLARED, f"languages = {languages}\n"))
    with pytest.raises(LabError, match=message):
        load_lab(lab)


def test_our_labs_declare_english_and_french() -> None:
    from graders.lab import discover_labs

    labs = discover_labs(REPO / "labs")
    assert labs and all({"en", "fr"} <= set(lab.languages) for lab in labs)
