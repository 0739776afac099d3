"""Labs grade the learner's files, never what the worker reports about them (design rule 8;
third adversarial review, class 1).

files-and-folders and event-budget used to read the learner's folder tree / spreadsheet in a
locked cell, in the learner's worker, and test the names it bound (``folder_contents``,
``budget_rows``): rebinding them after that cell scored 10/10 with no folders and 8/10 with
no spreadsheet (blank release: 0). Now the judge gets the learner's files as the grading
parent read them (``NORTHLAB_LEARNER_FILES``) and the tests read them there with the lab's
own code; ``northlab check`` refuses the old pattern twice (the static check, and a tamper
submission that sets such names to the solution run's values); a hostile .xlsx (a zip bomb,
a billion laughs) is the learner's fault, never a grader error or a hang.
"""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from pathlib import Path

import nbformat
import pytest

from graders.check import check_lab, submissions_for
from graders.engine import Grader
from graders.judge.learner_files import materialise
from graders.lab import load_lab
from graders.release import release_notebook
from graders.submissions import Submission

FOUNDATIONS = Path(__file__).resolve().parents[2] / "labs" / "foundations"
FOLDERS, BUDGET = FOUNDATIONS / "files-and-folders", FOUNDATIONS / "event-budget"

#: the review's reproducers (built from the real labs' release, as its mk.py did)
FINGERPRINT = ("import hashlib, pathlib\n"
               "_h = lambda n: hashlib.sha256(pathlib.Path('centre-files', n).read_bytes())"
               ".hexdigest()\n")
FAKE_FOLDER = ("{**{f'photos/derby-photo-{i}.png': _h(f'derby-photo-{i}.png') for i in (1, 2, 3)},"
               " 'meeting-notes/meeting-notes-march.txt': _h('meeting-notes-march.txt'),"
               " 'meeting-notes/meeting-notes-april.txt': _h('meeting-notes-april.txt'),"
               " 'forms/hall-booking.txt': _h('untitled.txt'),"
               " 'forms/volunteer-sign-up.txt': _h('volunteer-sign-up.txt')}")
FAKE_ROWS = ("[[None] * 4] * 2 + [[None, None, None, v] for v in (65, 26.25, 29.98, 19, 135, 29)]"
             " + [[None] * 4, [None, None, None, '=SUM(D3:D8)'], [None, None, None, 450],"
             " [None, None, None, '=D11-D10']]")
FOLDER_ATTACKS = {
    # review 3 (ff/): folder_contents rebound after the locked cell
    "nofolders": {"organised_folder": "organised_folder = 'centre-files'\n" + FINGERPRINT,
                  "+read_folder": "folder_contents = " + FAKE_FOLDER},
    # the lab's helper rebound in the worker before the locked cell uses it
    "snapshot-rebound": {"organised_folder": "organised_folder = 'centre-files'\n" + FINGERPRINT
                         + "snapshot = lambda folder: " + FAKE_FOLDER},
    # the worker's hashlib patched so that the release's files look sorted
    "hashlib-patched": {"organised_folder": (
        "organised_folder = 'centre-files'\n" + FINGERPRINT + "_fake = " + FAKE_FOLDER + "\n"
        "import pathlib\n"
        "pathlib.Path.rglob = lambda self, pattern: [self / p for p in _fake]\n"
        "pathlib.Path.is_file = lambda self: True\n"
        "pathlib.Path.read_bytes = lambda self: self.as_posix().encode()\n"
        "class _Digest:\n"
        "    def __init__(self, data): self.data = data.decode()\n"
        "    def hexdigest(self): return _fake[self.data.split('centre-files/', 1)[1]]\n"
        "hashlib.sha256 = _Digest")},
    # the judge's own copy of the lab (which holds solution/) is not the learner's
    "lab-solution-path": {"organised_folder": "organised_folder = '../../srv/lab/solution/"
                                              "centre-files'"},
}
BUDGET_ATTACKS = {
    # review 3 (eb/): budget_rows rebound, the left-over typed without a spreadsheet
    "nospreadsheet": {"left_over": f"budget_rows = {FAKE_ROWS}\nleft_over = 450 - 304.23"},
    # the lab's reader rebound, and openpyxl's load_workbook patched, in the worker
    "reader-patched": {"budget_file": (
        "budget_file = 'feast-budget.xlsx'\n"
        f"_rows = {FAKE_ROWS}\n"
        "read_sheet = lambda name: _rows\n"
        "class _Cell:\n"
        "    def __init__(self, value): self.value = value\n"
        "class _Sheet:\n"
        "    def iter_rows(self, **kwargs): return [[_Cell(v) for v in row] for row in _rows]\n"
        "class _Book:\n"
        "    worksheets = [_Sheet()]\n"
        "load_workbook = lambda *args, **kwargs: _Book()\n"
        "import openpyxl\n"
        "openpyxl.load_workbook = load_workbook"),
        "left_over": "left_over = 145.77"},
    "lab-solution-path": {"budget_file": "budget_file = '/srv/lab/solution/feast-budget.xlsx'",
                          "left_over": "left_over = 145.77"},
    "zip-bomb": {"budget_file": "budget_file = 'feast-budget.xlsx'"},
    "billion-laughs": {"budget_file": "budget_file = 'feast-budget.xlsx'"},
}


def released(lab: Path, edits: dict[str, str]) -> bytes:
    """The lab's nbgrader release with cells replaced by grade_id (``+id``: a new cell
    after that one)."""
    nb = release_notebook(lab / "source" / f"{lab.name}.ipynb")
    for key, code in edits.items():
        grade_id = key.lstrip("+")
        at = next(i for i, c in enumerate(nb.cells)
                  if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
        if key.startswith("+"):
            nb.cells.insert(at + 1, nbformat.v4.new_code_cell(code))
        else:
            nb.cells[at].source = code
    return nbformat.writes(nb).encode()


def hostile_workbook(kind: str) -> bytes:
    """The solution's spreadsheet with its sheet replaced: 100 MB of rows packed into
    ~100 KB (zip bomb), or nested entities (billion laughs)."""
    good = zipfile.ZipFile(BUDGET / "solution" / "feast-budget.xlsx")
    sheet = good.read("xl/worksheets/sheet1.xml")
    if kind == "zip-bomb":
        sheet = sheet.replace(b"</sheetData>",
                              b"<row><c><v>1</v></c></row>" * 4_000_000 + b"</sheetData>")
    else:
        entities = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
        sheet = (f'<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY l0 "lol">{entities}]>'
                 ).encode() + sheet.replace(b"450", b"&l9;")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bad:
        for entry in good.infolist():
            data = sheet if entry.filename == "xl/worksheets/sheet1.xml" \
                else good.read(entry.filename)
            bad.writestr(entry.filename, data)
    return out.getvalue()


def grade(lab_dir: Path, attacks: dict[str, dict[str, str]]) -> dict[str, dict]:
    """The solution, the blank release and each attack (the release's files, the attack's
    notebook), graded in one batch."""
    lab = load_lab(lab_dir)
    solution, blank = submissions_for(lab)
    files = {n: d for n, d in blank.files.items() if not n.endswith(".ipynb")}
    subs = [solution, blank]
    for learner, edits in attacks.items():
        submitted = {**files, f"{lab.id}.ipynb": released(lab_dir, edits)}
        if learner in ("zip-bomb", "billion-laughs"):
            submitted["feast-budget.xlsx"] = hostile_workbook(learner)
        subs.append(Submission(learner, lab_dir, files=submitted))
    with Grader(lab, workers=2) as grader:
        return {r["learner"]: r for r in grader.grade_all(subs)}


@pytest.mark.parametrize("lab_dir, attacks", [(FOLDERS, FOLDER_ATTACKS),
                                              (BUDGET, BUDGET_ATTACKS)],
                         ids=["files-and-folders", "event-budget"])
def test_faked_reports_and_hostile_files_score_no_more_than_the_blank_release(
        lab_dir: Path, attacks: dict[str, dict[str, str]]) -> None:
    records = grade(lab_dir, attacks)
    assert records["solution"]["score"] == load_lab(lab_dir).points  # positive control
    blank = records["release"]["score"]
    for learner in attacks:
        record = records[learner]
        assert record["error"] is None, (learner, record["error"])  # the learner's fault
        assert record["score"] <= blank, (learner, record["score"], record["tests"])


#: the pattern both labs had before: tests read what a locked cell computed in the worker
OLD_PATTERN = {FOLDERS: ("snapshot(handed_in(organised_folder))", "dict(folder_contents)"),
               BUDGET: ("read_sheet(budget_file)", "[list(row) for row in budget_rows]")}


def trusting_copy(lab_dir: Path, into: Path) -> Path:
    """A copy of the lab whose tests read the worker's report again (the old version)."""
    lab = into / lab_dir.name
    shutil.copytree(lab_dir, lab)
    path = lab / "source" / f"{lab.name}.ipynb"
    nb = json.loads(path.read_text())
    new, old = OLD_PATTERN[lab_dir]
    for cell in nb["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade"):
            cell["source"] = "".join(cell["source"]).replace(new, old)
    path.write_text(json.dumps(nb))
    return lab


@pytest.mark.parametrize("lab_dir", [FOLDERS, BUDGET], ids=["files-and-folders",
                                                           "event-budget"])
def test_northlab_check_refuses_the_old_trusting_tests_and_passes_the_new(
        lab_dir: Path, tmp_path: Path) -> None:
    old = dict(check_lab(trusting_copy(lab_dir, tmp_path)).checks)
    assert old["solution"] is None and old["release"] is None  # honest runs were fine
    # the static check no longer takes the tests' own helpers for learner functions
    assert "only checks " in old["metadata"]
    # the stubs never look right; the solution run's values do
    assert "(solution-values) scored" in old["tamper"]
    new = check_lab(lab_dir)
    assert new.ok, new.checks


def test_the_judge_folder_holds_regular_files_read_only_and_the_lab_wins(tmp_path: Path) -> None:
    lab = tmp_path / "source"
    (lab / "centre-files").mkdir(parents=True)
    (lab / "centre-files" / "notes.txt").write_text("the lab's")
    (lab / "lab.ipynb").write_text("{}")
    names = ["centre-files/notes.txt", "centre-files/photos/a.png", "centre-files/notes.txt/x",
             "../escape.txt", "/etc/passwd-copy", "a//b", "feast-budget.xlsx", 7, ["x"]]
    files = [[name, i] for i, name in enumerate(names)] + [["bad-index.txt", 99]]
    folder = materialise(tmp_path / "learner-files", files,
                         [f"learner {i}".encode() for i in range(len(names))], lab)
    found = {p.relative_to(folder).as_posix(): p for p in folder.rglob("*")}
    assert sorted(n for n, p in found.items() if p.is_file()) == [
        "centre-files/notes.txt", "centre-files/photos/a.png", "feast-budget.xlsx"]
    assert (folder / "centre-files" / "notes.txt").read_text() == "the lab's"  # lab wins
    assert not any(p.is_symlink() for p in found.values())
    assert all(p.stat().st_mode & 0o222 == 0 for p in [folder, *found.values()])
    assert not (tmp_path / "escape.txt").exists()
